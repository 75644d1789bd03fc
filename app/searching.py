"""The search use case: a question's text, normalized like the documents were, to ranked chunks."""

from collections.abc import Sequence

from retriever.records import Hit
from retriever.search import HybridRetriever, SearchMode
from text.normalize import normalize_text


class SearchService:
    def __init__(self, retriever: HybridRetriever, default_k: int) -> None:
        self.retriever = retriever
        self.default_k = default_k

    def search(
        self,
        query: str,
        k: int | None = None,
        collection: str | None = None,
        document_ids: Sequence[int] | None = None,
        mode: SearchMode = "hybrid",
    ) -> list[Hit]:
        """Blocking (embeds the query, reads SQL): call it off the event loop."""
        k = k or self.default_k
        return self.retriever.search(normalize_text(query), k, collection, document_ids, mode)

    def search_to_answer(self, query: str, k: int, collection: str | None = None) -> list[Hit]:
        """Hits for an answer: their dense score is the question's own similarity, which the
        answerer reads as evidence (not the translated query's). Blocking."""
        normalized = normalize_text(query)
        hits = self.retriever.search(normalized, k, collection)
        return self.retriever.question_similarity(normalized, hits)
