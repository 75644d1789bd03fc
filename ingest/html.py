"""HTML: visible text with block elements on their own lines, and its headings, via selectolax
(lexbor). Navigation, sidebars, footers and the like are left out."""

import codecs
import re

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

    def newlines(self, count: int) -> None:
        if self.parts and self.trailing_newlines == 0:
            self.parts[-1] = self.parts[-1].rstrip(" ")
        if self.trailing_newlines < count:
            self.parts.append("\n" * (count - self.trailing_newlines))
            self.trailing_newlines = count
        self.line_has_text = False


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
            _close(tag, out)
            continue
        if node.is_text_node:
            content = node.text_content or ""
            out.text(content if in_pre else _WHITESPACE.sub(" ", content))
            continue
        if tag in _HIDDEN or tag.startswith("-"):  # hidden elements, comments, doctype
            continue
        if _is_boilerplate(node, tag):
            continue
        if tag == "br":
            out.newlines(1)
            continue
        _open(tag, out)
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
    elif tag in _CELLS and out.line_has_text:
        out.text(" | ")


def _close(tag: str, out: _Writer) -> None:
    if tag in _HEADINGS:
        out.end_heading()
    if tag in _PARAGRAPH_BLOCKS:
        out.newlines(2)
    elif tag in _LINE_BLOCKS:
        out.newlines(1)
