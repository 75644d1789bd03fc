"""The ask use case: condense → retrieve → answer → citations pointing at exact document spans."""

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace

from app.citing import Citation, build_citations
from app.searching import SearchService
from generator.answerer import Answerer
from generator.offload import off_loop
from generator.records import Answer, Passage
from retriever.passages import stitch
from retriever.records import ChunkRecord, Hit

History = Sequence[tuple[str, str]]  # (role, content), oldest first


@dataclass(frozen=True)
class AskResult:
    answer: Answer
    hits: list[Hit]  # the passages the answerer saw, in rank order: [n] is hits[n - 1]
    citations: list[Citation]
    query: str  # the search query: the question, condensed with the history


def warnings_text(answer: Answer) -> str:
    """The answer's warnings as lines after its text, for clients that show only text."""
    return "".join(f"\n\n⚠ {w}" for w in answer.warnings)


def passages_for(hits: Sequence[Hit]) -> list[Passage]:
    """Passages in rank order; the score the answerer sees is the absolute dense similarity,
    since fused scores are normalized per query and cannot tell weak evidence from strong."""
    return [
        Passage(
            text=h.chunk.text,
            title=h.chunk.heading_path,  # "Title › Section" in the prompt
            page=h.chunk.page_start,
            score=h.dense_score if h.dense_score is not None else 0.0,
            source=h.chunk.source,
            document_id=h.chunk.document_id,
        )
        for h in hits
    ]


def _overlap(a: ChunkRecord, b: ChunkRecord) -> bool:
    return (
        a.document_id == b.document_id and a.char_start < b.char_end and b.char_start < a.char_end
    )


class AskService:
    """Runs questions through retrieval and the answerer; blocking steps go to the thread pool."""

    def __init__(
        self,
        searching: SearchService,
        answerer: Answerer,
        page_offsets: Callable[[int], list[int]],
        default_k: int,
        neighbours: Callable[[int, int], list[ChunkRecord]],
        passage_neighbours: int,
        passage_max_chars: int,
    ) -> None:
        self.searching = searching
        self.answerer = answerer
        self.page_offsets = page_offsets
        self.default_k = default_k
        self.neighbours = neighbours  # (chunk id, reach) → its section's chunks around it
        self.passage_neighbours = passage_neighbours
        self.passage_max_chars = passage_max_chars

    async def _retrieve(
        self, question: str, history: History, collection: str | None, top_k: int | None
    ) -> tuple[str, list[Hit]]:
        query = await self.answerer.condense(question, history) if history else question
        k = top_k or self.default_k
        hits = await off_loop(self._search_and_widen, query, k, collection)
        return query, hits

    def _search_and_widen(self, query: str, k: int, collection: str | None) -> list[Hit]:
        """Blocking. Small chunks are ranked; the answerer reads each with its neighbours,
        except those a better-ranked passage already holds: no text is shown twice."""
        hits = self.searching.search_to_answer(query, k, collection)
        if self.passage_neighbours <= 0:
            return hits
        shown: list[ChunkRecord] = []
        widened = []
        for hit in hits:
            free = [
                c
                for c in self.neighbours(hit.chunk.id, self.passage_neighbours)
                if c.id == hit.chunk.id or not any(_overlap(c, s) for s in shown)
            ]
            chunk = stitch(hit.chunk, free, self.passage_max_chars)
            shown.append(chunk)
            widened.append(replace(hit, chunk=chunk))
        return widened

    async def _result(self, answer: Answer, hits: list[Hit], query: str) -> AskResult:
        return await off_loop(self._cite, answer, hits, query)

    def _cite(self, answer: Answer, hits: list[Hit], query: str) -> AskResult:
        """Blocking: reads page offsets from the database and scores passage sentences."""
        doc_ids = {hits[n - 1].chunk.document_id for n in answer.cited if 1 <= n <= len(hits)}
        offsets = {d: self.page_offsets(d) for d in doc_ids}
        return AskResult(answer, hits, build_citations(answer, hits, offsets), query)

    async def ask(
        self,
        question: str,
        collection: str | None = None,
        top_k: int | None = None,
        history: History = (),
    ) -> AskResult:
        query, hits = await self._retrieve(question, history, collection, top_k)
        answer = await self.answerer.answer(question, passages_for(hits), history)
        return await self._result(answer, hits, query)

    async def stream(
        self,
        question: str,
        collection: str | None = None,
        top_k: int | None = None,
        history: History = (),
    ) -> AsyncIterator[str | AskResult]:
        """The answer's text a checked sentence at a time, then the final result with citations
        (see ``Answerer.stream_answer``: the text pieces joined end with the final answer's)."""
        query, hits = await self._retrieve(question, history, collection, top_k)
        async for item in self.answerer.stream_answer(question, passages_for(hits), history):
            if isinstance(item, str):
                yield item
            else:
                yield await self._result(item, hits, query)
