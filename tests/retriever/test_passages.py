"""Small to big: a chunk widened with its section's neighbours keeps exact document offsets."""

import pytest

from retriever.passages import stitch
from retriever.records import ChunkRecord

pytestmark = pytest.mark.unit

DOCUMENT = (
    "Checkpoints.\nThe timeout is set here. It is checked often.\n\nThe default is five minutes."
)


def chunk(chunk_id: int, start: int, end: int, page: int = 1) -> ChunkRecord:
    return ChunkRecord(
        id=chunk_id,
        document_id=1,
        collection="c",
        source="wal.html",
        title="WAL",
        text=DOCUMENT[start:end],
        page_start=page,
        page_end=page,
        char_start=start,
        char_end=end,
        context="WAL › Checkpoints",
    )


def test_the_next_chunk_then_the_previous_join_within_the_budget() -> None:
    first = chunk(1, 0, 12)  # "Checkpoints."
    middle = chunk(2, 13, 58, page=2)  # two sentences; the gap before it is "\n"
    last = chunk(3, 60, 88, page=3)  # after a "\n\n" gap
    wide = stitch(middle, [last, first, middle], max_chars=200)
    assert (wide.char_start, wide.char_end, wide.page_start, wide.page_end) == (0, 88, 1, 3)
    assert wide.id == middle.id
    assert wide.text.replace("\n", " ") == DOCUMENT.replace("\n", " ")
    assert len(wide.text) == len(DOCUMENT)  # offsets into it are document offsets
    # Within a smaller budget the next chunk comes first.
    assert stitch(middle, [first, middle, last], max_chars=80).char_start == 13


def test_overlapping_chunks_are_taken_once_and_a_lone_chunk_is_unchanged() -> None:
    a, b = chunk(1, 0, 40), chunk(2, 25, 58)
    wide = stitch(a, [a, b], max_chars=100)
    assert wide.text == DOCUMENT[:58]
    assert stitch(a, [a], max_chars=100) is a
    assert stitch(a, [b], max_chars=100) is a  # not among them (deleted meanwhile): as it is
    assert stitch(a, [a, b], max_chars=50) is a  # over the budget
