"""Hybrid retrieval: dense (FAISS) and keyword (BM25) candidates, fused, optionally reranked."""

from collections.abc import Sequence
from typing import Literal, Protocol

import numpy as np

from retriever.corpus import Corpus
from retriever.embedder import Embedder
from retriever.fusion import reciprocal_rank_fusion, weighted_score_fusion
from retriever.indexes import DerivedIndexes
from retriever.records import Hit

SearchMode = Literal["hybrid", "dense", "keyword"]
FusionMethod = Literal["weighted", "rrf"]


class Reranker(Protocol):
    def rerank(self, query: str, hits: list[Hit]) -> list[Hit]: ...


class CrossEncoderReranker:
    """Optional reranker: a local sentence-transformers CrossEncoder folder (none is bundled)."""

    def __init__(self, model_path: str, device: str | None = None) -> None:
        from sentence_transformers import CrossEncoder

        self.model = CrossEncoder(model_path, device=device, local_files_only=True)

    def rerank(self, query: str, hits: list[Hit]) -> list[Hit]:
        if not hits:
            return hits
        scores = self.model.predict([(query, h.chunk.text) for h in hits])
        order = np.argsort(-np.asarray(scores), kind="stable")
        return [
            Hit(hits[i].chunk, float(scores[i]), hits[i].dense_score, hits[i].keyword_score)
            for i in order
        ]


class HybridRetriever:
    def __init__(
        self,
        corpus: Corpus,
        embedder: Embedder,
        indexes: DerivedIndexes,
        fusion: FusionMethod = "rrf",
        dense_weight: float = 0.5,
        candidates: int = 50,
        reranker: Reranker | None = None,
    ) -> None:
        self.corpus = corpus
        self.embedder = embedder
        self.indexes = indexes
        self.fusion = fusion
        self.dense_weight = dense_weight
        self.candidates = candidates
        self.reranker = reranker

    def search(
        self,
        query: str,
        k: int = 10,
        collection: str | None = None,
        document_ids: Sequence[int] | None = None,
        mode: SearchMode = "hybrid",
    ) -> list[Hit]:
        """Top-k chunks for an already-normalized query; filters apply before the cut."""
        self.indexes.catch_up()
        allowed = None
        if collection is not None or document_ids is not None:
            allowed = self.corpus.chunk_ids(collection, document_ids)
            if len(allowed) == 0:
                return []
        n = max(self.candidates, k)
        dense: list[tuple[int, float]] = []
        keyword: list[tuple[int, float]] = []
        if mode != "keyword":
            vector = self.embedder.encode_queries([query])[0]
            dense = self.indexes.dense_search(vector, n, allowed)
        if mode != "dense":
            keyword = self.indexes.keyword_search(query, n, allowed)
        if mode == "dense":
            fused = dense
        elif mode == "keyword":
            fused = keyword
        elif self.fusion == "rrf":
            fused = reciprocal_rank_fusion([dense, keyword])
        else:
            fused = weighted_score_fusion(dense, keyword, self.dense_weight)
        top = fused[: n if self.reranker else k]
        records = self.corpus.chunks_by_ids([cid for cid, _ in top])
        dense_scores, keyword_scores = dict(dense), dict(keyword)
        # A chunk deleted after the index answered is simply skipped.
        hits = [
            Hit(records[cid], score, dense_scores.get(cid), keyword_scores.get(cid))
            for cid, score in top
            if cid in records
        ]
        if self.reranker is not None:
            hits = self.reranker.rerank(query, hits)
        return hits[:k]
