"""Headings → sections: where each section starts in the normalized text, and its heading path.

Loaders report headings as they read them (HTML h1–h6, Markdown #, DOCX heading styles, PDF
outline entries, slide titles); their positions are found again in the normalized text, since
normalization moves offsets. A chunk carries the path of the section it starts in as context:
embedded and keyword-indexed with it, shown with citations, never part of the cited span.

A table with a header row is reported like a heading whose title is that row: a chunk that
starts inside the table gets the header as the last part of its path, so the rows it holds
keep the meaning of their columns while their text stays verbatim (quotes and citation spans
match the document). A table does not bound chunks: a short one stays with its lead-in.
"""

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from text.normalize import normalize_text

PATH_SEPARATOR = " › "
_MAX_TITLE_CHARS = 120  # one heading in a path
_MAX_CONTEXT_CHARS = 300  # the whole context; the title and the deepest headings are kept
_MIN_FIND_CHARS = 8  # a heading not found whole is looked for by its first this many characters


@dataclass(frozen=True)
class Heading:
    """A heading as a loader read it. ``page`` (0-based) is where a PDF outline says it is;
    ``anchor`` is the text that marks where it starts, when that is not the title itself.
    ``table_end`` makes it a table's header row: the table's last row, where its section ends
    (its ``level`` is then not used)."""

    level: int  # 1 = top
    title: str
    page: int | None = None
    anchor: str | None = None
    table_end: str | None = None


@dataclass(frozen=True)
class Section:
    start: int  # offset of the heading in the normalized document text
    path: tuple[str, ...]  # the titles of the enclosing headings, outermost first
    heading_end: int  # where the heading's own text ends (as far as it was found)
    bounds_chunks: bool = True  # False for a table and for the text after it


def locate_sections(
    headings: Sequence[Heading], text: str, page_offsets: Sequence[int]
) -> list[Section]:
    """Find each heading in ``text`` (normalized, pages joined at ``page_offsets``), in order.

    A heading is searched for after the previous one; a PDF outline entry within its page,
    starting the section at the top of that page when its title is not on it (outline titles
    and page text often differ) and no earlier heading is. Headings not found are dropped.
    """
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []  # (level, title) of the open headings
    position = 0
    for heading in headings:
        title = " ".join(normalize_text(heading.title).split())[:_MAX_TITLE_CHARS]
        if not title:
            continue
        anchor = normalize_text(heading.anchor) if heading.anchor else title
        found = _find(heading, anchor, text, page_offsets, position)
        if found is None:
            continue
        matched = anchor if text.startswith(anchor, found) else ""
        if heading.table_end is not None:
            outer = tuple(t for _, t in stack)
            header_end = found + len(matched)
            end = _table_end(normalize_text(heading.table_end).strip(), text, header_end)
            sections.append(Section(found, (*outer, title), header_end, bounds_chunks=False))
            sections.append(Section(end, outer, end, bounds_chunks=False))
            position = end
            continue
        while stack and stack[-1][0] >= heading.level:
            stack.pop()
        stack.append((heading.level, title))
        sections.append(Section(found, tuple(t for _, t in stack), found + len(matched)))
        position = found + 1
    return sections


def _find(
    heading: Heading, anchor: str, text: str, page_offsets: Sequence[int], position: int
) -> int | None:
    start, end = position, len(text)
    if heading.page is not None and 0 <= heading.page < len(page_offsets):
        page_start = page_offsets[heading.page]
        if page_start + 1 < position:
            return None  # out of order: an earlier page than the previous heading
        start = max(position, page_start)
        if heading.page + 1 < len(page_offsets):
            end = page_offsets[heading.page + 1]
    found = text.find(anchor, start, end)
    if found < 0 and len(anchor) > _MIN_FIND_CHARS:
        found = text.find(anchor[:_MIN_FIND_CHARS], start, end)
    if found < 0 and heading.page is not None and start == page_offsets[heading.page]:
        return start  # the page's top, unless an earlier heading already starts on the page
    return found if found >= 0 else None


def _table_end(last_row: str, text: str, start: int) -> int:
    """Where the table whose rows follow ``start`` ends: after its last row, else at the first
    blank line (loaders set tables apart by blank lines)."""
    found = text.find(last_row, start) if last_row else -1
    if found >= 0:
        return found + len(last_row)
    blank = text.find("\n\n", start)
    return blank if blank >= 0 else len(text)


def context_at(sections: Sequence[Section], text: str, start: int, end: int, title: str) -> str:
    """``Title › Section › Subsection`` for the chunk ``text[start:end]``.

    ``sections`` are in text order, as :func:`locate_sections` returns them. A chunk that
    opens with headings alone ("2 Settings", then "2.1 Defaults") takes the deepest one's path.
    """
    index = bisect.bisect_right(sections, start, key=lambda s: s.start) - 1
    while (
        index + 1 < len(sections)
        and sections[index + 1].start < end
        and (index < 0 or not text[sections[index].heading_end : sections[index + 1].start].strip())
        and (index >= 0 or not text[start : sections[0].start].strip())
    ):  # fmt: skip
        index += 1
    path = sections[index].path if index >= 0 else ()
    parts = [title, *(p for p in path if p != title)] if title else list(path)
    while len(parts) > 2 and len(PATH_SEPARATOR.join(parts)) > _MAX_CONTEXT_CHARS:
        del parts[1]  # keep the document and the deepest headings
    return PATH_SEPARATOR.join(parts)[:_MAX_CONTEXT_CHARS]


def section_bounds(sections: Sequence[Section]) -> list[tuple[int, int]]:
    """``(start, heading end)`` of each section that bounds chunks, for the chunker."""
    return [(s.start, s.heading_end) for s in sections if s.bounds_chunks]
