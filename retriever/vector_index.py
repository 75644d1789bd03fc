"""The seam for dense vector stores: what DerivedIndexes needs from one.

FaissIndex (exact) and IvfIndex (approximate) are the stores Kotae ships. Another one (a
GPU-only index, a vector server) is one new class with these methods. The app passes a
VectorStores, which says which store suits a collection of a given size; DerivedIndexes
fills a new one from the change log or loads its snapshot into it.
"""

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

import numpy as np


class VectorIndex(Protocol):
    """Unit vectors keyed by chunk id, searched by inner product (cosine).

    Not thread-safe: DerivedIndexes serializes updates and searches under its own lock.
    """

    def __len__(self) -> int:
        """How many vectors the index holds."""
        ...

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Store `vectors` (one row per id); an id already present gets the new vector."""
        ...

    def remove(self, ids: Iterable[int]) -> None:
        """Forget these ids; ids not present are ignored."""
        ...

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> list[tuple[int, float]]:
        """Top-k (id, score) for one query, best first; `allowed` (ids) restricts the
        candidates before the cut, and an empty `allowed` finds nothing."""
        ...

    def save(self, path: Path) -> None:
        """Write a snapshot to `path`, atomically (a reader never sees half a file)."""
        ...

    def load(self, path: Path) -> None:
        """Replace the contents with the snapshot at `path`.

        Raises OSError, ValueError or RuntimeError when the snapshot is missing or unusable
        (another dimension, say); DerivedIndexes then rebuilds from SQL.
        """
        ...


class VectorStores(Protocol):
    """Which VectorIndex suits a collection of a given size: DerivedIndexes asks it for an
    empty store before a rebuild, for a store holding a snapshot, and after each catch-up
    whether the store in use still suits the collection (if not, it rebuilds the dense index
    in the background)."""

    def new(self, expected: int) -> VectorIndex:
        """An empty store for about `expected` vectors."""
        ...

    def load(self, path: Path) -> VectorIndex:
        """A store holding the snapshot at `path`; raises as VectorIndex.load does."""
        ...

    def suits(self, index: VectorIndex, count: int) -> bool:
        """Whether `index` is still the right kind of store for `count` vectors."""
        ...


class OneKind:
    """VectorStores for a store whose layout does not depend on the collection's size."""

    def __init__(self, make: Callable[[], VectorIndex]) -> None:
        self.make = make

    def new(self, expected: int) -> VectorIndex:
        return self.make()

    def load(self, path: Path) -> VectorIndex:
        index = self.make()
        index.load(path)
        return index

    def suits(self, index: VectorIndex, count: int) -> bool:
        return True
