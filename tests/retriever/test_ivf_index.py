"""The approximate (IVF) dense store against exact search, and the switch between them."""

import time
from pathlib import Path

import numpy as np
import pytest

from retriever.corpus import Corpus
from retriever.faiss_index import FaissIndex
from retriever.indexes import DerivedIndexes
from retriever.ivf_index import IvfIndex
from retriever.records import NewChunk, NewDocument
from retriever.vector_stores import SizedStores
from tests.conftest import migrate

pytestmark = pytest.mark.unit

DIM = 32


def clustered(n: int, seed: int = 0, centres: int = 50) -> np.ndarray:
    """Unit vectors around a few centres, as embeddings of documents on a few topics are."""
    rng = np.random.default_rng(seed)
    centre = rng.normal(size=(centres, DIM))
    x = centre[rng.integers(0, centres, n)] + 0.6 * rng.normal(size=(n, DIM))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def both(vectors: np.ndarray, nlist: int = 64, nprobe: int = 8) -> tuple[IvfIndex, FaissIndex]:
    ids = np.arange(1, len(vectors) + 1)
    ivf, exact = IvfIndex(DIM, nlist, nprobe), FaissIndex(DIM, use_gpu=False)
    ivf.add(ids, vectors)
    exact.add(ids, vectors)
    return ivf, exact


def ids_of(hits: list[tuple[int, float]]) -> list[int]:
    return [i for i, _ in hits]


def test_top_10_agrees_with_exact_search():
    ivf, exact = both(clustered(20_000))
    queries = clustered(100, seed=1)
    found = [
        len(set(ids_of(ivf.search(q, 10))) & set(ids_of(exact.search(q, 10)))) for q in queries
    ]
    assert sum(found) / (10 * len(queries)) >= 0.95
    # Fewer probes read fewer lists and miss more: the probe count is what recall turns on.
    ivf.nprobe = 1
    fewer = [
        len(set(ids_of(ivf.search(q, 10))) & set(ids_of(exact.search(q, 10)))) for q in queries
    ]
    assert sum(fewer) < sum(found)


def test_replace_remove_and_filters_match_exact_search():
    vectors = clustered(5_000)
    ivf, exact = both(vectors)
    q = vectors[41]
    replacement = clustered(1, seed=9)
    for index in (ivf, exact):
        index.add(np.array([7]), replacement)  # an id added again replaces its vector
        index.remove([42, 10**12])  # absent ids are ignored
    assert len(ivf) == len(exact) == 4_999
    assert ids_of(ivf.search(replacement[0], 1)) == [7]
    assert 42 not in ids_of(ivf.search(q, 50))
    small = np.arange(100, 400)
    assert ids_of(ivf.search(q, 5, small)) == ids_of(exact.search(q, 5, small))
    with_stale_ids = np.array([42, 101, 102, 10**12])  # 42 was removed: not in the index
    assert ids_of(ivf.search(q, 5, with_stale_ids)) == ids_of(exact.search(q, 5, with_stale_ids))
    assert ivf.search(q, 5, np.array([], dtype=np.int64)) == []


def test_a_large_filter_probes_more_lists(monkeypatch):
    monkeypatch.setattr("retriever.ivf_index.EXACT_FILTER_MAX", 100)
    vectors = clustered(10_000)
    ivf, exact = both(vectors, nprobe=4)
    half = np.arange(1, 10_001, 2)
    hits = ids_of(ivf.search(vectors[0], 10, half))
    assert set(hits) <= set(half.tolist())
    assert len(set(hits) & set(ids_of(exact.search(vectors[0], 10, half)))) >= 9


