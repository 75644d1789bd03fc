"""The storage under KeywordIndex: postings of term ids over chunk slots, updated in place.

Layout: a frozen *base* segment in CSR form (per term id a slice of slot and term-frequency
arrays) plus a *delta* of per-term growable arrays for chunks added since the last merge.
Chunks are numbered internally by slot; ``remove`` only marks the slot dead, and dead slots
are filtered out of the postings a query touches. A merge rewrites the base from base +
delta (dropping dead slots) once the delta or the dead slots grow large relative to the
base; that keeps add and remove amortized O(tokens). Term ids never change in memory, so a
bulk add can hold ids across batches; unused terms are dropped when a snapshot is taken.
"""

from __future__ import annotations

from array import array
from collections import Counter
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
import numpy.typing as npt

_MAX_TF = 65535  # term frequencies are stored as uint16
_MIN_MERGE_POSTINGS = 50_000  # below this the delta is cheap to query; don't churn the base
_MIN_MERGE_DEAD = 1_000
_DICT_LOOKUP_MAX = 512  # larger ``allowed`` sets are mapped to slots with a sorted array

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
U16 = npt.NDArray[np.uint16]


@dataclass
class PendingChunks:
    """Chunks that are tokenized and staged but not yet visible."""

    chunk_ids: list[int] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    n_terms: list[int] = field(default_factory=list)  # distinct terms per chunk
    # Postings as one numpy array per batch: Python ints would cost ~36 bytes each.
    term_ids: list[I32] = field(default_factory=list)
    tfs: list[U16] = field(default_factory=list)
    n_postings: int = 0


@dataclass(frozen=True)
class PostingsSnapshot:
    """Everything a snapshot holds: merged postings of the live chunks, in CSR form."""

    vocab: list[str]  # term ids are positions in this list
    offsets: I64  # postings of term id t are [offsets[t], offsets[t + 1])
    slots: I32
    tfs: U16
    chunk_ids: I64  # per slot
    lengths: I32  # per slot, in terms


