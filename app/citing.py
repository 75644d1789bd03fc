"""Citations: each cited passage number of an answer, turned into the exact document span."""

from collections.abc import Sequence
from dataclasses import dataclass

from generator.records import Answer
from retriever.records import Hit
from text.pages import page_of


@dataclass(frozen=True)
class Citation:
    """A cited passage and the span of it the answer cites (also the wire shape: /v1/ask)."""

    n: int
    chunk_id: int
    document_id: int
    source: str
    title: str
    context: str  # "Title › Section › Subsection": where the passage sits
    page: int
    char_start: int  # the cited span in the document's normalized text
    char_end: int
    text: str  # the whole passage
    highlight_start: int  # the cited span inside `text`
    highlight_end: int
    supported: bool


def build_citations(
    answer: Answer, hits: Sequence[Hit], page_offsets: dict[int, list[int]]
) -> list[Citation]:
    """One citation per valid cited number; `page_offsets` maps document id to page starts."""
    out = []
    for n in answer.cited:
        if not 1 <= n <= len(hits):
            continue
        chunk = hits[n - 1].chunk
        # What the answerer quoted or was checked against: highlighted is what was cited.
        start, end = answer.cited_span(n) or (0, len(chunk.text))
        supported = all(s.supported for s in answer.sentences if n in s.passages)
        offsets = page_offsets.get(chunk.document_id) or []
        doc_start = chunk.char_start + start
        out.append(
            Citation(
                n=n,
                chunk_id=chunk.id,
                document_id=chunk.document_id,
                source=chunk.source,
                title=chunk.title,
                context=chunk.heading_path,
                page=page_of(offsets, doc_start) if offsets else chunk.page_start,
                char_start=doc_start,
                char_end=chunk.char_start + end,
                text=chunk.text,
                highlight_start=start,
                highlight_end=end,
                supported=supported,
            )
        )
    return out
