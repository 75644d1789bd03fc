"""Running headers and footers: the lines a PDF repeats at the top or bottom of its pages.

"Debian Edu Bookworm マニュアル 74 / 95", "The jpneduenumerate package Yukoh KUSAKABE", a bare
"3/10": printed on every page, they land in every chunk and, holding numbers, in answers to
"how many" questions. A line counts as running when, its page number aside, it is among the
first or last lines of at least half the pages (and of at least three); it is dropped there,
but where it first appears, and nowhere else: a heading or sentence that happens to match it
mid-page stays, and a document keeps one copy of what it repeats.
"""

import re
from collections import Counter

_EDGE_LINES = 2  # lines at each end of a page where running headers and footers sit
_MIN_PAGES = 3  # a line on fewer pages than this is no running line, however short the file
_SHARE = 0.5  # ... nor one on fewer than this share of the pages with text
# A page number at either end of a line ("74 / 95", "Page 3 of 10", "- 12 -"); numbers
# inside a line are its text.
_NUMBER = r"(?:page\s+)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?"
_PAGE_NUMBER = re.compile(rf"^[-–—\s]*{_NUMBER}(?=\s|$)|(?<=\s){_NUMBER}[-–—\s]*$", re.IGNORECASE)


def drop_running_lines(pages: list[str]) -> list[str]:
    """The pages without their running headers and footers; pages stay in place (an empty page
    stays empty) and every other line is kept as it was. Only pages with more lines than their
    edges hold take part: a short page is all edges, and a document whose pages repeat one
    short text (a form, a label sheet) keeps it."""
    edges = [_edge_keys(page) for page in pages]
    voting = sum(1 for keys in edges if keys)
    needed = max(_MIN_PAGES, _SHARE * voting)
    seen = Counter(key for keys in edges for key in {key for _, key in keys})
    running = {key for key, count in seen.items() if count >= needed}
    if not running:
        return list(pages)
    out = []
    kept_once: set[str] = set()  # each running line stays where it first appears
    for page, keys in zip(pages, edges, strict=True):
        drop = set()
        for index, key in keys:
            if key in running and key in kept_once:
                drop.add(index)
            kept_once.add(key)
        kept = [line for index, line in enumerate(page.split("\n")) if index not in drop]
        out.append("\n".join(kept))
    return out


def _edge_keys(page: str) -> list[tuple[int, str]]:
    """(index, key) of the first and last non-blank lines of a page; none for a page with no
    line between its edges."""
    lines = [(i, line) for i, line in enumerate(page.split("\n")) if line.strip()]
    if len(lines) <= 2 * _EDGE_LINES:
        return []
    return [(i, _key(line)) for i, line in lines[:_EDGE_LINES] + lines[-_EDGE_LINES:]]


def _key(line: str) -> str:
    # Page numbers change from page to page; spacing changes with the extraction.
    return _PAGE_NUMBER.sub("#", " ".join(line.split()))
