"""Rerankers: reorder the fused candidates of a search before the top-k cut.

A reranker is one class with `rerank`; the app builds it and hands it to HybridRetriever.
"""

from typing import Protocol

import numpy as np

from retriever.records import Hit


class Reranker(Protocol):
    def rerank(self, query: str, hits: list[Hit]) -> list[Hit]:
        """All of `hits`, best first, each scored by the reranker."""
        ...


class CrossEncoderReranker:
    """A local sentence-transformers CrossEncoder folder (none is bundled) scores each
    (question, chunk text) pair; nothing is downloaded."""

    def __init__(self, model_path: str, device: str | None) -> None:
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
