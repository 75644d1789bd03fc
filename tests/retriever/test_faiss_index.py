import numpy as np
import pytest

from retriever.faiss_index import FaissIndex

pytestmark = pytest.mark.unit


def unit_vectors(n: int, dim: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_exhaustive_inner_product_with_stable_ids(tmp_path):
    vectors = unit_vectors(50, 16)
    ids = np.arange(1000, 1050)
    index = FaissIndex(16, use_gpu=False)
    index.add(ids, vectors)
    hits = index.search(vectors[7], 3)
    # float16 storage on the CPU: scores within 2^-11 of the float32 cosine.
    assert hits[0][0] == 1007 and hits[0][1] == pytest.approx(1.0, abs=5e-4)
    for chunk_id, score in hits:
        assert score == pytest.approx(float(vectors[chunk_id - 1000] @ vectors[7]), abs=5e-4)
    expected = np.argsort(-(vectors @ vectors[7]))[:3] + 1000
    assert [h[0] for h in hits] == expected.tolist()


def test_remove_readd_filter_and_snapshot(tmp_path):
    vectors = unit_vectors(20, 8)
    index = FaissIndex(8, use_gpu=False)
    index.add(np.arange(20), vectors)
    index.remove([3, 4])
    assert len(index) == 18 and 3 not in [h[0] for h in index.search(vectors[3], 18)]
    index.add(np.array([5]), vectors[5:6])  # re-adding replaces, never duplicates
    assert len(index) == 18
    allowed = np.array([10, 11])
    assert {h[0] for h in index.search(vectors[0], 5, allowed)} == {10, 11}
    path = tmp_path / "dense.faiss"
    index.save(path)
    loaded = FaissIndex(8, use_gpu=False)
    loaded.load(path)
    assert len(loaded) == 18 and loaded.search(vectors[9], 1)[0][0] == 9
    with pytest.raises(ValueError):
        FaissIndex(16, use_gpu=False).load(path)


def test_a_search_leaves_the_callers_openmp_threads_as_they_were():
    import faiss

    index = FaissIndex(8, use_gpu=False)
    index.add(np.arange(10), unit_vectors(10, 8))
    faiss.omp_set_num_threads(2)
    index.search(unit_vectors(1, 8, seed=1)[0], 3)
    index.search(unit_vectors(1, 8, seed=1)[0], 3, np.array([1, 2]))
    assert faiss.omp_get_max_threads() == 2  # torch shares this runtime: ingest keeps 2
