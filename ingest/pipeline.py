"""The ingest pipeline: load → normalize → chunk → embed → store.

One file's failure never stops the rest. A file of more than one batch of chunks is
embedded and kept batch by batch (staged, invisible to search), with progress reported
and `stop` checked between batches; an interrupted file resumes from its staged batches
and becomes searchable, replacing any earlier version, only once all are embedded.
"""

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from ingest.archive import ArchiveLimits
from ingest.chunking import TextChunk, chunk_pages
from ingest.errors import FileTooLargeError, IngestError, UnsupportedFileError
from ingest.loaders import (
    SUPPORTED_SUFFIXES,
    LoadedDocument,
    LoadLimits,
    check_text_size,
    load_bytes,
)
from ingest.sizes import human_size
from retriever.corpus import Corpus
from retriever.embedder import Embedder
from retriever.records import NewChunk
from text.normalize import normalize_text
from text.pages import join_pages

DEFAULT_COLLECTION = "default"
STAGING_ATTEMPTS = 3
log = logging.getLogger(__name__)


class IngestInterrupted(Exception):
    """`stop` was set between two batches of a file; its embedded batches stay staged."""


@dataclass(frozen=True)
class FileOutcome:
    source: str
    # "added" | "updated" | "unchanged" | "duplicate" | "failed" | "skipped"
    outcome: str
    chunks: int = 0
    reason: str | None = None
    document_id: int | None = None


@dataclass
class IngestReport:
    files: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, outcome: str) -> int:
        return sum(1 for f in self.files if f.outcome == outcome)

    @property
    def chunks(self) -> int:
        return sum(f.chunks for f in self.files if f.outcome in ("added", "updated"))

    @property
    def failed(self) -> list[FileOutcome]:
        return [f for f in self.files if f.outcome == "failed"]


class StopSignal(Protocol):
    def is_set(self) -> bool: ...


class ProgressListener(Protocol):
    def started(self, total_files: int) -> None: ...
    def file_done(self, outcome: FileOutcome) -> None: ...
    def file_progress(self, source: str, done: int, total: int, resumed: int) -> None:
        """Chunks of a large file embedded so far (`resumed` of them by an earlier attempt)."""


@dataclass(frozen=True)
class FileInput:
    """One file to ingest: where it came from (its identity in the collection) and its bytes."""

    source: str
    name: str
    data: bytes


