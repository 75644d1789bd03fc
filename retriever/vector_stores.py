"""Which dense store a collection gets: exact search up to a size, IVF above it on a CPU.

Exact search reads every vector, so its cost grows with the collection; IVF reads a fixed
number of lists. The switch has slack both ways (an IVF store is kept down to half the
threshold, and until the collection is four times what its lists were made for), so a
collection near the threshold is not rebuilt back and forth. A GPU scans a million vectors
faster than a CPU probes IVF lists, so GPU machines always search exactly.
"""

from pathlib import Path

from retriever.faiss_index import FaissIndex, faiss, gpu_count
from retriever.ivf_index import IvfIndex, lists_for
from retriever.vector_index import VectorIndex


class SizedStores:
    """The VectorStores Kotae uses. `approximate_above` = 0 keeps every collection exact."""

    def __init__(self, dim: int, use_gpu: bool | None, approximate_above: int, nprobe: int) -> None:
        self.dim = dim
        self.use_gpu = gpu_count() > 0 if use_gpu is None else use_gpu
        self.approximate_above = approximate_above
        self.nprobe = nprobe

    def _approximate(self, count: int) -> bool:
        return not self.use_gpu and 0 < self.approximate_above <= count

    def new(self, expected: int) -> VectorIndex:
        if self._approximate(expected):
            return IvfIndex(self.dim, lists_for(expected), self.nprobe, train_after=expected)
        return FaissIndex(self.dim, use_gpu=self.use_gpu)

    def load(self, path: Path) -> VectorIndex:
        loaded = faiss.read_index(str(path))
        index: FaissIndex | IvfIndex
        if isinstance(loaded, faiss.IndexIVF):
            index = IvfIndex(self.dim, loaded.nlist, self.nprobe)
        else:
            index = FaissIndex(self.dim, use_gpu=self.use_gpu)
        index.adopt(loaded, path)
        return index

    def suits(self, index: VectorIndex, count: int) -> bool:
        if isinstance(index, IvfIndex):
            outgrown = lists_for(count) > 2 * index.nlist
            return self._approximate(2 * count) and not outgrown
        return not self._approximate(count)
