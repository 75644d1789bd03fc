"""HTML: visible text with block elements on their own lines, and its headings, via selectolax
(lexbor). Navigation, sidebars, footers and the like are left out.

A data table is one line per row, cells joined by " | " (blocks inside a cell become spaces);
its header row is reported as a table heading (ingest/sections.py). A table holding a table or
a heading, or marked as presentation, is layout: its cells are blocks like any other.
"""

import codecs
import re
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ingest.sections import Heading
from ingest.text import decode_text

# Never visible, or not text: dropped with their content.
_HIDDEN = frozenset(
    {"head", "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object"}
)
# Blocks that end a line.
_LINE_BLOCKS = frozenset(
    {
        "address", "article", "aside", "body", "caption", "dd", "details", "dialog", "div", "dt",
        "fieldset", "figcaption", "footer", "form", "header", "hgroup", "legend", "li", "main",
        "nav", "option", "section", "summary", "tr",
    }
)  # fmt: skip
# Blocks set apart by a blank line.
_PARAGRAPH_BLOCKS = frozenset(
    {
        "blockquote", "dl", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "ol", "p", "pre",
        "table", "ul",
    }
)  # fmt: skip
_BLOCKS = _LINE_BLOCKS | _PARAGRAPH_BLOCKS
_CELLS = frozenset({"td", "th"})
# <dt> terms as sections of their own were measured and left out: MRR fell on dev-manuals.
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
# Page furniture repeated on every page of a site: it would dilute every chunk of the page.
_BOILERPLATE_TAGS = frozenset({"nav", "aside", "footer"})
_BOILERPLATE_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
# An id or class naming navigation or furniture, whole or as a prefix/suffix ("navheader",
# "nav_table", "tocframe", "site-footer", "sidebar-left"); the names content uses do not match.
_BOILERPLATE_NAME = re.compile(
    r"^(?:nav|toc|menu|sidebar|breadcrumbs?|footer|debug|skip)(?:[-_]?[a-z]*)$"
    r"|^[a-z]*[-_]?(?:nav|navigation|menu|sidebar|breadcrumbs?|footer)$"
)
_WHITESPACE = re.compile(r"\s+")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
# Labels browsers treat as a superset encoding (WHATWG Encoding Standard).
_CHARSET_ALIASES = {
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "ms_kanji": "cp932",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "gb2312": "gbk",
    "euc-kr": "cp949",
}
# The encodings browsers honour (WHATWG Encoding Standard), as Python codecs. Other labels, such
# as Python's own "undefined" (which always fails) or "unicode_escape", and UTF-16 (which a meta
# tag readable as ASCII cannot be), are ignored and the encoding is detected instead.
_WEB_CODECS = frozenset(
    codecs.lookup(name).name
    for name in (
        "utf-8", "cp866", "iso8859-2", "iso8859-3", "iso8859-4", "iso8859-5", "iso8859-6",
        "iso8859-7", "iso8859-8", "iso8859-10", "iso8859-13", "iso8859-14", "iso8859-15",
        "iso8859-16", "koi8-r", "koi8-u", "mac-roman", "mac-cyrillic", "cp874", "cp1250",
        "cp1251", "cp1252", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258", "gbk",
        "gb18030", "big5", "big5hkscs", "euc-jp", "iso2022-jp", "cp932", "shift_jis", "euc-kr",
        "cp949",
    )
)  # fmt: skip
_MAX_TITLE_CHARS = 200
# What a data table never holds. Tables nested deeper than _TABLE_CHECK_DEPTH are taken for
# layout unchecked, which bounds the work on hostile nesting.
_LAYOUT_INSIDE = "table, h1, h2, h3, h4, h5, h6"
_TABLE_CHECK_DEPTH = 2