def test_snapshot_round_trip_and_the_wrong_kind(tmp_path: Path):
    vectors = clustered(3_000)
    ivf, exact = both(vectors)
    ivf.save(tmp_path / "ivf.faiss")
    exact.save(tmp_path / "exact.faiss")
    stores = SizedStores(DIM, use_gpu=False, approximate_above=1_000, nprobe=8)
    loaded = stores.load(tmp_path / "ivf.faiss")
    assert isinstance(loaded, IvfIndex) and len(loaded) == 3_000
    assert loaded.search(vectors[5], 3) == ivf.search(vectors[5], 3)
    assert isinstance(stores.load(tmp_path / "exact.faiss"), FaissIndex)
    with pytest.raises(ValueError, match="not an IVF index"):
        IvfIndex(DIM, 8, 2).load(tmp_path / "exact.faiss")
    with pytest.raises(ValueError, match="dim"):
        IvfIndex(DIM * 2, 8, 2).load(tmp_path / "ivf.faiss")


def test_vectors_wait_until_there_are_enough_to_train_on():
    index = IvfIndex(DIM, nlist=64, nprobe=64)
    vectors = clustered(20)
    index.add(np.arange(20), vectors)
    index.remove([3])
    assert len(index) == 19
    # Too few to train 64 lists: it trains fewer, and still finds everything.
    assert ids_of(index.search(vectors[5], 1)) == [5]
    assert index.nlist == 1 and len(index) == 19


def test_the_store_follows_the_collection_size():
    stores = SizedStores(DIM, use_gpu=False, approximate_above=1_000, nprobe=8)
    assert isinstance(stores.new(999), FaissIndex) and isinstance(stores.new(1_000), IvfIndex)
    exact, ivf = FaissIndex(DIM, use_gpu=False), stores.new(5_000)
    assert not stores.suits(exact, 1_000) and stores.suits(exact, 999)
    assert stores.suits(ivf, 500) and not stores.suits(ivf, 499)  # kept down to half
    assert stores.suits(ivf, 19_000) and not stores.suits(ivf, 21_000)  # lists outgrown
    assert isinstance(SizedStores(DIM, False, 0, 8).new(10**7), FaissIndex)  # 0: never
    assert SizedStores(DIM, True, 1_000, 8).suits(exact, 10**7)  # a GPU searches exactly


def store(corpus: Corpus, name: str, vectors: np.ndarray) -> int:
    chunks = [NewChunk(f"{name} {i}", 0, 5, 1, 1, 2, v) for i, v in enumerate(vectors)]
    document = NewDocument("c", name, name, "text/plain", name, 1, [0], 1)
    return corpus.store_document(document, chunks).document_id


def wait_for(kind: type, indexes: DerivedIndexes) -> None:
    deadline = time.monotonic() + 60
    while not isinstance(indexes.dense, kind) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert isinstance(indexes.dense, kind)


def test_derived_indexes_switch_stores_as_the_collection_grows_and_shrinks(tmp_path):
    corpus = Corpus(migrate(f"sqlite:///{tmp_path / 'kotae.db'}"))
    stores = SizedStores(DIM, use_gpu=False, approximate_above=2_000, nprobe=8)
    vectors = clustered(3_000)
    first = store(corpus, "a", vectors[:1_500])
    indexes = DerivedIndexes(corpus, tmp_path / "index", DIM, "m", str.split, stores, 0.0).open()
    assert isinstance(indexes.dense, FaissIndex)
    store(corpus, "b", vectors[1_500:])
    indexes.catch_up(force=True)  # past the threshold: rebuilt as IVF in the background
    wait_for(IvfIndex, indexes)
    assert indexes.chunk_count == 3_000
    hits = indexes.dense_search(vectors[2_500], 1, None)
    assert corpus.chunks_by_ids(ids_of(hits))[hits[0][0]].text == "b 1000"
    reopened = DerivedIndexes(corpus, tmp_path / "index", DIM, "m", str.split, stores, 0.0)
    assert isinstance(reopened.open().dense, IvfIndex)  # the snapshot holds the IVF store
    corpus.delete_document(first)
    store(corpus, "c", vectors[:10])
    assert indexes.catch_up(force=True) > 0  # 1,510 left, above half the threshold: kept
    assert isinstance(indexes.dense, IvfIndex) and indexes.chunk_count == 1_510
    corpus.delete_document(first + 1)
    indexes.catch_up(force=True)
    wait_for(FaissIndex, indexes)
    assert indexes.chunk_count == 10
