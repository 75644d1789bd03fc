"""The ingest use case: files and folders → chunks and embeddings in SQL → the derived indexes."""

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ingest.blobs import BlobStore
from ingest.pipeline import IngestPipeline
from ingest.records import TEXT_VERSION, FileInput, FileOutcome, IngestReport, ProgressListener
from retriever.corpus import Corpus
from retriever.embedder import SentenceEmbedder
from retriever.indexes import EMBEDDING_MODEL_KEY, DerivedIndexes
from retriever.records import DocumentInfo


@dataclass
class ReindexReport:
    chunks: int = 0  # in the rebuilt indexes
    reprocessed: list[FileOutcome] = field(default_factory=list)
    # Outdated documents whose original is gone: kept as they were (re-embedded).
    no_original: list[str] = field(default_factory=list)


class IngestService:
    def __init__(
        self,
        pipeline: IngestPipeline,
        corpus: Corpus,
        embedder: SentenceEmbedder,
        indexes: Callable[[], DerivedIndexes],
        blobs: BlobStore,
    ) -> None:
        self.pipeline = pipeline
        self.corpus = corpus
        self.embedder = embedder
        self.blobs = blobs
        # Opening the indexes checks the stored embeddings are of the configured model, which
        # `reindex --reembed` must be able to skip until it has re-embedded them.
        self.indexes = indexes

    def ingest(
        self, paths: Sequence[Path], collection: str, progress: ProgressListener | None = None
    ) -> IngestReport:
        indexes = self.indexes()  # refuses a corpus of another model before reading anything
        report = self.pipeline.ingest_paths(paths, collection, progress)
        indexes.catch_up(force=True)
        return report

    def reindex(self, reembed: bool = False) -> ReindexReport:
        """Rebuild the derived indexes from SQL.

        With `reembed`, first re-process from their originals the documents made with older
        text rules (an upload's stored original, or the ingested file if it is unchanged), and
        re-embed every other chunk with the configured model.
        """
        report = ReindexReport()
        if reembed:
            done: set[int] = set()
            for document in self.corpus.outdated_documents(TEXT_VERSION):
                data = self._original(document)
                if data is None:
                    report.no_original.append(document.source)
                    continue
                item = FileInput(document.source, Path(document.source).name, data)
                outcome = self.pipeline.ingest_files([item], 1, document.collection).files[0]
                report.reprocessed.append(outcome)
                done.add(document.id)
            self._reembed(exclude_documents=done)
        report.chunks = self.indexes().rebuild()
        return report

    def _original(self, document: DocumentInfo) -> bytes | None:
        if self.blobs.exists(document.content_hash):
            return self.blobs.get(document.content_hash)
        path = Path(document.source)
        try:
            data = path.read_bytes() if path.is_file() else None
        except OSError:
            return None
        if data is None or hashlib.sha256(data).hexdigest() != document.content_hash:
            return None  # changed since: `kotae ingest` it to take the new version
        return data

    def _reembed(self, exclude_documents: set[int]) -> None:
        ids = self.corpus.chunk_ids()
        if exclude_documents:
            fresh = self.corpus.chunk_ids(document_ids=sorted(exclude_documents))
            ids = np.setdiff1d(ids, fresh)
        for chunk_ids, texts, _ in self.corpus.iter_chunks(ids.tolist()):
            self.corpus.update_embeddings(chunk_ids, self.embedder.encode_passages(texts))
        self.corpus.set_meta(EMBEDDING_MODEL_KEY, f"{self.embedder.name}:{self.embedder.dim}")
