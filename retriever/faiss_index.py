"""Dense vector index: exhaustive inner product over normalized vectors, keyed by chunk id."""

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

try:
    import faiss
except ModuleNotFoundError as missing:  # installed without the extra that brings FAISS
    raise ModuleNotFoundError(
        "FAISS is not installed: install Kotae with its CPU or GPU extra, "
        "`pip install 'kotae[cpu]'` or `pip install 'kotae[gpu]'`",
        name="faiss",
    ) from missing


def gpu_count() -> int:
    get = getattr(faiss, "get_num_gpus", None)
    return int(get()) if get else 0


@contextmanager
def one_openmp_thread() -> Iterator[None]:
    """Run a one-query CPU search on one OpenMP thread, in this thread only.

    For one query a second thread makes FAISS slower, and the spinning it leaves behind slows
    the next question's encoding. OpenMP's thread count is per calling thread (torch shares
    the runtime), so setting and restoring it here leaves ingest and other threads alone.
    """
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def exhaustive_storage(dim: int, for_gpu: bool) -> faiss.Index:
    """Every vector is scored; on the CPU they are stored as float16.

    A CPU search reads every stored vector, so halving them makes it faster; a score moves
    by at most 2^-11 (unit vectors, 11-bit mantissas).
    GPU indexes are cloned from an IndexFlat, so a GPU machine keeps float32 storage.
    """
    if for_gpu:
        return faiss.IndexFlatIP(dim)
    return faiss.IndexScalarQuantizer(
        dim, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
    )


def write_atomically(index: faiss.Index, path: Path) -> None:
    """Write a snapshot so that a reader never sees half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    faiss.write_index(index, str(tmp))
    os.replace(tmp, path)


class FaissIndex:
    """The VectorIndex Kotae ships: a CPU IndexIDMap2 over exhaustive storage is the master
    copy (it supports removals and snapshots).

    With a GPU present, searches run on a GPU mirror that is re-uploaded lazily after
    changes, because no GPU index supports `remove_ids`. `use_gpu=None` uses a GPU when
    FAISS sees one.
    """

    def __init__(self, dim: int, use_gpu: bool | None) -> None:
        self.dim = dim
        self.use_gpu = gpu_count() > 0 if use_gpu is None else use_gpu
        self._cpu = faiss.IndexIDMap2(exhaustive_storage(dim, self.use_gpu))
        self._gpu: faiss.Index | None = None
        self._gpu_resources = faiss.StandardGpuResources() if self.use_gpu else None

    def __len__(self) -> int:
        return int(self._cpu.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids) == 0:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.shape[1] != self.dim:
            raise ValueError(f"vectors have dim {vectors.shape[1]}, index has {self.dim}")
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        self.remove(ids)  # re-adding an id replaces it instead of duplicating it
        self._cpu.add_with_ids(vectors, ids)
        self._gpu = None

    def remove(self, ids: Iterable[int]) -> None:
        array = np.ascontiguousarray(np.fromiter(ids, dtype=np.int64))
        if len(array) and self._cpu.remove_ids(faiss.IDSelectorBatch(array)):
            self._gpu = None

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """Top-k (chunk id, cosine) for one query; `allowed` restricts ids before the cut."""
        if len(self) == 0 or k <= 0:
            return []
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, self.dim)
        k = min(k, len(self))
        params = None
        if allowed is not None:
            if len(allowed) == 0:
                return []
            selector = faiss.IDSelectorBatch(allowed.astype(np.int64))
            params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
        if self.use_gpu and params is None:
            scores, ids = self._searcher().search(q, k)
        else:  # filtered searches stay on the CPU master copy
            with one_openmp_thread():
                scores, ids = self._cpu.search(q, k, params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def _searcher(self) -> faiss.Index:
        if not self.use_gpu:
            return self._cpu
        if self._gpu is None:
            resources = self._gpu_resources or faiss.StandardGpuResources()
            self._gpu_resources = resources
            self._gpu = faiss.index_cpu_to_gpu(resources, 0, self._cpu)
        return self._gpu

    def save(self, path: Path) -> None:
        write_atomically(self._cpu, path)

    def load(self, path: Path) -> None:
        self.adopt(faiss.read_index(str(path)), path)

    def adopt(self, loaded: faiss.Index, path: Path) -> None:
        """Take over an index read from the snapshot at `path`; ValueError if unusable."""
        if loaded.d != self.dim:
            raise ValueError(f"snapshot {path} has dim {loaded.d}, expected {self.dim}")
        if not isinstance(loaded, faiss.IndexIDMap2):
            raise ValueError(f"snapshot {path} is not an id-mapped index")
        storage = faiss.downcast_index(loaded.index)
        if self.use_gpu and not isinstance(storage, faiss.IndexFlat):
            raise ValueError(f"snapshot {path} holds float16 vectors; a GPU index needs float32")
        self._cpu = loaded  # read_index already returns the owning IndexIDMap2 wrapper
        self._gpu = None
