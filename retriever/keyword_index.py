"""Incremental in-memory BM25 index over chunk ids, with a compact on-disk snapshot.

Layout: a frozen *base* segment in CSR form (per term id a slice of slot and term-frequency
arrays) plus a *delta* of per-term growable arrays for chunks added since the last merge.
Chunks are numbered internally by slot; ``remove`` only marks the slot dead, and dead slots
are filtered out of the postings a query touches. Document frequencies are counted at query
time from the live postings of the query terms, so IDF always reflects the live documents
with no bookkeeping on remove. A merge rewrites the base from base + delta (dropping dead
slots) once the delta or the dead slots grow large relative to the base; that keeps add and
remove amortized O(tokens). Term ids never change in memory, so a bulk add can hold ids
across batches; unused terms are dropped when a snapshot is written.

Scoring is Okapi BM25 with Lucene's non-negative IDF, ln(1 + (N - df + 0.5) / (df + 0.5)),
and tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avgdl)). Query terms are de-duplicated: a
term repeated in the query counts once (the tokenizer already emits some terms twice, e.g.
"gpt-4" and "gpt4", and a question repeating a word should not outweigh the others).
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
import threading
from array import array
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from itertools import islice, pairwise
from pathlib import Path

import numpy as np
import numpy.typing as npt

_FORMAT_VERSION = 1
_MAX_TF = 65535  # term frequencies are stored as uint16
_MIN_MERGE_POSTINGS = 50_000  # below this the delta is cheap to query; don't churn the base
_MIN_MERGE_DEAD = 1_000
_ADD_BATCH = 2048  # chunks tokenized per lock acquisition in add_many
_DICT_LOOKUP_MAX = 512  # larger ``allowed`` sets are mapped to slots with a sorted array

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
U16 = npt.NDArray[np.uint16]
F64 = npt.NDArray[np.float64]


@dataclass
class _Pending:
    """Chunks of an ``add_many`` call that are tokenized but not yet visible."""

    chunk_ids: list[int] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    n_terms: list[int] = field(default_factory=list)  # distinct terms per chunk
    # Postings as one numpy array per batch: Python ints would cost ~36 bytes each.
    term_ids: list[I32] = field(default_factory=list)
    tfs: list[U16] = field(default_factory=list)
    n_postings: int = 0


class KeywordIndex:
    """Okapi BM25 over chunk texts, updated incrementally; all methods are thread-safe.

    ``tokenizer`` turns text into terms and is applied to documents and queries alike.
    Searches and updates share one lock (at 100k chunks a search holds it ~1.5 ms, a full
    merge ~0.5 s), so one index can serve a thread pool while a replay thread keeps it
    current. Tokenizing always happens outside the lock.
    """

    def __init__(
        self, tokenizer: Callable[[str], list[str]], k1: float = 1.2, b: float = 0.75
    ) -> None:
        if k1 < 0 or not 0.0 <= b <= 1.0:
            raise ValueError(f"BM25 needs k1 >= 0 and 0 <= b <= 1, got k1={k1}, b={b}")
        self._tokenize = tokenizer
        self.k1 = float(k1)
        self.b = float(b)
        self._lock = threading.Lock()
        self._vocab: dict[str, int] = {}
        # Base segment: postings of term id t are [offsets[t], offsets[t + 1]).
        self._base_offsets: I64 = np.zeros(1, dtype=np.int64)
        self._base_slots: I32 = np.zeros(0, dtype=np.int32)
        self._base_tfs: U16 = np.zeros(0, dtype=np.uint16)
        # Delta: term id -> (slots, tfs) appended since the last merge.
        self._delta: dict[int, tuple[array[int], array[int]]] = {}
        self._delta_postings = 0
        # Per slot: owning chunk id, document length in terms, liveness.
        self._slot_chunk: I64 = np.zeros(0, dtype=np.int64)
        self._slot_len: I32 = np.zeros(0, dtype=np.int32)
        self._slot_alive: npt.NDArray[np.bool_] = np.zeros(0, dtype=np.bool_)
        self._n_slots = 0
        self._chunk_slot: dict[int, int] = {}
        self._total_len = 0
        # Caches rebuilt lazily after any change: k1 * (1 - b + b * len / avgdl) per slot, and
        # live chunk ids sorted with their slots (to map large ``allowed`` sets to slots).
        self._norm: F64 | None = None
        self._id_lookup: tuple[I64, npt.NDArray[np.intp]] | None = None

    def __len__(self) -> int:
        return len(self._chunk_slot)

    def __contains__(self, chunk_id: object) -> bool:
        return chunk_id in self._chunk_slot

    def add(self, chunk_id: int, text: str) -> None:
        """Index ``text`` under ``chunk_id``, replacing what that id held before."""
        self.add_many([(chunk_id, text)])

    def add_many(self, items: Iterable[tuple[int, str]]) -> None:
        """Index many chunks; a chunk id that is already indexed gets the new text.

        Texts are tokenized outside the lock in batches, so memory stays bounded and
        searches keep running. Chunks become visible in groups: at the end of the call, or
        earlier when the pending postings would trigger a merge anyway. Apply adds and
        removes of one chunk id from one thread (the change log's order): a ``remove`` that
        races an unfinished ``add_many`` of the same id can land before it.
        """
        iterator = iter(items)
        pending = _Pending()
        while batch := list(islice(iterator, _ADD_BATCH)):
            counted = [(int(cid), Counter(self._tokenize(text))) for cid, text in batch]
            with self._lock:
                self._stage_locked(pending, counted)
                if pending.n_postings > self._merge_threshold():
                    self._commit_locked(pending)
                    pending = _Pending()
        if pending.chunk_ids:
            with self._lock:
                self._commit_locked(pending)

    def remove(self, chunk_id: int) -> None:
        """Forget ``chunk_id``; a no-op when it is not indexed."""
        with self._lock:
            self._remove_locked(chunk_id)
            self._maybe_merge_locked()

    def search(
        self, query: str, k: int, allowed: Collection[int] | None = None
    ) -> list[tuple[int, float]]:
        """Top ``k`` (chunk_id, BM25 score) pairs, best first, ties broken by smaller id.

        Only chunks sharing a term with the query are returned (score > 0). ``allowed``
        restricts the candidates before the top-k cut, so k hits come back whenever k
        allowed chunks match; IDF still counts every live chunk.
        """
        if k <= 0:
            return []
        terms = list(dict.fromkeys(self._tokenize(query)))
        if not terms:
            return []
        allowed_ids: I64 | None = None
        if isinstance(allowed, np.ndarray):
            allowed_ids = allowed.astype(np.int64, copy=False).ravel()
        elif allowed is not None:
            allowed_ids = np.fromiter(allowed, dtype=np.int64, count=len(allowed))
        if allowed_ids is not None and len(allowed_ids) == 0:
            return []
        with self._lock:
            return self._search_locked(terms, k, allowed_ids)

    def save(self, path: Path) -> None:
        """Write a snapshot to ``path`` atomically (temp file in the same folder + rename)."""
        path = Path(path)
        with self._lock:
            self._merge_locked(None)
            counts = np.diff(self._base_offsets)
            used = counts > 0
            offsets = np.zeros(int(used.sum()) + 1, dtype=np.int64)
            np.cumsum(counts[used], out=offsets[1:])
            vocab = [
                term for term, keep in zip(self._terms_by_id(), used.tolist(), strict=True) if keep
            ]
            meta = {"version": _FORMAT_VERSION, "k1": self.k1, "b": self.b}
            arrays = {
                "meta": _json_bytes(meta),
                "vocab": _json_bytes(vocab),  # term ids are positions in this list
                "offsets": offsets,
                "slots": self._base_slots,
                "tfs": self._base_tfs,
                "chunk_ids": self._slot_chunk[: self._n_slots],
                "lengths": self._slot_len[: self._n_slots],
            }
            buffer = io.BytesIO()
            np.savez(buffer, **arrays)  # type: ignore[arg-type]
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(buffer.getbuffer())
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o644)  # mkstemp makes it 0600; other local processes read it
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path, tokenizer: Callable[[str], list[str]]) -> KeywordIndex:
        """Read a snapshot written by :meth:`save`; ``tokenizer`` must match the one used then."""
        with np.load(Path(path), allow_pickle=False) as data:
            meta = json.loads(data["meta"].tobytes())
            if meta.get("version") != _FORMAT_VERSION:
                raise ValueError(f"unsupported keyword index format: {meta.get('version')}")
            index = cls(tokenizer, k1=meta["k1"], b=meta["b"])
            vocab = json.loads(data["vocab"].tobytes())
            offsets = data["offsets"].astype(np.int64)
            slots = data["slots"].astype(np.int32)
            tfs = data["tfs"].astype(np.uint16)
            chunk_ids = data["chunk_ids"].astype(np.int64)
            lengths = data["lengths"].astype(np.int32)
        n = len(chunk_ids)
        if (
            len(offsets) != len(vocab) + 1
            or offsets[-1] != len(slots)
            or len(tfs) != len(slots)
            or len(lengths) != n
            or (len(slots) and (slots.min() < 0 or slots.max() >= n))
        ):
            raise ValueError(f"corrupt keyword index snapshot: {path}")
        index._vocab = {term: i for i, term in enumerate(vocab)}
        index._base_offsets, index._base_slots, index._base_tfs = offsets, slots, tfs
        index._slot_chunk = chunk_ids
        index._slot_len = lengths
        index._slot_alive = np.ones(n, dtype=np.bool_)
        index._n_slots = n
        index._chunk_slot = {cid: slot for slot, cid in enumerate(chunk_ids.tolist())}
        index._total_len = int(lengths.sum())
        return index

    def _stage_locked(self, pending: _Pending, counted: list[tuple[int, Counter[str]]]) -> None:
        """Assign term ids (the vocabulary is shared, hence the lock) and queue the chunks."""
        vocab = self._vocab
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

    def _commit_locked(self, pending: _Pending) -> None:
        """Give pending chunks slots and make their postings searchable."""
        first = self._n_slots
        m = len(pending.chunk_ids)
        for chunk_id in pending.chunk_ids:
            self._remove_locked(chunk_id)
        self._ensure_slot_capacity(first + m)
        self._n_slots = first + m
        self._slot_chunk[first : first + m] = pending.chunk_ids
        self._slot_len[first : first + m] = pending.lengths
        self._slot_alive[first : first + m] = True
        self._total_len += sum(pending.lengths)
        self._chunk_slot.update(zip(pending.chunk_ids, range(first, first + m), strict=True))
        if len(set(pending.chunk_ids)) < m:
            # An id repeated within the batch: its last text wins, earlier slots die.
            for i, chunk_id in enumerate(pending.chunk_ids):
                if self._chunk_slot[chunk_id] != first + i:
                    self._slot_alive[first + i] = False
                    self._total_len -= pending.lengths[i]
        self._invalidate_caches()

        terms = np.concatenate(pending.term_ids)
        slots = np.repeat(np.arange(first, first + m, dtype=np.int32), pending.n_terms)
        tfs = np.concatenate(pending.tfs)
        if self._delta_postings + len(terms) > self._merge_threshold():
            self._merge_locked((terms, slots, tfs))
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
        self._maybe_merge_locked()

    def _remove_locked(self, chunk_id: int) -> None:
        slot = self._chunk_slot.pop(chunk_id, None)
        if slot is None:
            return
        self._slot_alive[slot] = False
        self._total_len -= int(self._slot_len[slot])
        self._invalidate_caches()

    def _invalidate_caches(self) -> None:
        self._norm = None
        self._id_lookup = None

    def _ensure_slot_capacity(self, needed: int) -> None:
        capacity = len(self._slot_chunk)
        if needed <= capacity:
            return
        new_capacity = max(needed, 2 * capacity, 1024)
        for name in ("_slot_chunk", "_slot_len", "_slot_alive"):
            old = getattr(self, name)
            grown = np.zeros(new_capacity, dtype=old.dtype)
            grown[: len(old)] = old
            setattr(self, name, grown)

    def _merge_threshold(self) -> int:
        return max(_MIN_MERGE_POSTINGS, len(self._base_slots) // 2)

    def _maybe_merge_locked(self) -> None:
        dead = self._n_slots - len(self._chunk_slot)
        if self._delta_postings > self._merge_threshold() or dead > max(
            _MIN_MERGE_DEAD, len(self._chunk_slot)
        ):
            self._merge_locked(None)

    def _merge_locked(self, staged: tuple[I32, I32, U16] | None) -> None:
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

        n = self._n_slots
        alive = self._slot_alive[:n]
        if len(self._chunk_slot) < n:
            keep = alive[slots]
            terms, slots, tfs = terms[keep], slots[keep], tfs[keep]
            slots = (np.cumsum(alive, dtype=np.int32) - 1)[slots]  # renumber, order kept
            live = np.flatnonzero(alive)
            self._slot_chunk = self._slot_chunk[live]
            self._slot_len = self._slot_len[live]
            self._slot_alive = np.ones(len(live), dtype=np.bool_)
            self._n_slots = len(live)
            self._chunk_slot = {c: s for s, c in enumerate(self._slot_chunk.tolist())}
            self._invalidate_caches()
        # The base part is already in term order, so this stable sort is mostly a merge.
        order = np.argsort(terms, kind="stable")
        offsets = np.zeros(len(self._vocab) + 1, dtype=np.int64)
        np.cumsum(np.bincount(terms, minlength=len(self._vocab)), out=offsets[1:])
        self._base_offsets = offsets
        self._base_slots = slots[order]
        self._base_tfs = tfs[order]
        self._delta = {}
        self._delta_postings = 0

    def _slot_mask_locked(self, chunk_ids: I64) -> npt.NDArray[np.bool_]:
        """Boolean mask over slots of the live chunks among ``chunk_ids``."""
        mask = np.zeros(self._n_slots, dtype=np.bool_)
        if len(chunk_ids) <= _DICT_LOOKUP_MAX:
            found = [s for s in map(self._chunk_slot.get, chunk_ids.tolist()) if s is not None]
            mask[found] = True
            return mask
        if self._id_lookup is None:
            live = np.flatnonzero(self._slot_alive[: self._n_slots])
            order = np.argsort(self._slot_chunk[live])
            self._id_lookup = (self._slot_chunk[live][order], live[order])
        sorted_ids, sorted_slots = self._id_lookup
        if len(sorted_ids) == 0:
            return mask
        pos = np.minimum(np.searchsorted(sorted_ids, chunk_ids), len(sorted_ids) - 1)
        mask[sorted_slots[pos[sorted_ids[pos] == chunk_ids]]] = True
        return mask

    def _terms_by_id(self) -> list[str]:
        terms = [""] * len(self._vocab)
        for term, tid in self._vocab.items():
            terms[tid] = term
        return terms

    def _postings_locked(self, tid: int) -> tuple[I32, U16]:
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

    def _search_locked(
        self, terms: list[str], k: int, allowed: I64 | None
    ) -> list[tuple[int, float]]:
        n_live = len(self._chunk_slot)
        if n_live == 0:
            return []
        n = self._n_slots
        norm = self._norm
        if norm is None:
            avgdl = max(self._total_len / n_live, 1e-9)
            norm = (self.b / avgdl) * self._slot_len[:n].astype(np.float64)
            norm += 1.0 - self.b
            norm *= self.k1
            self._norm = norm
        has_dead = n_live != n
        slot_parts: list[I32] = []
        score_parts: list[F64] = []
        for term in terms:
            tid = self._vocab.get(term)
            if tid is None:
                continue
            slots, tfs = self._postings_locked(tid)
            if has_dead:
                live = self._slot_alive[slots]
                slots, tfs = slots[live], tfs[live]
            df = len(slots)
            if df == 0:
                continue
            # Lucene's non-negative IDF; score = idf * tf * (k1 + 1) / (tf + norm).
            idf = math.log1p((n_live - df + 0.5) / (df + 0.5))
            tf = tfs.astype(np.float64)
            part = norm[slots]
            part += tf
            np.divide(tf, part, out=part)
            part *= idf * (self.k1 + 1.0)
            slot_parts.append(slots)
            score_parts.append(part)
        if not slot_parts:
            return []
        all_slots = np.concatenate(slot_parts)
        all_scores = np.concatenate(score_parts)
        mask = None if allowed is None else self._slot_mask_locked(allowed)
        cand: npt.NDArray[np.intp]
        if len(all_slots) * 8 > n:
            # Dense: one pass over the touched postings plus a few O(N) vector ops.
            acc = np.bincount(all_slots, weights=all_scores, minlength=n)
            if mask is not None:
                cand = np.flatnonzero(mask)
            elif n > k:
                kth = np.partition(acc, n - k)[n - k]
                cand = np.flatnonzero(acc >= kth) if kth > 0 else np.flatnonzero(acc)
            else:
                cand = np.flatnonzero(acc)
            scores = acc[cand]
        else:
            cand, inverse = np.unique(all_slots, return_inverse=True)
            scores = np.bincount(inverse, weights=all_scores)
            if mask is not None:
                keep = mask[cand]
                cand, scores = cand[keep], scores[keep]
        positive = scores > 0
        cand, scores = cand[positive], scores[positive]
        ids = self._slot_chunk[cand]
        if len(ids) > k:
            # Keep everything tied with the k-th score so the id tie-break is deterministic.
            kth = np.partition(scores, len(scores) - k)[len(scores) - k]
            keep = scores >= kth
            ids, scores = ids[keep], scores[keep]
        order = np.lexsort((ids, -scores))[:k]
        return [(int(i), float(s)) for i, s in zip(ids[order], scores[order], strict=True)]


def _json_bytes(value: object) -> npt.NDArray[np.uint8]:
    return np.frombuffer(json.dumps(value, ensure_ascii=False).encode(), dtype=np.uint8)
