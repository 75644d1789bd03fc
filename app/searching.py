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
