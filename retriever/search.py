"""Hybrid retrieval: dense (vector) and keyword (BM25) candidates, fused, optionally reranked."""

from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

import numpy as np

from retriever.corpus import Corpus
from retriever.embedder import Embedder
from retriever.fusion import keep_leaders, reciprocal_rank_fusion, weighted_score_fusion
from retriever.indexes import DerivedIndexes
from retriever.keyword_bridge import KeywordBridge
from retriever.records import Hit
from retriever.reranker import Reranker

SearchMode = Literal["hybrid", "dense", "keyword"]
FusionMethod = Literal["weighted", "rrf"]


class HybridRetriever:
    def __init__(
        self,
        corpus: Corpus,
        embedder: Embedder,
        indexes: DerivedIndexes,
        fusion: FusionMethod,
        dense_weight: float,
        candidates: int,
        reranker: Reranker | None,
        keyword_bridge: KeywordBridge | None,
        keep_leaders: bool,
        dense_translations: int = 0,
    ) -> None:
        """`fusion` combines the dense and keyword lists ("rrf" by rank, "weighted" by
        normalized score with `dense_weight` on the dense side); each list is `candidates`
        long (at least k), and so is what `reranker`, if any, reorders before the cut.
        `keyword_bridge` adds Japanese <-> English translations of question words to BM25;
        `keep_leaders` keeps each list's first candidate in a hybrid top k (no reranker);
        `dense_translations` (with a bridge) appends that many of each question word's
        translations to the question FAISS is asked with (0: the question alone)."""
        if fusion not in ("rrf", "weighted"):
            raise ValueError(f"fusion must be 'rrf' or 'weighted', got {fusion!r}")
        if not 0.0 <= dense_weight <= 1.0:
            raise ValueError(f"dense_weight must be in [0, 1], got {dense_weight}")
        if candidates < 1:
            raise ValueError(f"candidates must be >= 1, got {candidates}")
        if dense_translations < 0:
            raise ValueError(f"dense_translations must be >= 0, got {dense_translations}")
        self.corpus = corpus
        self.embedder = embedder
        self.indexes = indexes
        self.fusion = fusion
        self.dense_weight = dense_weight
        self.candidates = candidates
        self.reranker = reranker
        self.keyword_bridge = keyword_bridge
        self.keep_leaders = keep_leaders
        self.dense_translations = dense_translations

    def search(
        self,
        query: str,
        k: int,
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
            vector = self.embedder.encode_queries([self._dense_query(query)])[0]
            dense = self.indexes.dense_search(vector, n, allowed)
        if mode != "dense":
            expand = self.keyword_bridge.expand if self.keyword_bridge else None
            keyword = self.indexes.keyword_search(query, n, allowed, expand)
        if mode == "dense":
            fused = dense
        elif mode == "keyword":
            fused = keyword
        elif self.fusion == "rrf":
            fused = reciprocal_rank_fusion([dense, keyword])
        else:
            fused = weighted_score_fusion(dense, keyword, self.dense_weight)
        if mode == "hybrid" and self.keep_leaders and self.reranker is None:
            fused = keep_leaders(fused, [dense, keyword], k)
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

    def question_similarity(self, query: str, hits: Sequence[Hit]) -> list[Hit]:
        """The hits with the question's own dense similarity as their dense score. A search's
        dense scores are the translated query's (see `dense_translations`), which translations
        raise for every chunk; an answerer reads the score as an absolute measure of evidence.
        Costs one more query embedding when the two differ."""
        if not hits or self._dense_query(query) == query:
            return list(hits)
        vector = self.embedder.encode_queries([query])[0]
        ids = np.array([h.chunk_id for h in hits], dtype=np.int64)
        scores = dict(self.indexes.dense_search(vector, len(ids), ids))
        return [replace(h, dense_score=scores.get(h.chunk_id)) for h in hits]

    def _dense_query(self, query: str) -> str:
        if self.keyword_bridge is None or self.dense_translations == 0:
            return query
        return self.keyword_bridge.translated_query(query, self.dense_translations)
