"""Dense vector index: exact inner product over normalized vectors, keyed by chunk id."""

import os
from collections.abc import Collection
from pathlib import Path

import faiss
import numpy as np


def gpu_count() -> int:
    get = getattr(faiss, "get_num_gpus", None)
    return int(get()) if get else 0


class FaissIndex:
    """A CPU IndexIDMap2(IndexFlatIP) is the master copy (it supports removals and snapshots).

    With a GPU present, searches run on a GPU mirror that is re-uploaded lazily after
    changes, because no GPU index supports `remove_ids`.
    """

    def __init__(self, dim: int, use_gpu: bool | None = None) -> None:
        self.dim = dim
        self._cpu = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self.use_gpu = gpu_count() > 0 if use_gpu is None else use_gpu
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

    def remove(self, ids: np.ndarray | Collection[int]) -> None:
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
        if allowed is not None:
            if len(allowed) == 0:
                return []
            selector = faiss.IDSelectorBatch(allowed.astype(np.int64))
            params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
            scores, ids = self._cpu.search(q, k, params=params)
        else:
            scores, ids = self._searcher().search(q, k)
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
        tmp = path.with_suffix(path.suffix + ".tmp")
        faiss.write_index(self._cpu, str(tmp))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path, dim: int, use_gpu: bool | None = None) -> "FaissIndex":
        index = cls(dim, use_gpu)
        loaded = faiss.read_index(str(path))
        if loaded.d != dim:
            raise ValueError(f"snapshot {path} has dim {loaded.d}, expected {dim}")
        if not isinstance(loaded, faiss.IndexIDMap2):
            raise ValueError(f"snapshot {path} is not an id-mapped index")
        index._cpu = loaded  # read_index already returns the owning IndexIDMap2 wrapper
        return index