def decode_html(data: bytes) -> tuple[str, str]:
    """Decode HTML bytes: byte-order mark, then a ``<meta charset>`` declaration, then detection."""
    if not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        declared = _META_CHARSET.search(data[:4096])
        if declared:
            label = declared.group(1).decode("ascii").lower()
            codec = _CHARSET_ALIASES.get(label, label)
            try:
                name = codecs.lookup(codec).name
                if name in _WEB_CODECS:
                    return data.decode(codec), name
            except (LookupError, UnicodeDecodeError):
                pass  # wrong or unknown declaration: detect instead
    return decode_text(data)


def read_html(html: str) -> tuple[str | None, str, list[Heading]]:
    """Return ``(title, visible text, headings)``; the title is ``<title>``, else the first
    ``<h1>``.

    The ``<title>`` also opens the text (unless the body starts with it), so it is searchable.
    """
    tree = LexborHTMLParser(html)
    head_title = _node_text(tree.css_first("title"))
    title = head_title or _node_text(tree.css_first("h1"))
    root = tree.root
    out = _Writer()
    if root is not None:
        _write_visible(root, out)
    text = "".join(out.parts).strip()
    if head_title and text.split("\n", 1)[0].strip() != head_title:
        text = f"{head_title}\n\n{text}".strip()
    return (title[:_MAX_TITLE_CHARS] if title else None), text, out.headings


def _node_text(node: LexborNode | None) -> str:
    if node is None:
        return ""
    return _WHITESPACE.sub(" ", node.text(deep=True)).strip()


class _Writer:
    """Accumulates text, emitting at most the requested number of line breaks between blocks."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.trailing_newlines = 2  # the start counts as a paragraph break
        self.line_has_text = False
        self.headings: list[Heading] = []
        self._open_heading: tuple[int, int] | None = None  # (level, index into parts)
        self.tables: list[_Table] = []  # the tables open around the current node

    def start_heading(self, level: int) -> None:
        self._open_heading = (level, len(self.parts))

    def end_heading(self) -> None:
        if self._open_heading is not None:
            level, first = self._open_heading
            title = _WHITESPACE.sub(" ", "".join(self.parts[first:])).strip()
            if title:
                self.headings.append(Heading(level, title))
            self._open_heading = None

    def text(self, text: str) -> None:
        if not text:
            return
        if self.trailing_newlines:
            text = text.lstrip(" ")  # indentation, or whitespace between blocks
            if not text.strip():
                return
        self.parts.append(text)
        self.trailing_newlines = 0
        self.line_has_text = True

    def space(self) -> None:
        if self.line_has_text and not self.parts[-1].endswith(" "):
            self.parts.append(" ")

    def cell_text(self, text: str) -> None:
        """Text in a table row, which is one line: spaces never doubled."""
        if self.line_has_text and self.parts[-1].endswith(" "):
            text = text.lstrip(" ")
        self.text(text)

    def cell_separator(self) -> None:
        if self.line_has_text:
            self.parts[-1] = self.parts[-1].rstrip(" ")
            self.parts.append(" | ")

    def newlines(self, count: int) -> None:
        if self.parts and self.trailing_newlines == 0:
            self.parts[-1] = self.parts[-1].rstrip(" ")
        if self.trailing_newlines < count:
            self.parts.append("\n" * (count - self.trailing_newlines))
            self.trailing_newlines = count
        self.line_has_text = False


@dataclass
class _Table:
    """A table being written: where its current row starts, and its header and last rows."""

    data: bool
    header: str = ""
    rows: int = 0
    last_row: str = ""
    row_start: int = 0  # index into the writer's parts
    row_is_header: bool = False


def _is_data_table(node: LexborNode, depth: int) -> bool:
    if depth >= _TABLE_CHECK_DEPTH:
        return False
    if (node.attributes.get("role") or "").lower() in ("presentation", "none"):
        return False
    child = node.child
    while child is not None:  # a node's own css matches the node too: search below it
        if not child.is_text_node and child.css_first(_LAYOUT_INSIDE) is not None:
            return False
        child = child.next
    return True


def _in_data_cell(out: _Writer) -> bool:
    return bool(out.tables) and out.tables[-1].data and out.tables[-1].row_start >= 0


def _open_table_part(node: LexborNode, tag: str, out: _Writer) -> None:
    """Track tables and rows; call after _open."""
    if tag == "table":
        out.tables.append(_Table(_is_data_table(node, len(out.tables)), row_start=-1))
    elif tag == "tr" and out.tables:
        table = out.tables[-1]
        parent = node.parent
        table.row_start = len(out.parts)
        in_thead = parent is not None and parent.tag == "thead"
        table.row_is_header = table.rows == 0 and (in_thead or _all_header_cells(node))


def _all_header_cells(row: LexborNode) -> bool:
    cells = [cell.tag for cell in row.iter() if cell.tag in _CELLS]
    return bool(cells) and all(tag == "th" for tag in cells)


def _close_table_part(tag: str, out: _Writer) -> None:
    """Track tables and rows; call before _close, which ends a row's line."""
    if tag == "table":
        table = out.tables.pop()
        if table.header and table.rows > 1:
            out.headings.append(Heading(0, table.header, table_end=table.last_row))
    elif tag == "tr" and out.tables:
        table = out.tables[-1]
        if not table.data:  # a layout row may hold the rest of the page: not joined
            return
        row = _WHITESPACE.sub(" ", "".join(out.parts[table.row_start :])).strip()
        table.row_start = -1
        if not row:
            return
        if table.rows == 0 and table.row_is_header:
            table.header = row
        table.rows += 1
        table.last_row = row


