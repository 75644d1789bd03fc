"""A document's text as its pages joined, and the page that holds a character offset."""

import bisect

PAGE_SEPARATOR = "\n\n"


def join_pages(pages: list[str]) -> tuple[str, list[int]]:
    """Return the document text (pages joined by PAGE_SEPARATOR) and each page's start offset."""
    offsets: list[int] = []
    position = 0
    for page in pages:
        offsets.append(position)
        position += len(page) + len(PAGE_SEPARATOR)
    return PAGE_SEPARATOR.join(pages), offsets


def page_of(page_offsets: list[int], char: int) -> int:
    """1-based number of the page holding document offset ``char``."""
    return max(1, bisect.bisect_right(page_offsets, char))
