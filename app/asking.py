"""The ask use case: condense → retrieve → answer → citations pointing at exact document spans."""

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from generator.offload import off_loop
from generator.records import Answer, Passage
from retriever.records import Hit
from text.lexical import features
from text.pages import page_of
from text.sentences import split_sentences

if TYPE_CHECKING:
    from app.kotae import Kotae
    from generator.answerer import Answerer

History = Sequence[tuple[str, str]]  # (role, content), oldest first


@dataclass(frozen=True)
class CitationOut:
    n: int
    chunk_id: int
    document_id: int
    source: str
    title: str
    page: int
    char_start: int  # the cited span in the document's normalized text
    char_end: int
    text: str  # the whole passage
    highlight_start: int  # the cited span inside `text`
    highlight_end: int
    supported: bool

    def to_json(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class AskResult:
    answer: Answer
    hits: list[Hit]
    citations: list[CitationOut]
    query: str

    def to_json(self) -> dict[str, object]:
        a = self.answer
        return {
            "answer": a.text,
            "citations": [c.to_json() for c in self.citations],
            "abstained": a.abstained,
            "mode": a.mode,
            "language": a.language,
            "warnings": list(a.warnings),
            "unsupported_sentences": [s.text for s in a.sentences if not s.supported],
            "query": self.query,
            # The closest passages, shown with abstentions and useful to any client.
            "passages": [
                {
                    "n": i,
                    "chunk_id": h.chunk.id,
                    "document_id": h.chunk.document_id,
                    "title": h.chunk.title,
                    "source": h.chunk.source,
                    "page": h.chunk.page_start,
                    "text": h.chunk.text,
                    "score": round(h.score, 6),
                }
                for i, h in enumerate(self.hits, 1)
            ],
        }


def warnings_text(answer: Answer) -> str:
    """The answer's warnings as lines after its text, for clients that show only text."""
    return "".join(f"\n\n⚠ {w}" for w in answer.warnings)


def passages_for(hits: Sequence[Hit]) -> list[Passage]:
    """Passages in rank order; the score the answerer sees is the absolute dense similarity,
    since fused scores are normalized per query and cannot tell weak evidence from strong."""
    return [
        Passage(
            text=h.chunk.text,
            title=h.chunk.title,
            page=h.chunk.page_start,
            score=h.dense_score if h.dense_score is not None else 0.0,
        )
        for h in hits
    ]


def best_span(passage: str, claims: Sequence[str]) -> tuple[int, int]:
    """The sentence of `passage` that overlaps most with the sentences citing it."""
    spans = split_sentences(passage)
    if not spans or not claims:
        return 0, len(passage)
    wanted = set().union(*(features(c) for c in claims))
    scored = [(len(features(passage[s:e]) & wanted), -(e - s), s, e) for s, e in spans]
    best = max(scored)
    return (best[2], best[3]) if best[0] > 0 else (0, len(passage))


def build_citations(
    answer: Answer, hits: Sequence[Hit], page_offsets: dict[int, list[int]]
) -> list[CitationOut]:
    out = []
    for n in answer.cited:
        if not 1 <= n <= len(hits):
            continue
        chunk = hits[n - 1].chunk
        claims = [s.text for s in answer.sentences if n in s.passages]
        start, end = best_span(chunk.text, claims)
        supported = all(s.supported for s in answer.sentences if n in s.passages)
        offsets = page_offsets.get(chunk.document_id) or []
        doc_start = chunk.char_start + start
        out.append(
            CitationOut(
                n=n,
                chunk_id=chunk.id,
                document_id=chunk.document_id,
                source=chunk.source,
                title=chunk.title,
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


class AskService:
    """Runs questions through retrieval and the answerer; blocking steps go to the thread pool."""

    def __init__(self, kotae: "Kotae", answerer: "Answerer") -> None:
        self.kotae = kotae
        self.answerer = answerer

    async def _retrieve(
        self, question: str, history: History, collection: str | None, top_k: int
    ) -> tuple[str, list[Hit]]:
        query = await self.answerer.condense(question, history) if history else question
        hits = await off_loop(self.kotae.search, query, top_k, collection)
        return query, hits

    async def _result(self, answer: Answer, hits: list[Hit], query: str) -> AskResult:
        return await off_loop(self._cite, answer, hits, query)

    def _cite(self, answer: Answer, hits: list[Hit], query: str) -> AskResult:
        """Blocking: reads page offsets from the database and scores passage sentences."""
        doc_ids = {hits[n - 1].chunk.document_id for n in answer.cited if 1 <= n <= len(hits)}
        offsets = {d: self.kotae.corpus.page_offsets(d) for d in doc_ids}
        return AskResult(answer, hits, build_citations(answer, hits, offsets), query)

    async def ask(
        self, question: str, collection: str | None = None, top_k: int = 5, history: History = ()
    ) -> AskResult:
        query, hits = await self._retrieve(question, history, collection, top_k)
        answer = await self.answerer.answer(question, passages_for(hits), history)
        return await self._result(answer, hits, query)

    async def stream(
        self, question: str, collection: str | None = None, top_k: int = 5, history: History = ()
    ) -> AsyncIterator[str | AskResult]:
        """The answer's text a checked sentence at a time, then the final result with citations
        (see ``Answerer.stream_answer``: the text pieces joined end with the final answer's)."""
        query, hits = await self._retrieve(question, history, collection, top_k)
        async for item in self.answerer.stream_answer(question, passages_for(hits), history):
            if isinstance(item, str):
                yield item
            else:
                yield await self._result(item, hits, query)
