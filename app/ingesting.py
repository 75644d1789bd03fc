"""The ingest use case: files and folders → chunks and embeddings in SQL → the derived indexes."""

from collections.abc import Callable, Sequence
from pathlib import Path

from ingest.pipeline import IngestPipeline
from ingest.records import IngestReport, ProgressListener
from retriever.corpus import Corpus
from retriever.embedder import SentenceEmbedder
from retriever.indexes import EMBEDDING_MODEL_KEY, DerivedIndexes


class IngestService:
    def __init__(
        self,
        pipeline: IngestPipeline,
        corpus: Corpus,
        embedder: SentenceEmbedder,
        indexes: Callable[[], DerivedIndexes],
    ) -> None:
        self.pipeline = pipeline
        self.corpus = corpus
        self.embedder = embedder
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

    def reindex(self, reembed: bool = False) -> int:
        """Rebuild the derived indexes from SQL; with `reembed`, re-embed every chunk first."""
        if reembed:
            for ids, texts, _ in self.corpus.iter_chunks():
                self.corpus.update_embeddings(ids, self.embedder.encode_passages(texts))
            self.corpus.set_meta(EMBEDDING_MODEL_KEY, f"{self.embedder.name}:{self.embedder.dim}")
        return self.indexes().rebuild()