class Postings:
    """Term -> (slot, tf) postings with per-slot chunk id, length and liveness.

    Not thread-safe: KeywordIndex calls it under its lock. ``generation`` changes whenever
    the live slots or their lengths do, so callers can cache values derived from them.
    """

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        # Base segment: postings of term id t are [offsets[t], offsets[t + 1]).
        self._base_offsets: I64 = np.zeros(1, dtype=np.int64)
        self._base_slots: I32 = np.zeros(0, dtype=np.int32)
        self._base_tfs: U16 = np.zeros(0, dtype=np.uint16)
        # Delta: term id -> (slots, tfs) appended since the last merge.
        self._delta: dict[int, tuple[array[int], array[int]]] = {}
        self._delta_postings = 0
        # Per slot: owning chunk id, document length in terms, liveness.
        self.slot_chunk: I64 = np.zeros(0, dtype=np.int64)
        self.slot_len: I32 = np.zeros(0, dtype=np.int32)
        self.slot_alive: npt.NDArray[np.bool_] = np.zeros(0, dtype=np.bool_)
        self.n_slots = 0
        self.chunk_slot: dict[int, int] = {}
        self.total_len = 0
        self.generation = 0
        # Live chunk ids sorted with their slots (to map large ``allowed`` sets to slots).
        self._id_lookup: tuple[I64, npt.NDArray[np.intp]] | None = None

    def __len__(self) -> int:
        return len(self.chunk_slot)

    def stage(self, pending: PendingChunks, counted: list[tuple[int, Counter[str]]]) -> None:
        """Assign term ids (the shared vocabulary) and queue the chunks in ``pending``."""
        vocab = self.vocab
        term_ids: list[int] = []
        tfs: list[int] = []
        for chunk_id, counts in counted:
            ids = list(map(vocab.get, counts))
            if None in ids:
                ids = [vocab.setdefault(term, len(vocab)) for term in counts]
            pending.chunk_ids.append(chunk_id)
            pending.lengths.append(sum(counts.values()))
            pending.n_terms.append(len(ids))
            term_ids.extend(ids)  # type: ignore[arg-type]  # no None left
            tfs.extend(counts.values())
        pending.term_ids.append(np.array(term_ids, dtype=np.int32))
        pending.tfs.append(np.minimum(np.array(tfs, dtype=np.int64), _MAX_TF).astype(np.uint16))
        pending.n_postings += len(term_ids)

    def commit(self, pending: PendingChunks) -> None:
        """Give pending chunks slots and make their postings searchable; a chunk id already
        present loses its old slot."""
        first = self.n_slots
        m = len(pending.chunk_ids)
        for chunk_id in pending.chunk_ids:
            self.remove(chunk_id)
        self._ensure_slot_capacity(first + m)
        self.n_slots = first + m
        self.slot_chunk[first : first + m] = pending.chunk_ids
        self.slot_len[first : first + m] = pending.lengths
        self.slot_alive[first : first + m] = True
        self.total_len += sum(pending.lengths)
        self.chunk_slot.update(zip(pending.chunk_ids, range(first, first + m), strict=True))
        if len(set(pending.chunk_ids)) < m:
            # An id repeated within the batch: its last text wins, earlier slots die.
            for i, chunk_id in enumerate(pending.chunk_ids):
                if self.chunk_slot[chunk_id] != first + i:
                    self.slot_alive[first + i] = False
                    self.total_len -= pending.lengths[i]
        self._changed()

        terms = np.concatenate(pending.term_ids)
        slots = np.repeat(np.arange(first, first + m, dtype=np.int32), pending.n_terms)
        tfs = np.concatenate(pending.tfs)
        if self._delta_postings + len(terms) > self.merge_threshold():
            self._merge((terms, slots, tfs))
            return
        # Scatter into the per-term delta: one append per distinct term, not per posting.
        order = np.argsort(terms, kind="stable")
        terms, slots, tfs = terms[order], slots[order], tfs[order]
        bounds = (
            [0, *(np.flatnonzero(np.diff(terms)) + 1).tolist(), len(terms)] if len(terms) else []
        )
        delta = self._delta
        for start, end in pairwise(bounds):
            tid = int(terms[start])
            postings = delta.get(tid)
            if postings is None:
                postings = delta[tid] = (array("i"), array("H"))
            postings[0].frombytes(slots[start:end].tobytes())
            postings[1].frombytes(tfs[start:end].tobytes())
        self._delta_postings += len(terms)
        self.maybe_merge()

    def remove(self, chunk_id: int) -> None:
        """Mark the chunk's slot dead; a no-op when it is not indexed."""
        slot = self.chunk_slot.pop(chunk_id, None)
        if slot is None:
            return
        self.slot_alive[slot] = False
        self.total_len -= int(self.slot_len[slot])
        self._changed()

    def merge_threshold(self) -> int:
        return max(_MIN_MERGE_POSTINGS, len(self._base_slots) // 2)

    def maybe_merge(self) -> None:
        dead = self.n_slots - len(self.chunk_slot)
        if self._delta_postings > self.merge_threshold() or dead > max(
            _MIN_MERGE_DEAD, len(self.chunk_slot)
        ):
            self._merge(None)

    def term_postings(self, tid: int) -> tuple[I32, U16]:
        """(slots, tfs) of a term id, dead slots included."""
        slots: I32 = self._base_slots[0:0]
        tfs: U16 = self._base_tfs[0:0]
        if tid < len(self._base_offsets) - 1:
            start, end = self._base_offsets[tid], self._base_offsets[tid + 1]
            slots, tfs = self._base_slots[start:end], self._base_tfs[start:end]
        delta = self._delta.get(tid)
        if delta is not None:
            # concatenate copies, so no view pins the array.array against later appends.
            slots = np.concatenate([slots, np.frombuffer(delta[0], dtype=np.int32)])
            tfs = np.concatenate([tfs, np.frombuffer(delta[1], dtype=np.uint16)])
        return slots, tfs

    def slot_mask(self, chunk_ids: I64) -> npt.NDArray[np.bool_]:
        """Boolean mask over slots of the live chunks among ``chunk_ids``."""
        mask = np.zeros(self.n_slots, dtype=np.bool_)
        if len(chunk_ids) <= _DICT_LOOKUP_MAX:
            found = [s for s in map(self.chunk_slot.get, chunk_ids.tolist()) if s is not None]
            mask[found] = True
            return mask
        if self._id_lookup is None:
            live = np.flatnonzero(self.slot_alive[: self.n_slots])
            order = np.argsort(self.slot_chunk[live])
            self._id_lookup = (self.slot_chunk[live][order], live[order])
        sorted_ids, sorted_slots = self._id_lookup
        if len(sorted_ids) == 0:
            return mask
        pos = np.minimum(np.searchsorted(sorted_ids, chunk_ids), len(sorted_ids) - 1)
        mask[sorted_slots[pos[sorted_ids[pos] == chunk_ids]]] = True
        return mask

    def snapshot(self) -> PostingsSnapshot:
        """Merge everything into the base and return it without dead slots or unused terms."""
        self._merge(None)
        counts = np.diff(self._base_offsets)
        used = counts > 0
        offsets = np.zeros(int(used.sum()) + 1, dtype=np.int64)
        np.cumsum(counts[used], out=offsets[1:])
        terms = [""] * len(self.vocab)
        for term, tid in self.vocab.items():
            terms[tid] = term
        vocab = [term for term, keep in zip(terms, used.tolist(), strict=True) if keep]
        return PostingsSnapshot(
            vocab=vocab,
            offsets=offsets,
            slots=self._base_slots,
            tfs=self._base_tfs,
            chunk_ids=self.slot_chunk[: self.n_slots],
            lengths=self.slot_len[: self.n_slots],
        )

    @classmethod
    def from_snapshot(cls, snapshot: PostingsSnapshot) -> Postings:
        """Postings holding a snapshot; ValueError when its arrays do not fit together."""
        s = snapshot
        n = len(s.chunk_ids)
        if (
            len(s.offsets) != len(s.vocab) + 1
            or s.offsets[-1] != len(s.slots)
            or len(s.tfs) != len(s.slots)
            or len(s.lengths) != n
            or (len(s.slots) and (s.slots.min() < 0 or s.slots.max() >= n))
        ):
            raise ValueError("corrupt keyword index snapshot")
        postings = cls()
        postings.vocab = {term: i for i, term in enumerate(s.vocab)}
        postings._base_offsets, postings._base_slots, postings._base_tfs = (
            s.offsets,
            s.slots,
            s.tfs,
        )
        postings.slot_chunk = s.chunk_ids
        postings.slot_len = s.lengths
        postings.slot_alive = np.ones(n, dtype=np.bool_)
        postings.n_slots = n
        postings.chunk_slot = {cid: slot for slot, cid in enumerate(s.chunk_ids.tolist())}
        postings.total_len = int(s.lengths.sum())
        return postings

    def _changed(self) -> None:
        self.generation += 1
        self._id_lookup = None

    def _ensure_slot_capacity(self, needed: int) -> None:
        capacity = len(self.slot_chunk)
        if needed <= capacity:
            return
        new_capacity = max(needed, 2 * capacity, 1024)
        for name in ("slot_chunk", "slot_len", "slot_alive"):
            old = getattr(self, name)
            grown = np.zeros(new_capacity, dtype=old.dtype)
            grown[: len(old)] = old
            setattr(self, name, grown)

    def _merge(self, staged: tuple[I32, I32, U16] | None) -> None:
        """Rewrite the base from base + delta + ``staged`` postings, dropping dead slots."""
        n_base_terms = len(self._base_offsets) - 1
        term_parts = [
            np.repeat(np.arange(n_base_terms, dtype=np.int32), np.diff(self._base_offsets))
        ]
        slot_parts = [self._base_slots]
        tf_parts = [self._base_tfs]
        if self._delta:
            values = list(self._delta.values())
            term_parts.append(
                np.repeat(
                    np.fromiter(self._delta, dtype=np.int32, count=len(values)),
                    [len(slots) for slots, _ in values],
                )
            )
            slot_parts.append(np.frombuffer(b"".join(s.tobytes() for s, _ in values), np.int32))
            tf_parts.append(np.frombuffer(b"".join(t.tobytes() for _, t in values), np.uint16))
        if staged is not None:
            term_parts.append(staged[0])
            slot_parts.append(staged[1])
            tf_parts.append(staged[2])
        terms = np.concatenate(term_parts)
        slots = np.concatenate(slot_parts)
        tfs = np.concatenate(tf_parts)

        n = self.n_slots
        alive = self.slot_alive[:n]
        if len(self.chunk_slot) < n:
            keep = alive[slots]
            terms, slots, tfs = terms[keep], slots[keep], tfs[keep]
            slots = (np.cumsum(alive, dtype=np.int32) - 1)[slots]  # renumber, order kept
            live = np.flatnonzero(alive)
            self.slot_chunk = self.slot_chunk[live]
            self.slot_len = self.slot_len[live]
            self.slot_alive = np.ones(len(live), dtype=np.bool_)
            self.n_slots = len(live)
            self.chunk_slot = {c: s for s, c in enumerate(self.slot_chunk.tolist())}
            self._changed()
        # The base part is already in term order, so this stable sort is mostly a merge.
        order = np.argsort(terms, kind="stable")
        offsets = np.zeros(len(self.vocab) + 1, dtype=np.int64)
        np.cumsum(np.bincount(terms, minlength=len(self.vocab)), out=offsets[1:])
        self._base_offsets = offsets
        self._base_slots = slots[order]
        self._base_tfs = tfs[order]
        self._delta = {}
        self._delta_postings = 0
