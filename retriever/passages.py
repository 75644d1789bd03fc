"""Small to big: a retrieved chunk widened with its neighbours from the same section.

Search ranks small chunks; the answerer reads each with the chunks around it (same document,
same heading path) up to a character budget, so a fact in the sentence after the one that
matched is still in front of it. The widened passage keeps exact document offsets: a citation
into it maps back to the document like a citation into the chunk.
"""

from collections.abc import Sequence
from dataclasses import replace

from retriever.records import ChunkRecord


def stitch(chunk: ChunkRecord, neighbours: Sequence[ChunkRecord], max_chars: int) -> ChunkRecord:
    """``chunk`` grown by ``neighbours`` (its document's chunks in order, itself included),
    nearest first, while the span stays within ``max_chars``."""
    ordered = sorted(neighbours, key=lambda c: c.char_start)
    at = next((i for i, c in enumerate(ordered) if c.id == chunk.id), None)
    if at is None:
        return chunk
    first = last = at
    grew = True
    while grew:
        grew = False
        for candidate in (last + 1, first - 1):  # the next chunk first: facts follow headings
            if not 0 <= candidate < len(ordered):
                continue
            start = min(ordered[first].char_start, ordered[candidate].char_start)
            end = max(ordered[last].char_end, ordered[candidate].char_end)
            if end - start <= max_chars:
                first, last = min(first, candidate), max(last, candidate)
                grew = True
    if first == last:
        return chunk
    span = ordered[first : last + 1]
    return replace(
        chunk,
        text=_joined(span),
        char_start=span[0].char_start,
        char_end=max(c.char_end for c in span),
        page_start=min(c.page_start for c in span),
        page_end=max(c.page_end for c in span),
    )


def _joined(span: Sequence[ChunkRecord]) -> str:
    """The document text the chunks cover: overlaps taken once, the whitespace between two
    chunks (never stored) as a space or line breaks of the same length, so offsets hold."""
    parts: list[str] = []
    cursor = span[0].char_start
    for c in span:
        if c.char_end <= cursor:
            continue
        if c.char_start > cursor:
            gap = c.char_start - cursor
            parts.append(" " if gap == 1 else "\n" * gap)
            cursor = c.char_start
        parts.append(c.text[cursor - c.char_start :])
        cursor = c.char_end
    return "".join(parts)
