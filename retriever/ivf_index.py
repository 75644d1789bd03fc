"""Approximate dense index for large collections: FAISS IVF over float16 vectors, keyed by id.

A query is compared with the `nlist` list centroids and scans only the `nprobe` nearest
lists, so a search reads a small share of the vectors instead of all of them. The lists are
trained by k-means on the first vectors added (a sample of at most `TRAIN_PER_LIST` per list),
so vectors are buffered until there are enough of them; DerivedIndexes rebuilds the index
when the collection outgrows the lists (see vector_stores.py).

Vectors are stored whole (not as residuals) in float16, so reconstructing one for a filtered
search gives exactly what is scored, and a hashtable direct map makes removal by id cheap.
"""

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from retriever.faiss_index import faiss, one_openmp_thread, write_atomically

# k-means wants at least 39 points per centroid; more adds training time, not recall.
TRAIN_PER_LIST = 40
# Filtered searches over at most this many ids score them all, exactly: probing lists would
# find few allowed ids when they are a small share of the collection.
EXACT_FILTER_MAX = 50_000


def lists_for(count: int) -> int:
    """About 4·√count lists (250 vectors each at a million): more, smaller lists find a
    question's neighbours reading fewer vectors, at the price of longer training."""
    return max(16, int(4 * np.sqrt(max(count, 1))))


class IvfIndex:
    """The VectorIndex for collections too large to scan whole on a CPU.

    `nlist` is fixed for the index's life (rebuild to change it); `nprobe` lists are scanned
    per query. Until `nlist * TRAIN_PER_LIST` vectors (or `train_after`, if smaller) have
    been added, they wait in a buffer; the first search or save trains on whatever is
    there.
    """

    def __init__(self, dim: int, nlist: int, nprobe: int, train_after: int | None = None) -> None:
        if nlist < 1 or nprobe < 1:
            raise ValueError(f"nlist and nprobe must be positive, got {nlist}, {nprobe}")
        self.dim = dim
        self.nlist = nlist
        self.nprobe = nprobe
        self._train_after = min(nlist * TRAIN_PER_LIST, train_after or nlist * TRAIN_PER_LIST)
        self._index: faiss.IndexIVF | None = None
        self._pending: dict[int, np.ndarray] = {}  # id -> vector, until trained

    def __len__(self) -> int:
        return int(self._index.ntotal) if self._index is not None else len(self._pending)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids) == 0:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.shape[1] != self.dim:
            raise ValueError(f"vectors have dim {vectors.shape[1]}, index has {self.dim}")
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if self._index is None:
            self._pending.update(zip(ids.tolist(), vectors, strict=True))
            if len(self._pending) >= self._train_after:
                self._train()
            return
        self.remove(ids)  # re-adding an id replaces it instead of duplicating it
        self._index.add_with_ids(vectors, ids)

    def remove(self, ids: Iterable[int]) -> None:
        array = np.ascontiguousarray(np.fromiter(ids, dtype=np.int64))
        if self._index is None:
            for chunk_id in array.tolist():
                self._pending.pop(chunk_id, None)
        elif len(array):  # a hashtable direct map removes only through an IDSelectorArray
            self._index.remove_ids(faiss.IDSelectorArray(array))

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        index = self._trained()
        if index.ntotal == 0 or k <= 0 or (allowed is not None and len(allowed) == 0):
            return []
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, self.dim)
        params = faiss.SearchParametersIVF(nprobe=self.nprobe)  # type: ignore[call-arg]
        if allowed is not None:
            allowed = np.unique(allowed.astype(np.int64))
            if len(allowed) <= EXACT_FILTER_MAX:
                found = self._exact_among(q[0], k, allowed)
                if found is not None:
                    return found
                params.nprobe = self.nlist
            else:  # a probe finds allowed ids in proportion to their share: probe more lists
                share = min(1.0, len(allowed) / index.ntotal)
                params.nprobe = min(self.nlist, int(np.ceil(self.nprobe / share)))
            params.sel = faiss.IDSelectorBatch(allowed)
        with one_openmp_thread():
            scores, ids = index.search(q, min(k, index.ntotal), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def _exact_among(
        self, query: np.ndarray, k: int, ids: np.ndarray
    ) -> list[tuple[int, float]] | None:
        """Score every allowed id; None when one is not in the index (the log not replayed
        yet, say), and the caller then scans every list with a selector instead."""
        try:
            vectors = self._trained().reconstruct_batch(ids)
        except RuntimeError:
            return None
        scores = vectors @ query
        top = np.argsort(-scores, kind="stable")[:k]
        return [(int(ids[t]), float(scores[t])) for t in top]

    def save(self, path: Path) -> None:
        write_atomically(self._trained(), path)

    def load(self, path: Path) -> None:
        self.adopt(faiss.read_index(str(path)), path)

    def adopt(self, loaded: faiss.Index, path: Path) -> None:
        """Take over an index read from the snapshot at `path`; ValueError if unusable."""
        if loaded.d != self.dim:
            raise ValueError(f"snapshot {path} has dim {loaded.d}, expected {self.dim}")
        # read_index returns the owning, typed object: keep it (a downcast would be a view)
        if not isinstance(loaded, faiss.IndexIVFScalarQuantizer):
            raise ValueError(f"snapshot {path} is not an IVF index")
        self._index = loaded
        self.nlist = loaded.nlist
        self._pending = {}

    def _trained(self) -> faiss.IndexIVF:
        if self._index is None:
            self._train()
        assert self._index is not None
        return self._index

    def _train(self) -> None:
        """Train the lists on the buffered vectors, then move them into the index."""
        ids = np.fromiter(self._pending, dtype=np.int64, count=len(self._pending))
        vectors = (
            np.stack(list(self._pending.values()))
            if self._pending
            else np.zeros((0, self.dim), dtype=np.float32)
        )
        # k-means needs a few points per centroid; a small buffer gets fewer lists.
        self.nlist = max(1, min(self.nlist, len(ids) // 39))
        index = faiss.IndexIVFScalarQuantizer(
            faiss.IndexFlatIP(self.dim),
            self.dim,
            self.nlist,
            faiss.ScalarQuantizer.QT_fp16,
            faiss.METRIC_INNER_PRODUCT,
            False,  # by_residual: store vectors whole
        )
        index.cp.niter = 10  # recall depends on probes far more than on centroid polish
        index.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]
        if len(ids):
            index.train(vectors)
            index.add_with_ids(vectors, ids)
        else:
            index.train(np.zeros((1, self.dim), dtype=np.float32))
        self._index = index
        self._pending = {}
