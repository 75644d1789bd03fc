"""DOCX: paragraphs and table cells in document order, via python-docx.

A table is one line per row, cells joined by " | ". Word has no header cells; its first row is
taken as the header (ingest/sections.py) when the table has more rows and it has two or more
cells, or when it is marked to repeat as a header row.
"""

import io
from collections.abc import Iterator
from dataclasses import replace

import docx
from docx.document import Document
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml.ns import qn
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from ingest.archive import ArchiveLimits, check_archive
from ingest.errors import LoadError
from ingest.sections import Heading

_CELL_SEPARATOR = " | "  # keeps cells apart: a tab would become a space that CJK joining removes
_TITLE_STYLES = ("Title", "Heading")
_MAX_TITLE_CHARS = 200
# Word keeps embedded workbooks and documents (themselves zip files) here; they are not opened.
_EMBEDDINGS = ("word/embeddings/",)


def read_docx(data: bytes, limits: ArchiveLimits) -> tuple[str | None, str, list[Heading]]:
    """Return ``(title, text, headings)``: one line per paragraph, one ``a | b`` line per table
    row; the headings are the paragraphs in the "Heading 1".."Heading 9" styles.

    The title is the core-properties title, else the first Title/Heading paragraph.
    Raises LoadError for a damaged or non-Word file, and refuses (LoadError, FileTooLargeError)
    an archive over ``limits`` before python-docx reads it all into memory. Its XML parser does
    not expand entities, so an entity bomb stays a few unexpanded references.
    """
    check_archive(data, "DOCX", replace(limits, nested_allowed_under=_EMBEDDINGS))
    # python-docx raises zip, XML, KeyError and its own errors on damaged input.
    try:
        document = docx.Document(io.BytesIO(data))
        styles = _StyleNames()
        headings: list[Heading] = []
        lines = list(_lines(document.iter_inner_content(), styles, headings))
        title = _core_title(document) or _first_heading(document.paragraphs, styles)
    except Exception as exc:
        raise LoadError(f"corrupt DOCX: {str(exc) or type(exc).__name__}") from exc
    title = " ".join(title.split()) if title else ""
    return (title[:_MAX_TITLE_CHARS] or None), "\n".join(lines).strip(), headings


class _StyleNames:
    """Paragraph style names, looked up once per style id.

    Resolving a paragraph's style scans every style when it has none of its own (python-docx
    looks up the default), slow over many paragraphs; paragraphs in the default style, never a
    heading, are skipped.
    """

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def of(self, paragraph: Paragraph) -> str:
        style_id = paragraph._p.style
        if style_id is None:
            return ""
        if style_id not in self.names:
            style = paragraph.style
            self.names[style_id] = (style.name if style is not None else None) or ""
        return self.names[style_id]


def _heading_level(style_name: str) -> int | None:
    """1-9 for the built-in "Heading N" styles, else None."""
    prefix, _, number = style_name.rpartition(" ")
    if prefix == "Heading" and number.isdigit() and 1 <= int(number) <= 9:
        return int(number)
    return None


def _lines(
    blocks: Iterator[Paragraph | Table], styles: _StyleNames, headings: list[Heading]
) -> Iterator[str]:
    for block in blocks:
        if isinstance(block, Paragraph):
            level = _heading_level(styles.of(block))
            if level is not None and block.text.strip():
                headings.append(Heading(level, block.text))
            yield block.text
        else:
            yield ""  # blank lines set a table apart from the prose around it
            rows = list(_table_lines(block))
            yield from rows
            yield ""
            if len(rows) > 1 and _has_header(block, rows[0]):
                headings.append(Heading(0, rows[0], table_end=rows[-1]))


def _table_lines(table: Table) -> Iterator[str]:
    # Each cell element once: a cell spanning columns is one element, and the rows a vertically
    # merged cell continues into hold empty ones. (python-docx's row.cells repeats a cell once
    # per grid column it spans, which a hostile gridSpan makes slow.)
    for row in table.rows:
        texts = (_cell_text(_Cell(tc, table)) for tc in row._tr.tc_lst)
        cells = [text for text in texts if text]
        if cells:
            yield _CELL_SEPARATOR.join(cells)


def _has_header(table: Table, first_row: str) -> bool:
    if first_row.count(_CELL_SEPARATOR) >= 1:
        return True
    row_properties = table.rows[0]._tr.trPr
    return row_properties is not None and row_properties.find(qn("w:tblHeader")) is not None


def _cell_text(cell: _Cell) -> str:
    parts: list[str] = []
    for block in cell.iter_inner_content():
        if isinstance(block, Paragraph):
            parts.append(block.text)
        else:  # nested table
            parts.extend(_table_lines(block))
    return " ".join(" ".join(parts).split())


def _core_title(document: Document) -> str | None:
    # Without a core-properties part python-docx makes up a default one titled "Word Document".
    try:
        document.part.package.part_related_by(RELATIONSHIP_TYPE.CORE_PROPERTIES)
    except KeyError:
        return None
    return document.core_properties.title or None


def _first_heading(paragraphs: list[Paragraph], styles: _StyleNames) -> str | None:
    for paragraph in paragraphs:
        if paragraph._p.style is None or not paragraph.text.strip():
            continue
        if styles.of(paragraph).startswith(_TITLE_STYLES):
            return paragraph.text
    return None
