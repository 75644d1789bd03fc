"""Incremental in-memory BM25 index over chunk ids, with a compact on-disk snapshot.

The postings live in keyword_postings.Postings (a frozen base plus a growable delta); this
module scores them and owns the lock and the file format. Document frequencies are counted
at query time from the live postings of the query terms, so IDF always reflects the live
documents with no bookkeeping on remove.

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
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from itertools import islice
from pathlib import Path

import numpy as np
import numpy.typing as npt

from retriever.keyword_postings import I32, I64, PendingChunks, Postings, PostingsSnapshot
from retriever.keyword_scoring import (
    NO_SCORES,
    NO_SLOTS,
    Alternatives,
    DenseScores,
    sparse_scores,
    summed,
)

_FORMAT_VERSION = 1
_ADD_BATCH = 2048  # chunks tokenized per lock acquisition in add_many

F64 = npt.NDArray[np.float64]
TokenizedChunks = list[tuple[int, Counter[str]]]
# Alternatives for one query word: (terms, weight); see KeywordIndex.search_groups.
TermGroup = Sequence[tuple[Sequence[str], float]]

_NO_TFS = np.zeros(0, dtype=np.uint16)


class KeywordIndex:
    """Okapi BM25 over chunk texts, updated incrementally; all methods are thread-safe.

    ``tokenizer`` turns text into terms and is applied to documents and queries alike.
    Searches and updates share one lock, held briefly (a full merge is the longest hold), so
    one index can serve a thread pool while a replay thread keeps it current. Tokenizing
    always happens outside the lock.
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
        self._dense_scores = DenseScores()
        self._postings = Postings()
        # k1 * (1 - b + b * len / avgdl) per slot, for the postings generation it was made at.
        self._norm: tuple[int, F64] | None = None

    def __len__(self) -> int:
        return len(self._postings)

    def __contains__(self, chunk_id: object) -> bool:
        return chunk_id in self._postings.chunk_slot

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
        pending = PendingChunks()
        while batch := list(islice(iterator, _ADD_BATCH)):
            counted = self.tokenize_chunks(batch)
            with self._lock:
                pending = self._stage_locked(pending, counted)
        if pending.chunk_ids:
            with self._lock:
                self._postings.commit(pending)

    def tokenize_chunks(self, items: Iterable[tuple[int, str]]) -> TokenizedChunks:
        """Term counts per chunk, for :meth:`add_tokenized`; takes no lock and changes nothing."""
        return [(int(cid), Counter(self._tokenize(text))) for cid, text in items]

    def add_tokenized(self, counted: TokenizedChunks) -> None:
        """Index chunks tokenized by :meth:`tokenize_chunks`, visible when this returns."""
        with self._lock:
            pending = self._stage_locked(PendingChunks(), counted)
            if pending.chunk_ids:
                self._postings.commit(pending)

    def remove(self, chunk_id: int) -> None:
        """Forget ``chunk_id``; a no-op when it is not indexed."""
        with self._lock:
            self._postings.remove(chunk_id)
            self._postings.maybe_merge()

    def search(
        self, query: str, k: int, allowed: Collection[int] | None = None
    ) -> list[tuple[int, float]]:
        """Top ``k`` (chunk_id, BM25 score) pairs, best first, ties broken by smaller id.

        Only chunks sharing a term with the query are returned (score > 0). ``allowed``
        restricts the candidates before the top-k cut, so k hits come back whenever k
        allowed chunks match; IDF still counts every live chunk.
        """
        terms = dict.fromkeys(self._tokenize(query))
        return self.search_groups([[((term,), 1.0)] for term in terms], k, allowed)

    def search_groups(
        self, groups: Sequence[TermGroup], k: int, allowed: Collection[int] | None = None
    ) -> list[tuple[int, float]]:
        """:meth:`search` for a query given as term groups, each a list of alternatives
        (terms, weight): a chunk scores, per group, its best alternative's weight times the
        mean BM25 of that alternative's terms, so synonyms of one word never add up. A plain
        query is one single-term alternative of weight 1 per term."""
        if k <= 0 or not groups:
            return []
        allowed_ids: I64 | None = None
        if isinstance(allowed, np.ndarray):
            allowed_ids = allowed.astype(np.int64, copy=False).ravel()
        elif allowed is not None:
            allowed_ids = np.fromiter(allowed, dtype=np.int64, count=len(allowed))
        if allowed_ids is not None and len(allowed_ids) == 0:
            return []
        with self._lock:
            return self._search_locked(groups, k, allowed_ids)

    def idf(self, terms: Iterable[str]) -> dict[str, float]:
        """BM25 IDF of each of ``terms`` that some live chunk holds (absent terms are left out)."""
        with self._lock:
            n_live = len(self._postings)
            out = {}
            for term in terms:
                df = len(self._live_postings_locked(term)[0])
                if df:
                    out[term] = _idf(n_live, df)
            return out

    def save(self, path: Path) -> None:
        """Write a snapshot to ``path`` atomically (temp file in the same folder + rename)."""
        path = Path(path)
        with self._lock:
            snapshot = self._postings.snapshot()
            meta = {"version": _FORMAT_VERSION, "k1": self.k1, "b": self.b}
            arrays = {
                "meta": _json_bytes(meta),
                "vocab": _json_bytes(snapshot.vocab),
                "offsets": snapshot.offsets,
                "slots": snapshot.slots,
                "tfs": snapshot.tfs,
                "chunk_ids": snapshot.chunk_ids,
                "lengths": snapshot.lengths,
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
            snapshot = PostingsSnapshot(
                vocab=json.loads(data["vocab"].tobytes()),
                offsets=data["offsets"].astype(np.int64),
                slots=data["slots"].astype(np.int32),
                tfs=data["tfs"].astype(np.uint16),
                chunk_ids=data["chunk_ids"].astype(np.int64),
                lengths=data["lengths"].astype(np.int32),
            )
        try:
            index._postings = Postings.from_snapshot(snapshot)
        except ValueError as exc:
            raise ValueError(f"{exc}: {path}") from exc
        return index

    def _stage_locked(self, pending: PendingChunks, counted: TokenizedChunks) -> PendingChunks:
        """Stage ``counted``; commit early (and start a new pending) when a merge is due anyway."""
        self._postings.stage(pending, counted)
        if pending.n_postings > self._postings.merge_threshold():
            self._postings.commit(pending)
            return PendingChunks()
        return pending

    def _slot_norms_locked(self) -> F64:
        postings = self._postings
        if self._norm is None or self._norm[0] != postings.generation:
            n = postings.n_slots
            avgdl = max(postings.total_len / len(postings), 1e-9)
            norm = (self.b / avgdl) * postings.slot_len[:n].astype(np.float64)
            norm += 1.0 - self.b
            norm *= self.k1
            self._norm = (postings.generation, norm)
        return self._norm[1]

    def _live_postings_locked(self, term: str) -> tuple[I32, npt.NDArray[np.uint16]]:
        postings = self._postings
        tid = postings.vocab.get(term)
        if tid is None:
            return NO_SLOTS, _NO_TFS
        slots, tfs = postings.term_postings(tid)
        if len(postings) != postings.n_slots:
            live = postings.slot_alive[slots]
            slots, tfs = slots[live], tfs[live]
        return slots, tfs

    def _term_scores_locked(self, term: str, n_live: int, norm: F64) -> tuple[I32, F64]:
        """The live slots holding ``term`` and their BM25 scores for it."""
        slots, tfs = self._live_postings_locked(term)
        if len(slots) == 0:
            return slots, NO_SCORES
        # score = idf * tf * (k1 + 1) / (tf + norm).
        tf = tfs.astype(np.float64)
        part = norm[slots]
        part += tf
        np.divide(tf, part, out=part)
        part *= _idf(n_live, len(slots)) * (self.k1 + 1.0)
        return slots, part

    def _search_locked(
        self, groups: Sequence[TermGroup], k: int, allowed: I64 | None
    ) -> list[tuple[int, float]]:
        postings = self._postings
        n_live = len(postings)
        if n_live == 0:
            return []
        n = postings.n_slots
        norm = self._slot_norms_locked()
        scored: list[Alternatives] = []
        postings_touched = 0
        for group in groups:
            alternatives: Alternatives = []
            for terms, weight in group:
                parts = [self._term_scores_locked(t, n_live, norm) for t in terms]
                alt_slots, alt_scores = summed([p for p in parts if len(p[0])])
                if len(alt_slots):
                    if weight != 1.0 or len(terms) > 1:
                        alt_scores *= weight / len(terms)
                    alternatives.append((alt_slots, alt_scores))
                    postings_touched += len(alt_slots)
            if alternatives:
                scored.append(alternatives)
        if not scored:
            return []
        if postings_touched * 8 > n:  # common words: per-slot arrays beat sorting
            cand, scores = self._dense_scores.scores(scored, n)
        else:
            cand, scores = sparse_scores(scored)
        if allowed is not None:
            keep = postings.slot_mask(allowed)[cand]
            cand, scores = cand[keep], scores[keep]
        positive = scores > 0
        cand, scores = cand[positive], scores[positive]
        ids = postings.slot_chunk[cand]
        if len(ids) > k:
            # Keep everything tied with the k-th score so the id tie-break is deterministic.
            kth = np.partition(scores, len(scores) - k)[len(scores) - k]
            keep = scores >= kth
            ids, scores = ids[keep], scores[keep]
        order = np.lexsort((ids, -scores))[:k]
        return [(int(i), float(s)) for i, s in zip(ids[order], scores[order], strict=True)]


def _idf(n_live: int, df: int) -> float:
    """Lucene's non-negative BM25 IDF."""
    return math.log1p((n_live - df + 0.5) / (df + 0.5))


def _json_bytes(value: object) -> npt.NDArray[np.uint8]:
    return np.frombuffer(json.dumps(value, ensure_ascii=False).encode(), dtype=np.uint8)
