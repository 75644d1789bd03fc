"""The ingest pipeline: load → normalize → chunk → embed → store.

One file's failure never stops the rest. Chunks of several small files are embedded and
stored together; a file of more than one batch of chunks goes through ingest/staging.py.
"""

import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from ingest.archive import ArchiveLimits
from ingest.chunking import chunk_pages
from ingest.errors import FileTooLargeError, IngestError, UnsupportedFileError
from ingest.files import discover, read_files
from ingest.loaders import SUPPORTED_SUFFIXES, LoadLimits, check_text_size, load_bytes
from ingest.ocr import PageOcr
from ingest.records import (
    TEXT_VERSION,
    FileInput,
    FileOutcome,
    IngestInterrupted,
    IngestReport,
    PreparedFile,
    ProgressListener,
    StopSignal,
)
from ingest.sections import context_at, locate_sections, section_bounds
from ingest.sizes import human_size
from ingest.staging import StagedIngest, new_chunks
from retriever.corpus import Corpus
from retriever.embedder import Embedder
from retriever.records import searchable_text
from text.normalize import normalize_text
from text.pages import join_pages

DEFAULT_COLLECTION = "default"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class IngestPipeline:
    def __init__(
        self,
        corpus: Corpus,
        embedder: Embedder,
        *,
        chunk_tokens: int,
        overlap_tokens: int,
        max_file_bytes: int,
        embed_batch_chunks: int,
        max_text_chars: int,
        max_unzipped_bytes: int,
        ocr: PageOcr,
    ) -> None:
        self.corpus = corpus
        self.embedder = embedder
        self.chunk_tokens = min(chunk_tokens, embedder.max_tokens - embedder.prompt_tokens)
        self.overlap_tokens = overlap_tokens
        self.max_file_bytes = max_file_bytes
        # Bounds one embedding call and one transaction: the time a shutdown waits for.
        self.embed_batch_chunks = max(1, embed_batch_chunks)
        self.load_limits = LoadLimits(max_text_chars, ArchiveLimits(max_unzipped_bytes))
        self.staged = StagedIngest(corpus, embedder, self.embed_batch_chunks)
        self.ocr = ocr

    def ingest_paths(
        self,
        paths: Sequence[Path],
        collection: str = DEFAULT_COLLECTION,
        progress: ProgressListener | None = None,
    ) -> IngestReport:
        files, missing = discover(paths)
        items = read_files(files, self.max_file_bytes)
        return self.ingest_files(items, len(files), collection, progress, missing)

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
        batch: list[PreparedFile] = []

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
                record(self.staged.ingest(prepared, collection, progress, stop))
            else:
                batch.append(prepared)
                if sum(len(p.chunks) for p in batch) >= self.embed_batch_chunks:
                    flush()
        flush()
        report.seconds = time.perf_counter() - started
        return report

    def _prepare(
        self, item: FileInput, content_hash: str, collection: str, stop: StopSignal | None = None
    ) -> PreparedFile | FileOutcome:
        existing = self.corpus.find_document(collection, item.source)
        if (
            existing
            and existing.status == "ready"
            and existing.content_hash == content_hash
            and existing.text_version >= TEXT_VERSION
        ):
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
            ocr = _StoppableOcr(self.ocr, stop) if stop else self.ocr
            document = load_bytes(item.data, item.name, self.load_limits, ocr)
            pages = [normalize_text(page) for page in document.pages]
            # NFKC can lengthen text (one ﷺ becomes 18 characters): check what gets indexed.
            check_text_size(pages, self.load_limits.max_text_chars, document.mime)
            text, offsets = join_pages(pages)
            if not text.strip():
                raise IngestError("no text found in the file")
            sections = locate_sections(document.headings, text, offsets)
            chunks = [
                replace(
                    chunk,
                    context=context_at(
                        sections, text, chunk.char_start, chunk.char_end, document.title
                    ),
                )
                for chunk in chunk_pages(
                    pages,
                    _stoppable(self.embedder.count_tokens, stop),
                    self.chunk_tokens,
                    self.overlap_tokens,
                    section_bounds(sections),
                )
            ]
        except UnsupportedFileError as e:
            if Path(item.name).suffix.lower() not in SUPPORTED_SUFFIXES:
                return FileOutcome(item.source, "skipped", reason=str(e))
            # A .txt or .pdf that holds something else is a broken file, not an unknown type.
            return self._failed(item, collection, content_hash, str(e))
        except IngestError as e:
            return self._failed(item, collection, content_hash, str(e))
        return PreparedFile(item, content_hash, document, offsets, chunks)

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

    def _embed_and_store(self, batch: list[PreparedFile], collection: str) -> list[FileOutcome]:
        if not batch:
            return []
        texts = [searchable_text(c.context, c.text) for p in batch for c in p.chunks]
        vectors = self.embedder.encode_passages(texts)
        outcomes = []
        offset = 0
        for p in batch:
            chunks = new_chunks(p.chunks, vectors[offset : offset + len(p.chunks)])
            offset += len(p.chunks)
            stored = self.corpus.store_document(p.new_document(collection), chunks)
            outcomes.append(
                FileOutcome(
                    p.item.source,
                    stored.outcome,
                    stored.chunks,
                    document_id=stored.document_id,
                    warnings=p.document.warnings,
                )
            )
        return outcomes


class _StoppableOcr:
    """OCR that raises IngestInterrupted once `stop` is set: a scan of hundreds of pages takes
    many minutes, which a shutdown must not wait."""

    def __init__(self, ocr: PageOcr, stop: StopSignal) -> None:
        self.ocr = ocr
        self.stop = stop

    def read(self, png: bytes) -> str:
        if self.stop.is_set():
            raise IngestInterrupted("stopped during OCR")
        return self.ocr.read(png)


def _stoppable(count_tokens: Callable[[str], int], stop: StopSignal | None) -> Callable[[str], int]:
    """Token counting that raises IngestInterrupted once `stop` is set.

    Chunking a file of tens of MB takes minutes; a shutdown must not wait.
    """
    if stop is None:
        return count_tokens

    def count(text: str) -> int:
        if stop.is_set():
            raise IngestInterrupted("stopped while chunking")
        return count_tokens(text)

    return count
