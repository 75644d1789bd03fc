"""Derived indexes (a dense VectorIndex + BM25) kept current from the corpus change log.

Start-up loads the on-disk snapshot tagged with the last change applied, then replays
newer changes; anything inconsistent (other model, other database, log behind the
snapshot) falls back to a full rebuild from SQL. Which dense store suits the collection is
the caller's choice (`vector_stores`); this module knows only the VectorIndex protocol, and
rebuilds the dense index in the background when the collection outgrows its store.
"""

import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from retriever.corpus import Corpus
from retriever.errors import EmbeddingModelMismatch
from retriever.keyword_index import KeywordIndex, TermGroup, TokenizedChunks
from retriever.records import Change
from retriever.vector_index import VectorIndex, VectorStores

QueryExpander = Callable[[str, Callable[[Iterable[str]], dict[str, float]]], list[TermGroup]]

CORPUS_ID_KEY = "corpus_id"
EMBEDDING_MODEL_KEY = "embedding_model"


def pending_changes(changes: list[Change]) -> tuple[set[int], set[int]]:
    """Collapse a change sequence into (ids to add, ids to remove); the last op wins."""
    adds: set[int] = set()
    removes: set[int] = set()
    for change in changes:
        if change.op == "add":
            adds.add(change.chunk_id)
            removes.discard(change.chunk_id)
        else:
            adds.discard(change.chunk_id)
            removes.add(change.chunk_id)
    return adds, removes


def _warm_up(dense: VectorIndex, dim: int) -> None:
    """Search once before a new store goes live: a store that builds itself lazily (IVF
    trains its lists) does it now, not under the lock at a user's first search."""
    dense.search(np.zeros(dim, dtype=np.float32), 1, None)


# Rows read per catch-up before they are applied: bounds memory when a long log is replayed
# (at start-up); an ordinary catch-up fits in one group and is applied all at once.
_APPLY_ROWS = 20_000
# A snapshot is written after this many changes, so a restart replays a short log.
_SAVE_EVERY = 20_000

StagedRows = list[tuple[np.ndarray, np.ndarray, TokenizedChunks]]


