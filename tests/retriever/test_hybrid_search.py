"""Hybrid search with the real bundled model, real FAISS and real SQLite: cross-lingual
questions, compounds, filters before the cut, deletes, snapshots and replay, reranking."""

import numpy as np
import pytest

from retriever.corpus import Corpus
from retriever.e5_convert import build_e5_small
from retriever.embedder import SentenceEmbedder
from retriever.faiss_index import FaissIndex
from retriever.indexes import DerivedIndexes
from retriever.jmdict import JmdictDictionary
from retriever.keyword_bridge import KeywordBridge
from retriever.records import Hit, NewChunk, NewDocument
from retriever.search import HybridRetriever
from retriever.tokenizer import JapaneseTokenizer
from retriever.vector_index import OneKind
from tests.conftest import migrate

pytestmark = pytest.mark.integration

DOCS = {
    ("city", "lighthouse.txt"): [
        "岬の灯台は1902年に初めて点灯しました。",
        "灯台の高さは32メートルです。",
    ],
    ("city", "llm.txt"): ["大規模言語モデルは大量のテキストで事前学習されます。"],
    ("farm", "apples.txt"): ["この農園では毎年秋に約4000キロのりんごを収穫します。"],
}


@pytest.fixture(scope="module")
def embedder(model_cache_dir):
    return SentenceEmbedder(build_e5_small(model_cache_dir / "multilingual-e5-small"), "cpu")


@pytest.fixture
def stack(tmp_path, embedder):
    corpus = Corpus(migrate(f"sqlite:///{tmp_path / 'kotae.db'}"))
    ids = {}
    for (collection, source), texts in DOCS.items():
        vectors = embedder.encode_passages(texts)
        chunks = [NewChunk(t, 0, len(t), 1, 1, 10, v) for t, v in zip(texts, vectors, strict=True)]
        stored = corpus.store_document(
            NewDocument(
                collection=collection,
                source=source,
                title=source,
                mime="text/plain",
                content_hash=source,
                size=1,
                page_offsets=[0],
                text_version=1,
            ),
            chunks,
        )
        ids[source] = stored.document_id
    indexes = open_indexes(corpus, tmp_path, embedder)
    retriever = HybridRetriever(
        corpus,
        embedder,
        indexes,
        fusion="rrf",
        dense_weight=0.5,
        candidates=50,
        reranker=None,
        keyword_bridge=None,
        keep_leaders=True,
    )
    return corpus, indexes, retriever, ids


def open_indexes(corpus: Corpus, tmp_path, embedder) -> DerivedIndexes:
    return DerivedIndexes(
        corpus,
        tmp_path / "index",
        embedder.dim,
        embedder.name,
        JapaneseTokenizer().tokenize,
        vector_stores=OneKind(lambda: FaissIndex(embedder.dim, use_gpu=None)),
        poll_interval=0.5,
    ).open()


def top_text(hits: list[Hit]) -> str:
    return hits[0].chunk.text


def test_english_question_finds_the_japanese_passage(stack):
    _, _, retriever, _ = stack
    assert "32メートル" in top_text(retriever.search("How tall is the lighthouse?", 3))
    assert "りんご" in top_text(retriever.search("How many apples are harvested?", 3))


def bridged(stack, dense_translations: int = 0) -> HybridRetriever:
    """The stack's retriever with the keyword bridge (real JMdict)."""
    corpus, indexes, plain, _ = stack
    jmdict = JmdictDictionary.installed()
    assert jmdict is not None
    bridge = KeywordBridge(
        JapaneseTokenizer(), jmdict, weight=0.5, max_alternatives=4, glossary=True
    )
    return HybridRetriever(
        corpus,
        plain.embedder,
        indexes,
        fusion="rrf",
        dense_weight=0.5,
        candidates=50,
        reranker=None,
        keyword_bridge=bridge,
        keep_leaders=True,
        dense_translations=dense_translations,
    )


def test_keyword_bridge_lets_bm25_answer_across_languages(stack):
    plain, bridged_retriever = stack[2], bridged(stack)
    question = "When was the lighthouse first lit?"
    assert plain.search(question, 3, mode="keyword") == []
    hits = bridged_retriever.search(question, 3, mode="keyword")
    assert {h.chunk.source for h in hits} == {"lighthouse.txt"}
    assert "1902年" in top_text(bridged_retriever.search(question, 3))


