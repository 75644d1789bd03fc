"""The application object: builds the libraries from settings and offers every use case.

The CLI, the API and the worker are thin shells over this. Heavy parts (the embedding
model, the indexes) load lazily, on first use.
"""

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from app.asking import AskService
from app.database import upgrade_database
from app.model_files import embedding_model_path, query_encoder_for
from app.settings import Settings
from generator.answerer import Answerer
from generator.extractive import ExtractiveAnswerer
from generator.openai_client import OpenAIGenerator
from ingest.blobs import BlobStore
from ingest.jobs import JobQueue
from ingest.pipeline import (
    DEFAULT_COLLECTION,
    IngestPipeline,
    IngestReport,
    ProgressListener,
    sha256,
)
from ingest.worker import Worker
from retriever.corpus import Corpus
from retriever.embedder import PassageVectorCache, SentenceEmbedder
from retriever.indexes import EMBEDDING_MODEL_KEY, DerivedIndexes
from retriever.records import DocumentInfo, Hit
from retriever.search import HybridRetriever, SearchMode
from retriever.tokenizer import JapaneseTokenizer
from text.normalize import normalize_text

T = TypeVar("T")
log = logging.getLogger(__name__)


class Kotae:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade_database(settings.resolved_database_url)
        self.corpus = Corpus(settings.resolved_database_url)
        # The warm-up thread, the worker and requests may all ask for the model at start-up:
        # it must be built once, not once per thread.
        self._load_lock = threading.RLock()

    def _once(self, name: str, build: Callable[[], T]) -> T:
        with self._load_lock:
            if name not in self.__dict__:
                self.__dict__[name] = build()
            value: T = self.__dict__[name]
            return value

    def _loaded(self, name: str) -> bool:
        return name in self.__dict__

    @cached_property
    def blobs(self) -> BlobStore:
        return BlobStore(self.settings.data_dir / "blobs")

    @cached_property
    def jobs(self) -> JobQueue:
        return JobQueue(self.corpus, stale_after=self.settings.job_stale_seconds)

    def worker(self) -> Worker:
        return Worker(
            self.jobs,
            self.pipeline,
            self.blobs,
            on_change=self.refresh_indexes,
            sweep=self.sweep,
            sweep_interval=self.settings.sweep_interval_seconds,
        )

    def originals_in_use(self) -> set[str]:
        return self.corpus.content_hashes() | self.jobs.unfinished_blobs()

    def sweep(self) -> None:
        """Remove uploaded originals nothing uses and staged chunks nobody finished."""
        removed = self.blobs.sweep(self.originals_in_use, self.settings.orphan_blob_seconds)
        keep = timedelta(seconds=self.settings.staged_chunks_keep_seconds)
        dropped = self.corpus.clear_staged(datetime.now(UTC) - keep)
        if removed or dropped:
            log.info("swept %d unused originals and %d abandoned staged chunks", removed, dropped)

    @property
    def embedder(self) -> SentenceEmbedder:
        return self._once("_embedder", self._load_embedder)

    def _load_embedder(self) -> SentenceEmbedder:
        if self.settings.torch_threads:
            import torch

            # Several Kotae processes on one machine each default to every core, and then
            # fight over them; one or two threads each is faster in total.
            torch.set_num_threads(self.settings.torch_threads)
        embedder = SentenceEmbedder(
            embedding_model_path(self.settings),
            device=self.settings.embedding_device,
            batch_size=self.settings.embed_batch_size,
        )
        embedder.defer_query_encoder(lambda: query_encoder_for(embedder, self.settings))
        return embedder

    @cached_property
    def tokenizer(self) -> JapaneseTokenizer:
        return JapaneseTokenizer()

    @property
    def indexes(self) -> DerivedIndexes:
        return self._once(
            "_indexes",
            lambda: DerivedIndexes(
                self.corpus,
                self.settings.index_dir,
                self.embedder.dim,
                self.embedder.name,
                self.tokenizer.tokenize,
            ).open(),
        )

    @cached_property
    def retriever(self) -> HybridRetriever:
        return HybridRetriever(self.corpus, self.embedder, self.indexes)

    @cached_property
    def generator(self) -> OpenAIGenerator | None:
        s = self.settings
        if not s.generator_url:
            return None  # embedded default: extractive answers
        return OpenAIGenerator(
            s.generator_url, s.generator_model, s.generator_api_key, timeout=s.generator_timeout
        )

    @cached_property
    def answerer(self) -> Answerer:
        return Answerer(
            self.generator,
            ExtractiveAnswerer(sentence_scorer=self.sentence_similarity),
            min_score=self.settings.resolved_min_answer_score,
            min_coverage=self.settings.min_answer_coverage,
            support_threshold=self.settings.support_threshold,
            max_answer_tokens=self.settings.generator_max_tokens,
        )

    def sentence_similarity(self, question: str, sentences: list[str]) -> list[float]:
        """Question-sentence similarity spread to 0..1 within the candidates.

        Raw cosines of a model sit in a narrow, model-specific band (e5: ~0.7-0.9), so only
        their order among this question's candidates is meaningful to the extractive scorer.
        """
        if not sentences:
            return []
        query = self.embedder.encode_queries([question])[0]
        cache = self._once("_sentence_vectors", lambda: PassageVectorCache(self.embedder))
        cosines = cache.encode(sentences) @ query
        low, high = float(cosines.min()), float(cosines.max())
        if high - low < 1e-6:
            return [0.5] * len(sentences)
        return [float((c - low) / (high - low)) for c in cosines]

    @cached_property
    def ask_service(self) -> AskService:
        return AskService(self, self.answerer)

    @cached_property
    def pipeline(self) -> IngestPipeline:
        return IngestPipeline(
            self.corpus,
            self.embedder,
            chunk_tokens=self.settings.chunk_tokens,
            overlap_tokens=self.settings.chunk_overlap_tokens,
            max_file_bytes=self.settings.max_file_bytes,
            max_text_chars=self.settings.resolved_max_text_chars,
            max_unzipped_bytes=self.settings.resolved_max_unzipped_bytes,
            embed_batch_chunks=self.settings.ingest_batch_chunks,
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
        """Apply new change-log entries now, if the indexes are loaded in this process."""
        if self._loaded("_indexes"):
            self.indexes.catch_up(force=True)

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

    def original_path(self, doc: DocumentInfo) -> Path | None:
        """The stored upload, or the ingested local file if it still has the same content."""
        if self.blobs.exists(doc.content_hash):
            return self.blobs.path(doc.content_hash)
        path = Path(doc.source)
        if path.is_file() and sha256(path.read_bytes()) == doc.content_hash:
            return path
        return None

    def delete_document(self, document_id: int) -> None:
        """Remove a document, and its uploaded original unless another document or job uses it."""
        doc = self.corpus.get_document(document_id)
        self.corpus.delete_document(document_id)
        self.refresh_indexes()
        if doc.content_hash not in self.jobs.unfinished_blobs() and not self.corpus.has_content(
            doc.content_hash
        ):
            self.blobs.delete(doc.content_hash)

    def reindex(self, reembed: bool = False) -> int:
        """Rebuild the derived indexes from SQL; with `reembed`, re-embed every chunk first."""
        embedder = self.embedder
        if reembed:
            for ids, texts, _ in self.corpus.iter_chunks():
                self.corpus.update_embeddings(ids, embedder.encode_passages(texts))
            self.corpus.set_meta(EMBEDDING_MODEL_KEY, f"{embedder.name}:{embedder.dim}")
        return self.indexes.rebuild()

    async def aclose(self) -> None:
        if self.__dict__.get("generator") is not None:
            await self.generator.aclose()  # type: ignore[union-attr]
        self.close()

    def close(self) -> None:
        """Persist the index snapshot so the next start replays only newer changes."""
        if self._loaded("_indexes"):
            self.indexes.catch_up(force=True)
            self.indexes.save()
        self.corpus.engine.dispose()
