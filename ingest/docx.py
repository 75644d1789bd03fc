"""DOCX: paragraphs and table cells in document order, via python-docx."""

import io
from collections.abc import Iterator

import docx
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from ingest.errors import LoadError

_CELL_SEPARATOR = " | "  # keeps cells apart: a tab would become a space that CJK joining removes
_TITLE_STYLES = ("Title", "Heading")
_MAX_TITLE_CHARS = 200


def read_docx(data: bytes) -> tuple[str | None, str]:
    """Return ``(title, text)``: one line per paragraph, one ``a | b`` line per table row.

    The title is the core-properties title, else the first Title/Heading paragraph.
    Raises LoadError for a damaged or non-Word file.
    """
    # python-docx raises zip, XML, KeyError and its own errors on damaged input.
    try:
        document = docx.Document(io.BytesIO(data))
        lines = list(_lines(document.iter_inner_content()))
        title = document.core_properties.title or _first_heading(document.paragraphs)
    except Exception as exc:
        raise LoadError(f"corrupt DOCX: {str(exc) or type(exc).__name__}") from exc
    title = " ".join(title.split()) if title else ""
    return (title[:_MAX_TITLE_CHARS] or None), "\n".join(lines).strip()


def _lines(blocks: Iterator[Paragraph | Table]) -> Iterator[str]:
    for block in blocks:
        if isinstance(block, Paragraph):
            yield block.text
        else:
            yield ""  # blank lines set a table apart from the prose around it
            yield from _table_lines(block)
            yield ""


def _table_lines(table: Table) -> Iterator[str]:
    # Merged cells come back once per grid position they span; keep each cell once.
    seen: dict[int, object] = {}  # id -> element, which keeps the id from being reused
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen[id(cell._tc)] = cell._tc
            text = _cell_text(cell)
            if text:
                cells.append(text)
        if cells:
            yield _CELL_SEPARATOR.join(cells)


def _cell_text(cell: _Cell) -> str:
    parts: list[str] = []
    for block in cell.iter_inner_content():
        if isinstance(block, Paragraph):
            parts.append(block.text)
        else:  # nested table
            parts.extend(_table_lines(block))
    return " ".join(" ".join(parts).split())


def _first_heading(paragraphs: list[Paragraph]) -> str | None:
    for paragraph in paragraphs:
        style = paragraph.style.name if paragraph.style is not None else ""
        if style and style.startswith(_TITLE_STYLES) and paragraph.text.strip():
            return paragraph.text
    return None
