"""Derived indexes (FAISS + BM25) kept current from the corpus change log.

Start-up loads the on-disk snapshot tagged with the last change applied, then replays
newer changes; anything inconsistent (other model, other database, log behind the
snapshot) falls back to a full rebuild from SQL.
"""

import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np

from retriever.corpus import Corpus
from retriever.errors import EmbeddingModelMismatch
from retriever.faiss_index import FaissIndex
from retriever.keyword_index import KeywordIndex
from retriever.records import Change

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


class DerivedIndexes:
    def __init__(
        self,
        corpus: Corpus,
        directory: Path,
        dim: int,
        model_name: str,
        tokenize: Callable[[str], list[str]],
        use_gpu: bool | None = None,
        poll_interval: float = 0.5,
    ) -> None:
        self.corpus = corpus
        self.directory = directory
        self.dim = dim
        self.model_name = model_name
        self.tokenize = tokenize
        self.use_gpu = use_gpu
        self.poll_interval = poll_interval
        self.dense = FaissIndex(dim, use_gpu)
        self.keyword = KeywordIndex(tokenize)
        self.seq = 0
        self.lock = threading.RLock()
        self._last_poll = 0.0
        self._unsaved = 0

    @property
    def _meta_path(self) -> Path:
        return self.directory / "snapshot.json"

    def open(self) -> "DerivedIndexes":
        """Check the model matches the stored embeddings, load the snapshot, replay the log."""
        stored_model = self.corpus.get_meta(EMBEDDING_MODEL_KEY)
        if stored_model is None:
            self.corpus.set_meta(EMBEDDING_MODEL_KEY, f"{self.model_name}:{self.dim}")
        elif stored_model != f"{self.model_name}:{self.dim}":
            raise EmbeddingModelMismatch(
                f"the corpus was embedded with {stored_model}, but the configured model is "
                f"{self.model_name}:{self.dim}; run `kotae reindex --reembed` to re-embed it"
            )
        if self.corpus.get_meta(CORPUS_ID_KEY) is None:
            self.corpus.set_meta(CORPUS_ID_KEY, uuid.uuid4().hex)
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
            dense = FaissIndex.load(self.directory / "dense.faiss", self.dim, self.use_gpu)
            keyword = KeywordIndex.load(self.directory / "keyword.npz", self.tokenize)
        except (OSError, ValueError, RuntimeError, EOFError):
            return False
        with self.lock:
            self.dense, self.keyword, self.seq = dense, keyword, int(meta["seq"])
        return True

    def _identity(self) -> dict[str, object]:
        return {
            "corpus_id": self.corpus.get_meta(CORPUS_ID_KEY),
            "model": self.model_name,
            "dim": self.dim,
        }

    def rebuild(self) -> int:
        """Rebuild both indexes from SQL; returns the number of chunks indexed."""
        seq = self.corpus.last_seq()
        dense = FaissIndex(self.dim, self.use_gpu)
        keyword = KeywordIndex(self.tokenize)
        for ids, texts, vectors in self.corpus.iter_chunks():
            dense.add(ids, vectors)
            keyword.add_many(zip(ids.tolist(), texts, strict=True))
        with self.lock:
            self.dense, self.keyword, self.seq = dense, keyword, seq
        # Changes committed while we read are replayed; re-adding an id is idempotent.
        self.catch_up(force=True)
        self.save()
        return len(self.dense)

    def catch_up(self, force: bool = False) -> int:
        """Apply change-log entries not yet seen; returns how many were applied."""
        now = time.monotonic()
        if not force and now - self._last_poll < self.poll_interval:
            return 0
        with self.lock:
            self._last_poll = now
            changes = self.corpus.changes_since(self.seq)
            if not changes:
                return 0
            adds, removes = pending_changes(changes)
            self.dense.remove(removes)
            for chunk_id in removes:
                self.keyword.remove(chunk_id)
            for ids, texts, vectors in self.corpus.iter_chunks(sorted(adds)):
                self.dense.add(ids, vectors)
                for chunk_id in ids.tolist():
                    self.keyword.remove(chunk_id)
                self.keyword.add_many(zip(ids.tolist(), texts, strict=True))
            self.seq = changes[-1].seq
            self._unsaved += len(changes)
            if self._unsaved >= 20_000:
                self.save()
            return len(changes)

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
        self, query: str, k: int, allowed: np.ndarray | None
    ) -> list[tuple[int, float]]:
        with self.lock:
            return self.keyword.search(query, k, allowed)