def test_compound_found_by_its_part_in_keyword_mode(stack):
    _, _, retriever, _ = stack
    hits = retriever.search("言語モデル", 3, mode="keyword")
    assert hits and "大規模言語モデル" in top_text(hits)


def test_filters_apply_before_the_cut(stack):
    _, _, retriever, ids = stack
    hits = retriever.search("灯台の高さ", 1, collection="farm")
    assert [h.chunk.source for h in hits] == ["apples.txt"]
    hits = retriever.search("りんご", 5, document_ids=[ids["llm.txt"]])
    assert {h.chunk.source for h in hits} == {"llm.txt"}
    assert retriever.search("灯台", 5, collection="nowhere") == []


def test_deleted_document_never_answers_and_snapshot_replays(stack, tmp_path, embedder):
    corpus, indexes, retriever, ids = stack
    indexes.save()
    corpus.delete_document(ids["lighthouse.txt"])  # after the snapshot: must be replayed
    indexes.catch_up(force=True)
    assert all(h.chunk.source != "lighthouse.txt" for h in retriever.search("灯台", 5))
    reopened = open_indexes(corpus, tmp_path, embedder)
    assert reopened.seq == corpus.last_seq() and len(reopened.dense) == 2
    assert len(reopened.keyword) == 2
    assert reopened.rebuild() == 2


def test_reranker_seam_reorders(stack):
    _, _, retriever, _ = stack

    class Reverse:
        def rerank(self, query: str, hits: list[Hit]) -> list[Hit]:
            return list(reversed(hits))

    plain = [h.chunk.id for h in retriever.search("灯台", 4)]
    retriever.candidates = 4
    retriever.reranker = Reverse()
    assert [h.chunk.id for h in retriever.search("灯台", 4)] == list(reversed(plain))


def test_vectors_are_normalized(embedder):
    v = embedder.encode_queries(["テスト", "test"])
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)


def test_each_retrievers_first_candidate_is_kept_in_the_top_k(stack, monkeypatch):
    _, indexes, retriever, _ = stack
    chunks = sorted(c.id for c in retriever.corpus.chunks_by_ids(range(1, 100)).values())
    a, b, c, d = chunks[:4]
    # Fixed lists on the real corpus: `a` is first for FAISS alone, `d` for BM25 alone.
    monkeypatch.setattr(indexes, "dense_search", lambda *_: [(a, 0.9), (b, 0.8), (c, 0.7)])
    monkeypatch.setattr(indexes, "keyword_search", lambda *_: [(d, 9.0), (b, 5.0), (c, 4.0)])
    assert [h.chunk.id for h in retriever.search("q", 2)] == [b, a]  # never in place of b
    assert [h.chunk.id for h in retriever.search("q", 3)] == [b, a, d]
    retriever.keep_leaders = False
    assert [h.chunk.id for h in retriever.search("q", 2)] == [b, c]


def test_faiss_is_asked_the_question_with_its_translations(stack):
    corpus, indexes, plain, _ = stack

    def dense_hits(translations: int) -> dict[str, float]:
        hits = bridged(stack, translations).search("How tall is the lighthouse?", 4, mode="dense")
        return {h.chunk.text: h.dense_score or 0.0 for h in hits}

    alone, translated = dense_hits(0), dense_hits(2)
    answer = "灯台の高さは32メートルです。"
    # The question now also says 灯台 and 高さ: the Japanese passage is nearer, and first.
    assert translated[answer] > alone[answer] + 0.01
    assert max(translated, key=translated.__getitem__) == answer
    # What an answerer reads is the question's own similarity, as without translations.
    question = "How tall is the lighthouse?"
    hits = bridged(stack, 2).search(question, 4)
    own = {
        h.chunk.text: h.dense_score for h in bridged(stack, 2).question_similarity(question, hits)
    }
    assert own == pytest.approx(alone)
    assert [h.chunk_id for h in bridged(stack, 2).question_similarity(question, hits)] == [
        h.chunk_id for h in hits
    ]
    with pytest.raises(ValueError, match="dense_translations"):
        HybridRetriever(corpus, plain.embedder, indexes, "rrf", 0.5, 50, None, None, True, -1)