class DerivedIndexes:
    """A dense VectorIndex and a KeywordIndex over the corpus, kept current from its change log.

    Concurrency: searches take `lock` only while they search. A catch-up reads the log and
    chunk rows and tokenizes them without it, then applies them under it; catch-ups (and
    rebuilds) are serialized by a second mutex that searches never take. `seq` and which
    indexes are current change only under both.
    """

    def __init__(
        self,
        corpus: Corpus,
        directory: Path,
        dim: int,
        model_name: str,
        tokenize: Callable[[str], list[str]],
        vector_stores: VectorStores,
        poll_interval: float,
        tokenizer_name: str = "",
    ) -> None:
        """`vector_stores` makes dense stores (FaissIndex, say) of dimension `dim`;
        `poll_interval` is how long (seconds) a search reuses the last look at the log;
        `tokenizer_name` names `tokenize`'s rules: a snapshot made under other rules is
        rebuilt from SQL on open."""
        self.corpus = corpus
        self.directory = directory
        self.dim = dim
        self.model_name = model_name
        self.tokenize = tokenize
        self.tokenizer_name = tokenizer_name
        self.vector_stores = vector_stores
        self.poll_interval = poll_interval
        self.dense = vector_stores.new(0)
        self.keyword = KeywordIndex(tokenize)
        self.seq = 0
        self.lock = threading.RLock()
        self._catch_up_mutex = threading.Lock()
        self._last_poll = 0.0
        self._unsaved = 0
        self._resizing: threading.Thread | None = None
        self._resize_start = threading.Lock()

    @property
    def chunk_count(self) -> int:
        """How many chunks the indexes hold (for health checks)."""
        with self.lock:
            return len(self.dense)

    @property
    def _meta_path(self) -> Path:
        return self.directory / "snapshot.json"

    def open(self) -> "DerivedIndexes":
        """Check the model matches the stored embeddings, load the snapshot, replay the log."""
        model = f"{self.model_name}:{self.dim}"
        stored_model = self.corpus.meta_or_set(EMBEDDING_MODEL_KEY, model)
        if stored_model != model:
            raise EmbeddingModelMismatch(
                f"the corpus was embedded with {stored_model}, but the configured model is "
                f"{model}; run `kotae reindex --reembed` to re-embed it"
            )
        self.corpus.meta_or_set(CORPUS_ID_KEY, uuid.uuid4().hex)
        if not self._load_snapshot():
            self.rebuild()
        self.catch_up(force=True)
        return self

    def _load_snapshot(self) -> bool:
        try:
            meta = json.loads(self._meta_path.read_text())
        except (OSError, ValueError):
            return False
        if meta != {**meta, **self._identity()} or meta["seq"] > self.corpus.last_seq():
            return False
        try:
            dense = self.vector_stores.load(self.directory / "dense.faiss")
            keyword = KeywordIndex.load(self.directory / "keyword.npz", self.tokenize)
        except (OSError, ValueError, RuntimeError, EOFError):
            return False
        with self._catch_up_mutex, self.lock:
            self.dense, self.keyword, self.seq = dense, keyword, int(meta["seq"])
        return True

    def _identity(self) -> dict[str, object]:
        return {
            "corpus_id": self.corpus.get_meta(CORPUS_ID_KEY),
            "model": self.model_name,
            "dim": self.dim,
            "tokenizer": self.tokenizer_name,
        }

    def rebuild(self) -> int:
        """Rebuild both indexes from SQL; returns the number of chunks indexed.

        Searches keep using the old indexes until the new ones are complete.
        """
        with self._catch_up_mutex:
            seq = self.corpus.last_seq()
            dense = self.vector_stores.new(self.corpus.chunk_count())
            keyword = KeywordIndex(self.tokenize)
            for ids, texts, vectors in self.corpus.iter_chunks():
                dense.add(ids, vectors)
                keyword.add_many(zip(ids.tolist(), texts, strict=True))
            _warm_up(dense, self.dim)
            with self.lock:
                self.dense, self.keyword, self.seq = dense, keyword, seq
        # Changes committed while we read are replayed; re-adding an id is idempotent.
        self.catch_up(force=True)
        self.save()
        return self.chunk_count

    def catch_up(self, force: bool = False) -> int:
        """Apply change-log entries not yet seen; returns how many were applied.

        Without `force` (a search's call) it looks at the log at most once per poll interval
        and never waits for a catch-up already running: the search uses the indexes as they
        are. With `force` it waits, so the caller sees every change committed before.
        """
        now = time.monotonic()
        if not force and now - self._last_poll < self.poll_interval:
            return 0
        if not self._catch_up_mutex.acquire(blocking=force):
            return 0
        try:
            self._last_poll = now
            applied = self._replay_log()
            if applied and self._unsaved >= _SAVE_EVERY:
                self.save()
        finally:
            self._catch_up_mutex.release()
        self._resize_if_outgrown()
        return applied

    def _resize_if_outgrown(self) -> None:
        """Start a background rebuild of the dense index when its store no longer suits the
        collection's size (exact search past the threshold, say)."""
        if self.vector_stores.suits(self.dense, len(self.dense)):
            return
        with self._resize_start:
            if self._resizing is None or not self._resizing.is_alive():
                self._resizing = threading.Thread(
                    target=self._resize, name="kotae-dense-resize", daemon=True
                )
                self._resizing.start()

    def _resize(self) -> None:
        """Rebuild the dense index alone from SQL, in the store that suits its size now.

        Searches go on with the old store meanwhile; catch-ups wait, so new documents become
        searchable once it is done (the log is replayed onto the new store right away).
        """
        with self._catch_up_mutex:
            if self.vector_stores.suits(self.dense, len(self.dense)):
                return  # a catch-up in between brought the size back
            dense = self.vector_stores.new(self.corpus.chunk_count())
            for ids, _texts, vectors in self.corpus.iter_chunks():
                dense.add(ids, vectors)
            _warm_up(dense, self.dim)
            with self.lock:
                self.dense = dense
            self._replay_log()
        self.save()

    def _replay_log(self) -> int:
        """Read and tokenize what changed since `seq` outside `lock`, apply it under `lock`.

        Runs under the catch-up mutex, so `seq` cannot move meanwhile. Should it fail part
        way, `seq` stays put and the next catch-up applies the range again (adds replace,
        removes of absent ids are no-ops).
        """
        changes = self.corpus.changes_since(self.seq)
        if not changes:
            return 0
        adds, removes = pending_changes(changes)
        staged: StagedRows = []
        staged_rows = 0
        for ids, texts, vectors in self.corpus.iter_chunks(sorted(adds)):
            counted = self.keyword.tokenize_chunks(zip(ids.tolist(), texts, strict=True))
            staged.append((ids, vectors, counted))
            staged_rows += len(ids)
            if staged_rows >= _APPLY_ROWS:
                self._apply(removes, staged)
                removes, staged, staged_rows = set(), [], 0
        self._apply(removes, staged, seq=changes[-1].seq)
        self._unsaved += len(changes)
        return len(changes)

    def _apply(self, removes: set[int], staged: StagedRows, seq: int | None = None) -> None:
        """Make removes and staged rows searchable at once; then `seq` is the log position."""
        with self.lock:
            self.dense.remove(removes)
            for chunk_id in removes:
                self.keyword.remove(chunk_id)
            for ids, vectors, counted in staged:
                self.dense.add(ids, vectors)
                self.keyword.add_tokenized(counted)
            if seq is not None:
                self.seq = seq

    def save(self) -> None:
        """Write the snapshot: both indexes, then the metadata naming the seq they hold."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with self.lock:
            self.dense.save(self.directory / "dense.faiss")
            self.keyword.save(self.directory / "keyword.npz")
            meta = {"seq": self.seq, **self._identity()}
            tmp = self._meta_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(meta))
            os.replace(tmp, self._meta_path)
            self._unsaved = 0

    def dense_search(
        self, query_vector: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> list[tuple[int, float]]:
        with self.lock:
            return self.dense.search(query_vector, k, allowed)

    def keyword_search(
        self, query: str, k: int, allowed: np.ndarray | None, expand: QueryExpander | None = None
    ) -> list[tuple[int, float]]:
        """BM25 hits; `expand` turns the query into weighted term groups (KeywordBridge.expand)
        given the IDF of the terms the index holds."""
        with self.lock:
            if expand is None:
                return self.keyword.search(query, k, allowed)
            return self.keyword.search_groups(expand(query, self.keyword.idf), k, allowed)
