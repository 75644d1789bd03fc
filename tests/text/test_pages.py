"""join_pages / page_of: a document as its pages joined."""

import pytest

from text.pages import PAGE_SEPARATOR, join_pages, page_of


@pytest.mark.unit
def test_join_pages_and_page_of() -> None:
    pages = ["abc", "", "de", "f"]
    text, offsets = join_pages(pages)
    assert text == PAGE_SEPARATOR.join(pages) == "abc\n\n\n\nde\n\nf"
    assert offsets == [0, 5, 7, 11]
    expected = {
        0: 1,
        2: 1,
        3: 1,
        4: 1,
        7: 3,
        8: 3,
        11: 4,
    }  # the separator belongs to the page before
    for char, number in expected.items():
        assert page_of(offsets, char) == number
    for number, (offset, page) in enumerate(zip(offsets, pages, strict=True), start=1):
        assert all(page_of(offsets, offset + i) == number for i in range(len(page)))
