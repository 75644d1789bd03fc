"""The documents use case: list, show, fetch the original, delete (from SQL and every index)."""

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ingest.blobs import BlobStore
from ingest.jobs import JobQueue
from ingest.pipeline import sha256
from retriever.corpus import Corpus
from retriever.records import ChunkRecord, DocumentInfo

log = logging.getLogger(__name__)


class DocumentService:
    def __init__(
        self,
        corpus: Corpus,
        blobs: BlobStore,
        jobs: JobQueue,
        refresh_indexes: Callable[[], None],
        orphan_blob_seconds: float,
        staged_chunks_keep_seconds: float,
    ) -> None:
        self.corpus = corpus
        self.blobs = blobs
        self.jobs = jobs
        self.refresh_indexes = refresh_indexes
        self.orphan_blob_seconds = orphan_blob_seconds
        self.staged_chunks_keep = timedelta(seconds=staged_chunks_keep_seconds)

    def list(self, collection: str | None = None) -> list[DocumentInfo]:
        return self.corpus.list_documents(collection)

    def get(self, document_id: int) -> DocumentInfo:
        """Raises DocumentNotFound."""
        return self.corpus.get_document(document_id)

    def chunks(
        self, document_id: int, offset: int, limit: int
    ) -> tuple[Sequence[ChunkRecord], int]:
        """A page of the document's chunks in reading order and their total; raises
        DocumentNotFound."""
        self.corpus.get_document(document_id)
        return self.corpus.document_chunks(document_id, offset, limit)

    def original_path(self, doc: DocumentInfo) -> Path | None:
        """The stored upload, or the ingested local file if it still has the same content."""
        if self.blobs.exists(doc.content_hash):
            return self.blobs.path(doc.content_hash)
        path = Path(doc.source)
        if path.is_file() and sha256(path.read_bytes()) == doc.content_hash:
            return path
        return None

    def delete(self, document_id: int) -> None:
        """Remove a document from SQL and the indexes, and its uploaded original unless
        another document or a pending job uses it."""
        doc = self.corpus.get_document(document_id)
        self.corpus.delete_document(document_id)
        self.refresh_indexes()
        if doc.content_hash not in self.jobs.unfinished_blobs() and not self.corpus.has_content(
            doc.content_hash
        ):
            self.blobs.delete(doc.content_hash)

    def originals_in_use(self) -> set[str]:
        return self.corpus.content_hashes() | self.jobs.unfinished_blobs()

    def sweep(self) -> None:
        """Remove uploaded originals nothing uses and staged chunks nobody finished."""
        removed = self.blobs.sweep(self.originals_in_use, self.orphan_blob_seconds)
        dropped = self.corpus.clear_staged(datetime.now(UTC) - self.staged_chunks_keep)
        if removed or dropped:
            log.info("swept %d unused originals and %d abandoned staged chunks", removed, dropped)
