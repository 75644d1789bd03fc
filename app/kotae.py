"""The application object: builds the libraries from settings and offers every use case.

The CLI, the API and the worker are thin shells over this. Heavy parts (the embedding
model, the indexes) load lazily, on first use.
"""

import threading
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

from app.models import embedding_model_path
from app.settings import Settings
from ingest.normalize import normalize_text
from ingest.pipeline import DEFAULT_COLLECTION, IngestPipeline, IngestReport, ProgressListener
from retriever.corpus import Corpus
from retriever.embedder import SentenceEmbedder
from retriever.indexes import EMBEDDING_MODEL_KEY, DerivedIndexes
from retriever.records import DocumentInfo, Hit
from retriever.search import HybridRetriever, SearchMode
from retriever.tokenizer import JapaneseTokenizer


class Kotae:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.corpus = Corpus(settings.resolved_database_url)
        self._load_lock = threading.Lock()

    @cached_property
    def embedder(self) -> SentenceEmbedder:
        with self._load_lock:
            return SentenceEmbedder(
                embedding_model_path(self.settings),
                device=self.settings.embedding_device,
                batch_size=self.settings.embed_batch_size,
            )

    @cached_property
    def tokenizer(self) -> JapaneseTokenizer:
        return JapaneseTokenizer()

    @cached_property
    def indexes(self) -> DerivedIndexes:
        embedder = self.embedder
        return DerivedIndexes(
            self.corpus,
            self.settings.index_dir,
            embedder.dim,
            embedder.name,
            self.tokenizer.tokenize,
        ).open()

    @cached_property
    def retriever(self) -> HybridRetriever:
        return HybridRetriever(self.corpus, self.embedder, self.indexes)

    @cached_property
    def pipeline(self) -> IngestPipeline:
        return IngestPipeline(
            self.corpus,
            self.embedder,
            chunk_tokens=self.settings.chunk_tokens,
            overlap_tokens=self.settings.chunk_overlap_tokens,
            max_file_bytes=self.settings.max_file_bytes,
        )

    def ingest(
        self,
        paths: Sequence[Path],
        collection: str = DEFAULT_COLLECTION,
        progress: ProgressListener | None = None,
    ) -> IngestReport:
        self.indexes  # noqa: B018 - refuse early if the stored embeddings are of another model
        report = self.pipeline.ingest_paths(paths, collection, progress)
        self.refresh_indexes()
        return report

    def refresh_indexes(self) -> None:
        if "indexes" in self.__dict__ and self.indexes.catch_up(force=True):
            self.indexes.save()

    def search(
        self,
        query: str,
        k: int = 10,
        collection: str | None = None,
        document_ids: Sequence[int] | None = None,
        mode: SearchMode = "hybrid",
    ) -> list[Hit]:
        return self.retriever.search(normalize_text(query), k, collection, document_ids, mode)

    def list_documents(self, collection: str | None = None) -> list[DocumentInfo]:
        return self.corpus.list_documents(collection)

    def get_document(self, document_id: int) -> DocumentInfo:
        return self.corpus.get_document(document_id)

    def delete_document(self, document_id: int) -> None:
        self.corpus.delete_document(document_id)
        self.refresh_indexes()

    def reindex(self, reembed: bool = False) -> int:
        """Rebuild the derived indexes from SQL; with `reembed`, re-embed every chunk first."""
        embedder = self.embedder
        if reembed:
            for ids, texts, _ in self.corpus.iter_chunks():
                self.corpus.update_embeddings(ids, embedder.encode_passages(texts))
            self.corpus.set_meta(EMBEDDING_MODEL_KEY, f"{embedder.name}:{embedder.dim}")
        return self.indexes.rebuild()

    def close(self) -> None:
        self.refresh_indexes()
        self.corpus.engine.dispose()
