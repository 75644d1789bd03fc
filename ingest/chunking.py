"""Sentence-aware chunking of page texts with token budgets and sentence overlap."""

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from text.pages import join_pages, page_of
from text.sentences import split_sentences


@dataclass(frozen=True)
class TextChunk:
    text: str  # == document_text[char_start:char_end] exactly
    char_start: int
    char_end: int
    page_start: int  # 1-based page of char_start
    page_end: int  # 1-based page of char_end - 1
    token_count: int
    context: str = ""  # "Title › Section" (ingest/sections.py); not part of `text`


def chunk_pages(
    pages: list[str],
    count_tokens: Callable[[str], int],
    max_tokens: int,
    overlap_tokens: int,
    sections: Sequence[tuple[int, int]] = (),
) -> list[TextChunk]:
    """Pack whole sentences of the (normalized) pages into chunks of at most ``max_tokens``.

    Consecutive chunks share whole trailing sentences worth at most ``overlap_tokens``; each
    sentence is in at most two chunks. A sentence longer than ``max_tokens`` is split at word or
    character boundaries. Chunks may span pages but not sections (``(start, heading end)``
    offsets, in order), except that a section holding only its heading joins the next one.
    ``count_tokens`` is called once per sentence and once per chunk (to record the chunk's
    exact count), plus a few times per overlong sentence.
    """
    if max_tokens < 1:
        raise ValueError("max_tokens must be at least 1")
    if overlap_tokens < 0:
        raise ValueError("overlap_tokens must not be negative")
    text, offsets = join_pages(pages)
    units: list[tuple[int, int, int]] = []  # (start, end, tokens): sentences or their pieces
    for start, end in split_sentences(text):
        tokens = count_tokens(text[start:end])
        if tokens <= max_tokens:
            units.append((start, end, tokens))
        else:
            units.extend(_split_long(text, start, end, tokens, count_tokens, max_tokens))

    chunks: list[TextChunk] = []
    packed = [
        (offset + first, offset + last, tokens)
        for offset, segment in _segments(units, sections)
        for first, last, tokens in _pack(text, segment, count_tokens, max_tokens, overlap_tokens)
    ]
    for first, last, tokens in packed:
        start, end = units[first][0], units[last - 1][1]
        page_start, page_end = page_of(offsets, start), page_of(offsets, end - 1)
        chunks.append(TextChunk(text[start:end], start, end, page_start, page_end, tokens))
    return chunks


def _segments(
    units: list[tuple[int, int, int]], sections: Sequence[tuple[int, int]]
) -> list[tuple[int, list[tuple[int, int, int]]]]:
    """Split units where a section starts: ``(index of the first unit, units)`` each."""
    starts = [start for start, _ in sections]
    segments: list[tuple[int, list[tuple[int, int, int]]]] = []
    first = 0
    for i in range(1, len(units)):
        section = bisect.bisect_right(starts, units[i][0]) - 1
        if section == bisect.bisect_right(starts, units[i - 1][0]) - 1:
            continue
        opened = bisect.bisect_right(starts, units[first][0]) - 1  # the segment's section
        if opened >= 0 and units[i - 1][1] <= sections[opened][1]:
            continue  # nothing but the heading so far: it stays with what follows
        segments.append((first, units[first:i]))
        first = i
    if units:
        segments.append((first, units[first:]))
    return segments


def _pack(
    text: str,
    units: list[tuple[int, int, int]],
    count_tokens: Callable[[str], int],
    max_tokens: int,
    overlap_tokens: int,
) -> list[tuple[int, int, int]]:
    """Group consecutive units into chunks: ``(first, last exclusive, tokens)`` each.

    Unit counts are added to fill a chunk; the chunk's own text is then counted once, since
    the gaps between sentences may cost tokens too, and trailing units are dropped while it
    is over budget. Only units new in a chunk are carried into the next one as overlap, so a
    unit appears in at most two chunks.
    """
    counts = [unit[2] for unit in units]

    def tokens_of(first: int, last: int) -> int:
        if last - first == 1:
            return counts[first]
        return count_tokens(text[units[first][0] : units[last - 1][1]])

    chunks: list[tuple[int, int, int]] = []
    start = 0  # first unit of the next chunk (an overlap unit, or the first new one)
    covered = 0  # units before this index are already in a chunk
    while covered < len(units):
        end, total = start, 0
        while end < len(units) and total + counts[end] <= max_tokens:
            total += counts[end]
            end += 1
        if end <= covered:
            if start < covered:  # the overlap leaves no room for a new unit: drop it
                start = covered
                continue
            end = covered + 1  # a unit over budget that could not be split further
        tokens = tokens_of(start, end)
        while tokens > max_tokens and end - 1 > covered:
            end -= 1
            tokens = tokens_of(start, end)
        if tokens > max_tokens and start < covered:
            start = covered
            continue
        chunks.append((start, end, tokens))
        new_from, covered = covered, end
        start, carried = end, 0
        while (
            start - 1 > chunks[-1][0]
            and start - 1 >= new_from
            and carried + counts[start - 1] <= overlap_tokens
        ):
            start -= 1
            carried += counts[start]
    return chunks


def _split_long(
    text: str,
    start: int,
    end: int,
    tokens: int,
    count_tokens: Callable[[str], int],
    max_tokens: int,
) -> list[tuple[int, int, int]]:
    """Split an overlong sentence into pieces of at most ``max_tokens``, preferring to cut
    between words; each piece's count comes from ``count_tokens`` (a binary search on length)."""
    pieces: list[tuple[int, int, int]] = []
    position = start
    remaining = tokens
    while True:
        if remaining <= max_tokens:
            pieces.append((position, end, remaining))
            return pieces
        # Tokens are roughly proportional to characters: search up to twice the estimate.
        estimate = (end - position) * max_tokens // remaining
        low, high = position + 1, min(end - 1, position + 2 * estimate + 1)
        cut, cut_tokens = position + 1, -1
        while low <= high:
            middle = (low + high) // 2
            count = count_tokens(text[position:middle])
            if count <= max_tokens:
                cut, cut_tokens = middle, count
                low = middle + 1
            else:
                high = middle - 1
        word_cut = _word_boundary(text, position, cut)
        if word_cut != cut:
            cut, cut_tokens = word_cut, -1
        piece_end = cut
        while text[piece_end - 1].isspace():
            piece_end -= 1
        if cut_tokens < 0 or piece_end != cut:
            cut_tokens = count_tokens(text[position:piece_end])
        pieces.append((position, piece_end, cut_tokens))
        position = cut
        while text[position].isspace():
            position += 1
        remaining = count_tokens(text[position:end])


def _word_boundary(text: str, start: int, cut: int) -> int:
    """Move ``cut`` back to the start of the Latin word it falls in, unless that word fills more
    than half the piece (then the word itself is cut)."""
    if not (_is_word_char(text[cut - 1]) and _is_word_char(text[cut])):
        return cut
    boundary = cut - 1
    while boundary > start and _is_word_char(text[boundary - 1]):
        boundary -= 1
    return boundary if boundary - start > (cut - start) // 2 else cut


def _is_word_char(char: str) -> bool:
    return char.isascii() and char.isalnum()
