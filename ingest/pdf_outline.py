"""A PDF's outline (bookmarks) as headings: the section structure the author gave it."""

import logging
from typing import Any

from pypdf import PdfReader

from ingest.sections import Heading

_log = logging.getLogger(__name__)
_MAX_ENTRIES = 5000  # an outline is a table of contents; more is a damaged or hostile file
_MAX_DEPTH = 6


def read_outline(reader: PdfReader) -> list[Heading]:
    """Outline entries in reading order, with their level and 0-based page; [] if none.

    A damaged outline costs only the headings: the text was already read.
    """
    try:
        headings: list[Heading] = []
        _walk(reader, reader.outline, 1, headings)
    except Exception as exc:  # pypdf raises many types on damaged input
        _log.debug("PDF outline unreadable: %s", exc)
        return []
    # Entries out of page order (appendix links, say) would misplace the sections after them.
    return [h for i, h in enumerate(headings) if i == 0 or _page(h) >= _page(headings[i - 1])]


def _walk(reader: PdfReader, entries: list[Any], level: int, out: list[Heading]) -> None:
    for entry in entries:
        if len(out) >= _MAX_ENTRIES:
            return
        if isinstance(entry, list):  # the children of the entry before it
            if level < _MAX_DEPTH:
                _walk(reader, entry, level + 1, out)
            continue
        page = reader.get_destination_page_number(entry)
        title = str(entry.title or "").strip()
        if title and page is not None and page >= 0:
            out.append(Heading(level, title, page))


def _page(heading: Heading) -> int:
    return heading.page if heading.page is not None else -1
