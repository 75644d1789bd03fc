"""The ingest pipeline: load → normalize → chunk → embed → store.

One file's failure never stops the rest.
"""

import hashlib
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ingest.archive import ArchiveLimits
from ingest.chunking import TextChunk, chunk_pages, join_pages
from ingest.errors import FileTooLargeError, IngestError, UnsupportedFileError
from ingest.loaders import (
    SUPPORTED_SUFFIXES,
    LoadedDocument,
    LoadLimits,
    check_text_size,
    load_bytes,
)
from ingest.normalize import normalize_text
from retriever.corpus import Corpus
from retriever.embedder import Embedder
from retriever.records import NewChunk

DEFAULT_COLLECTION = "default"


@dataclass(frozen=True)
class FileOutcome:
    source: str
    outcome: str  # "added" | "updated" | "unchanged" | "failed" | "skipped"
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


class ProgressListener(Protocol):
    def started(self, total_files: int) -> None: ...
    def file_done(self, outcome: FileOutcome) -> None: ...


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
        embed_batch_chunks: int = 256,
        max_text_chars: int = 100 * 1024 * 1024,
        max_unzipped_bytes: int = 200 * 1024 * 1024,
    ) -> None:
        self.corpus = corpus
        self.embedder = embedder
        prompt_tokens = int(getattr(embedder, "prompt_tokens", 2))
        self.chunk_tokens = min(chunk_tokens, embedder.max_tokens - prompt_tokens)
        self.overlap_tokens = overlap_tokens
        self.max_file_bytes = max_file_bytes
        self.embed_batch_chunks = embed_batch_chunks
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
                limit = self.max_file_bytes // (1024 * 1024)
                reason = f"file is {size / 1024 / 1024:.1f} MB, over the {limit} MB limit"
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
    ) -> IngestReport:
        """Ingest files; chunks of several small files are embedded together for throughput."""
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
        for item in items:
            if isinstance(item, FileOutcome):
                record(item)
                continue
            prepared = self._prepare(item, collection)
            if isinstance(prepared, FileOutcome):
                record(prepared)
                continue
            batch.append(prepared)
            if sum(len(p.chunks) for p in batch) >= self.embed_batch_chunks:
                for outcome in self._embed_and_store(batch, collection):
                    record(outcome)
                batch = []
        for outcome in self._embed_and_store(batch, collection):
            record(outcome)
        report.seconds = time.perf_counter() - started
        return report

    def _prepare(self, item: FileInput, collection: str) -> _Prepared | FileOutcome:
        content_hash = sha256(item.data)
        existing = self.corpus.find_document(collection, item.source)
        if existing and existing.status == "ready" and existing.content_hash == content_hash:
            return FileOutcome(item.source, "unchanged", existing.chunks, document_id=existing.id)
        try:
            if len(item.data) > self.max_file_bytes:
                raise FileTooLargeError(f"file is over the {self.max_file_bytes} byte limit")
            document = load_bytes(item.data, item.name, self.load_limits)
            pages = [normalize_text(page) for page in document.pages]
            # NFKC can lengthen text (one ﷺ becomes 18 characters): check what gets indexed.
            check_text_size(pages, self.load_limits.max_text_chars, document.mime)
            text, offsets = join_pages(pages)
            if not text.strip():
                raise IngestError("no text found in the file")
            chunks = chunk_pages(
                pages, self.embedder.count_tokens, self.chunk_tokens, self.overlap_tokens
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

    def _embed_and_store(self, batch: list[_Prepared], collection: str) -> list[FileOutcome]:
        if not batch:
            return []
        texts = [c.text for p in batch for c in p.chunks]
        vectors = self.embedder.encode_passages(texts)
        outcomes = []
        offset = 0
        for p in batch:
            chunks = [
                NewChunk(
                    text=c.text,
                    char_start=c.char_start,
                    char_end=c.char_end,
                    page_start=c.page_start,
                    page_end=c.page_end,
                    token_count=c.token_count,
                    embedding=vectors[offset + i],
                )
                for i, c in enumerate(p.chunks)
            ]
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