def _write_visible(root: LexborNode, out: _Writer) -> None:
    # Iterative walk, since documents can nest deeper than Python's recursion limit.
    stack: list[tuple[LexborNode, bool]] = [(root, True)]
    in_pre = 0
    while stack:
        node, entering = stack.pop()
        tag = node.tag or ""
        if not entering:
            if tag == "pre":
                in_pre -= 1
            _close_table_part(tag, out)
            if _in_data_cell(out) and tag in _BLOCKS:
                out.space()  # a table row stays one line
            else:
                _close(tag, out)
            continue
        in_cell = _in_data_cell(out)
        if node.is_text_node:
            content = node.text_content or ""
            if in_cell:
                out.cell_text(_WHITESPACE.sub(" ", content))
            else:
                out.text(content if in_pre else _WHITESPACE.sub(" ", content))
            continue
        if tag in _HIDDEN or tag.startswith("-"):  # hidden elements, comments, doctype
            continue
        if _is_boilerplate(node, tag):
            continue
        if in_cell and (tag == "br" or tag in _BLOCKS):
            out.space()
        elif tag == "br":
            out.newlines(1)
        else:
            _open(tag, out)
        if tag == "br":
            continue
        _open_table_part(node, tag, out)
        if tag == "pre":
            in_pre += 1
        stack.append((node, False))
        children: list[LexborNode] = []
        child = node.child
        while child is not None:
            children.append(child)
            child = child.next
        stack.extend((c, True) for c in reversed(children))


def _is_boilerplate(node: LexborNode, tag: str) -> bool:
    if tag in _BOILERPLATE_TAGS:
        return True
    attributes = node.attributes
    if not attributes:
        return False
    if (attributes.get("role") or "").lower() in _BOILERPLATE_ROLES:
        return True
    names = f"{attributes.get('id') or ''} {attributes.get('class') or ''}".lower().split()
    return any(_BOILERPLATE_NAME.match(name) for name in names)


def _open(tag: str, out: _Writer) -> None:
    if tag in _HEADINGS:
        out.newlines(2)
        out.start_heading(_HEADINGS[tag])
    elif tag in _PARAGRAPH_BLOCKS:
        out.newlines(2)
    elif tag in _LINE_BLOCKS:
        out.newlines(1)
    elif tag in _CELLS:
        out.cell_separator()


def _close(tag: str, out: _Writer) -> None:
    if tag in _HEADINGS:
        out.end_heading()
    if tag in _PARAGRAPH_BLOCKS:
        out.newlines(2)
    elif tag in _LINE_BLOCKS:
        out.newlines(1)
