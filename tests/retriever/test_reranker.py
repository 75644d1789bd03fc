"""CrossEncoderReranker with a real local model: the bundled e5-small folder loaded as a
CrossEncoder (its classification head is freshly initialized, so the scores mean nothing,
but they are the model's own and the reranker must follow them)."""

import numpy as np
import pytest

from retriever.e5_convert import build_e5_small
from retriever.records import ChunkRecord, Hit
from retriever.reranker import CrossEncoderReranker

pytestmark = pytest.mark.integration

TEXTS = [
    "灯台の高さは32メートルです。",
    "この農園では毎年秋にりんごを収穫します。",
    "The lighthouse was first lit in 1902.",
    "大規模言語モデルは大量のテキストで事前学習されます。",
    "Apples are harvested every autumn.",
]


def hit(chunk_id: int, text: str) -> Hit:
    chunk = ChunkRecord(chunk_id, 1, "c", "s.txt", "s", text, 1, 1, 0, len(text))
    return Hit(chunk, score=1.0 / chunk_id, dense_score=0.5, keyword_score=None)


def test_rerank_orders_every_hit_by_the_models_own_scores(model_cache_dir):
    path = build_e5_small(model_cache_dir / "multilingual-e5-small")
    reranker = CrossEncoderReranker(str(path), device="cpu")
    query = "How tall is the lighthouse?"
    hits = [hit(i, t) for i, t in enumerate(TEXTS, start=1)]

    reranked = reranker.rerank(query, hits)

    predicted = np.asarray(reranker.model.predict([(query, t) for t in TEXTS]))
    expected_ids = [int(i) + 1 for i in np.argsort(-predicted, kind="stable")]
    assert [h.chunk_id for h in reranked] == expected_ids
    assert [h.score for h in reranked] == pytest.approx(sorted(predicted, reverse=True))
    assert all(h.dense_score == 0.5 and h.keyword_score is None for h in reranked)
    assert reranker.rerank(query, []) == []
