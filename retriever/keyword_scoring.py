"""Combining per-term BM25 scores into per-chunk scores, for KeywordIndex.

A query is a list of groups (one per question word), each a list of alternatives (the word,
its translations...): a chunk scores the sum over groups of its best alternative. Each
alternative's slots are unique. Few postings are combined by sorting them; many (common
words in a large collection) by adding into per-slot arrays that live as long as the index,
which costs no sort and no pass over the whole collection but one.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

I32 = npt.NDArray[np.int32]
F64 = npt.NDArray[np.float64]
Alternatives = list[tuple[I32, F64]]

NO_SLOTS: I32 = np.zeros(0, dtype=np.int32)
NO_SCORES: F64 = np.zeros(0, dtype=np.float64)


def summed(parts: Alternatives) -> tuple[I32, F64]:
    """Per-slot sums of several terms' scores."""
    if len(parts) <= 1:
        return parts[0] if parts else (NO_SLOTS, NO_SCORES)
    slots, inverse = np.unique(np.concatenate([p[0] for p in parts]), return_inverse=True)
    sums = np.bincount(inverse, np.concatenate([p[1] for p in parts]))
    return slots.astype(np.int32), np.asarray(sums, dtype=np.float64)


def best_per_slot(alternatives: Alternatives) -> tuple[I32, F64]:
    """Per-slot maxima of several alternatives' scores."""
    if len(alternatives) == 1:
        return alternatives[0]
    slots = np.concatenate([a[0] for a in alternatives])
    scores = np.concatenate([a[1] for a in alternatives])
    order = np.lexsort((-scores, slots))
    slots, scores = slots[order], scores[order]
    first = np.ones(len(slots), dtype=bool)
    first[1:] = slots[1:] != slots[:-1]
    return slots[first], scores[first]


def sparse_scores(groups: list[Alternatives]) -> tuple[I32, F64]:
    """(slots, scores) of every slot some group scores, by sorting the postings."""
    best = [best_per_slot(alternatives) for alternatives in groups]
    slots, inverse = np.unique(np.concatenate([b[0] for b in best]), return_inverse=True)
    sums = np.bincount(inverse, weights=np.concatenate([b[1] for b in best]))
    return slots.astype(np.int32), sums.astype(np.float64)


class DenseScores:
    """Per-slot accumulators, all zero between calls. Not thread-safe: KeywordIndex uses it
    under its lock."""

    def __init__(self) -> None:
        self._total: F64 = NO_SCORES.copy()
        self._best: F64 = NO_SCORES.copy()
        # Which slots a search reached: finding them in bytes reads an eighth of the memory
        # finding them in the float sums would.
        self._reached = np.zeros(0, dtype=bool)

    def scores(self, groups: list[Alternatives], n_slots: int) -> tuple[I32, F64]:
        """(slots, scores) of every slot some group reached, slots ascending."""
        if len(self._total) < n_slots:
            self._total = np.zeros(n_slots)
            self._best = np.zeros(n_slots)
            self._reached = np.zeros(n_slots, dtype=bool)
        total, best, reached = self._total, self._best, self._reached
        try:
            for alternatives in groups:
                for slots, _ in alternatives:
                    reached[slots] = True
                if len(alternatives) == 1:
                    slots, scores = alternatives[0]
                    total[slots] += scores
                    continue
                for slots, scores in alternatives:
                    current = best[slots]
                    np.maximum(current, scores, out=current)
                    best[slots] = current
                for slots, _ in alternatives:  # the first to reach a slot takes its best
                    total[slots] += best[slots]
                    best[slots] = 0.0
            found = np.flatnonzero(reached).astype(np.int32)
            values = total[found]
            total[found] = 0.0
            reached[found] = False
        except BaseException:  # never leave a partial sum for the next search
            total.fill(0.0)
            best.fill(0.0)
            reached.fill(False)
            raise
        return found, values