@dataclass
class _Prepared:
    item: FileInput
    content_hash: str
    document: LoadedDocument
    page_offsets: list[int]
    chunks: list[TextChunk]


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[FileOutcome]]:
    """Expand folders recursively (hidden entries skipped); report missing paths as failures."""
    files: list[Path] = []
    missing: list[FileOutcome] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            files.append(path)
        else:
            missing.append(FileOutcome(str(path), "failed", reason="no such file or folder"))
    return files, missing


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class IngestPipeline:
    def __init__(
        self,
        corpus: Corpus,
        embedder: Embedder,
        chunk_tokens: int = 200,
        overlap_tokens: int = 40,
        max_file_bytes: int = 100 * 1024 * 1024,
        embed_batch_chunks: int = 64,
        max_text_chars: int = 100 * 1024 * 1024,
        max_unzipped_bytes: int = 200 * 1024 * 1024,
    ) -> None:
        self.corpus = corpus
        self.embedder = embedder
        prompt_tokens = int(getattr(embedder, "prompt_tokens", 2))
        self.chunk_tokens = min(chunk_tokens, embedder.max_tokens - prompt_tokens)
        self.overlap_tokens = overlap_tokens
        self.max_file_bytes = max_file_bytes
        # Bounds one embedding call and one transaction: the time a shutdown waits for.
        self.embed_batch_chunks = max(1, embed_batch_chunks)
        self.load_limits = LoadLimits(max_text_chars, ArchiveLimits(max_unzipped_bytes))

    def ingest_paths(
        self,
        paths: Sequence[Path],
        collection: str = DEFAULT_COLLECTION,
        progress: ProgressListener | None = None,
    ) -> IngestReport:
        files, missing = discover(paths)
        return self.ingest_files(self._read_files(files), len(files), collection, progress, missing)

    def _read_files(self, files: list[Path]) -> Iterator[FileInput | FileOutcome]:
        for path in files:
            source = str(path.resolve())
            size = path.stat().st_size
            if size > self.max_file_bytes:
                limit = human_size(self.max_file_bytes)
                reason = f"file is {human_size(size)}, over the {limit} limit"
                yield FileOutcome(source, "failed", reason=reason)
            elif path.suffix and path.suffix.lower() not in SUPPORTED_SUFFIXES:
                reason = f"unsupported file type '{path.suffix.lower()}'"
                yield FileOutcome(source, "skipped", reason=reason)
            else:
                try:
                    yield FileInput(source, path.name, path.read_bytes())
                except OSError as e:
                    yield FileOutcome(source, "failed", reason=f"cannot read file: {e.strerror}")

    def ingest_files(
        self,
        items: Iterable[FileInput | FileOutcome],
        total: int,
        collection: str = DEFAULT_COLLECTION,
        progress: ProgressListener | None = None,
        earlier: Sequence[FileOutcome] = (),
        stop: StopSignal | None = None,
    ) -> IngestReport:
        """Ingest files; chunks of several small files are embedded together for throughput.

        Raises IngestInterrupted when `stop` is set in the middle of a large file.
        """
        started = time.perf_counter()
        report = IngestReport()
        if progress:
            progress.started(total + len(earlier))

        def record(outcome: FileOutcome) -> None:
            report.files.append(outcome)
            if progress:
                progress.file_done(outcome)

        for outcome in earlier:
            record(outcome)
        batch: list[_Prepared] = []

        def flush() -> None:
            for outcome in self._embed_and_store(batch, collection):
                record(outcome)
            batch.clear()

        for item in items:
            if isinstance(item, FileOutcome):
                record(item)
                continue
            content_hash = sha256(item.data)
            if any(p.content_hash == content_hash for p in batch):
                flush()  # stored first, so this copy is found to be its duplicate
            prepared = self._prepare(item, content_hash, collection, stop)
            if isinstance(prepared, FileOutcome):
                record(prepared)
            elif len(prepared.chunks) > self.embed_batch_chunks:
                flush()
                record(self._ingest_staged(prepared, collection, progress, stop))
            else:
                batch.append(prepared)
                if sum(len(p.chunks) for p in batch) >= self.embed_batch_chunks:
                    flush()
        flush()
        report.seconds = time.perf_counter() - started
        return report

    def _prepare(
        self, item: FileInput, content_hash: str, collection: str, stop: StopSignal | None = None
    ) -> _Prepared | FileOutcome:
        existing = self.corpus.find_document(collection, item.source)
        if existing and existing.status == "ready" and existing.content_hash == content_hash:
            return FileOutcome(item.source, "unchanged", existing.chunks, document_id=existing.id)
        if existing is None or existing.status != "ready":
            # A new name for content already stored: one document, and say which.
            same = self.corpus.find_by_content(collection, content_hash)
            if same is not None:
                reason = f"same content as document {same.id} ({same.source}); not added again"
                return FileOutcome(
                    item.source, "duplicate", same.chunks, reason=reason, document_id=same.id
                )
        try:
            if len(item.data) > self.max_file_bytes:
                limit = human_size(self.max_file_bytes)
                raise FileTooLargeError(f"file is over the {limit} limit")
            document = load_bytes(item.data, item.name, self.load_limits)
            pages = [normalize_text(page) for page in document.pages]
            # NFKC can lengthen text (one ﷺ becomes 18 characters): check what gets indexed.
            check_text_size(pages, self.load_limits.max_text_chars, document.mime)
            text, offsets = join_pages(pages)
            if not text.strip():
                raise IngestError("no text found in the file")
            chunks = chunk_pages(
                pages,
                _stoppable(self.embedder.count_tokens, stop),
                self.chunk_tokens,
                self.overlap_tokens,
            )
        except UnsupportedFileError as e:
            if Path(item.name).suffix.lower() not in SUPPORTED_SUFFIXES:
                return FileOutcome(item.source, "skipped", reason=str(e))
            # A .txt or .pdf that holds something else is a broken file, not an unknown type.
            return self._failed(item, collection, content_hash, str(e))
        except IngestError as e:
            return self._failed(item, collection, content_hash, str(e))
        return _Prepared(item, content_hash, document, offsets, chunks)

    def _failed(
        self, item: FileInput, collection: str, content_hash: str, reason: str
    ) -> FileOutcome:
        self.corpus.record_failure(
            collection=collection,
            source=item.source,
            content_hash=content_hash,
            size=len(item.data),
            error=reason,
        )
        return FileOutcome(item.source, "failed", reason=reason)

    def _staging_key(self, chunks: Sequence[TextChunk]) -> str:
        """What the staged embeddings depend on: the model and every chunk's text and place."""
        digest = hashlib.sha256(f"{self.embedder.name}\0{self.embedder.dim}".encode())
        for c in chunks:
            place = f"\0{c.char_start}:{c.char_end}:{c.page_start}:{c.page_end}:{c.token_count}\0"
            digest.update(place.encode())
            digest.update(c.text.encode("utf-8"))
        return digest.hexdigest()

    def _ingest_staged(
        self,
        p: _Prepared,
        collection: str,
        progress: ProgressListener | None,
        stop: StopSignal | None,
    ) -> FileOutcome:
        """Embed a large file batch by batch, resuming from what an earlier attempt staged."""
        key = self._staging_key(p.chunks)
        total = len(p.chunks)
        for _ in range(STAGING_ATTEMPTS):
            staged = self.corpus.staged_ordinals(key)
            resumed = done = len(staged)
            if resumed:
                log.info("%s: resuming at %d of %d chunks", p.item.source, resumed, total)
            if progress:
                progress.file_progress(p.item.source, done, total, resumed)
            for start in range(0, total, self.embed_batch_chunks):
                missing = [
                    i for i in range(start, min(start + self.embed_batch_chunks, total))
                    if i not in staged
                ]  # fmt: skip
                if not missing:
                    continue
                if stop is not None and stop.is_set():
                    raise IngestInterrupted(f"{p.item.source}: stopped at {done} of {total} chunks")
                chunks = [p.chunks[i] for i in missing]
                vectors = self.embedder.encode_passages([c.text for c in chunks])
                self.corpus.stage_chunks(key, missing, _new_chunks(chunks, vectors))
                done += len(missing)
                if progress:
                    progress.file_progress(p.item.source, done, total, resumed)
            stored = self.corpus.store_staged_document(
                collection=collection,
                source=p.item.source,
                title=p.document.title,
                mime=p.document.mime,
                content_hash=p.content_hash,
                size=len(p.item.data),
                page_offsets=p.page_offsets,
                key=key,
                total=total,
            )
            if stored is not None:
                return FileOutcome(
                    p.item.source, stored.outcome, stored.chunks, document_id=stored.document_id
                )
            # Another worker with the same content finished first and took the staged rows.
        raise IngestError("the file's embedded chunks kept disappearing; try again")

    def _embed_and_store(self, batch: list[_Prepared], collection: str) -> list[FileOutcome]:
        if not batch:
            return []
        texts = [c.text for p in batch for c in p.chunks]
        vectors = self.embedder.encode_passages(texts)
        outcomes = []
        offset = 0
        for p in batch:
            chunks = _new_chunks(p.chunks, vectors[offset : offset + len(p.chunks)])
            offset += len(p.chunks)
            stored = self.corpus.store_document(
                collection=collection,
                source=p.item.source,
                title=p.document.title,
                mime=p.document.mime,
                content_hash=p.content_hash,
                size=len(p.item.data),
                page_offsets=p.page_offsets,
                chunks=chunks,
            )
            outcomes.append(
                FileOutcome(
                    p.item.source, stored.outcome, stored.chunks, document_id=stored.document_id
                )
            )
        return outcomes


def _stoppable(count_tokens: Callable[[str], int], stop: StopSignal | None) -> Callable[[str], int]:
    """Token counting that raises IngestInterrupted once `stop` is set.

    Chunking a file of tens of MB takes minutes (~10 s for 5 MB); a shutdown must not wait.
    """
    if stop is None:
        return count_tokens

    def count(text: str) -> int:
        if stop.is_set():
            raise IngestInterrupted("stopped while chunking")
        return count_tokens(text)

    return count


def _new_chunks(chunks: Sequence[TextChunk], vectors: np.ndarray) -> list[NewChunk]:
    return [
        NewChunk(
            text=c.text,
            char_start=c.char_start,
            char_end=c.char_end,
            page_start=c.page_start,
            page_end=c.page_end,
            token_count=c.token_count,
            embedding=vector,
        )
        for c, vector in zip(chunks, vectors, strict=True)
    ]
