"""The container: builds each part once from settings and hands the services what they need.

The CLI, the API and the worker are thin shells over the services. Heavy parts (the embedding
model, the indexes) are built on first use, or all at once by `warm_up()`.
"""

import logging
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

from app.asking import AskService
from app.conversations import ConversationStore
from app.database import upgrade_database
from app.documents import DocumentService
from app.feedback import FeedbackStore
from app.ingesting import IngestService
from app.model_files import embedding_model_path, query_encoder_for
from app.ocr_setup import choose_ocr
from app.queueing import QueueService
from app.searching import SearchService
from app.settings import Settings
from generator.answerer import Answerer
from generator.extractive import ExtractiveAnswerer
from generator.openai_client import OpenAIGenerator
from ingest.blobs import BlobStore
from ingest.jobs import JobQueue
from ingest.pipeline import IngestPipeline
from ingest.records import TEXT_VERSION
from ingest.worker import Worker
from retriever.corpus import Corpus
from retriever.embedder import SentenceEmbedder
from retriever.indexes import DerivedIndexes
from retriever.jmdict import JmdictDictionary
from retriever.keyword_bridge import KeywordBridge
from retriever.reranker import CrossEncoderReranker
from retriever.search import HybridRetriever
from retriever.sentence_similarity import SentenceSimilarity
from retriever.tokenizer import JapaneseTokenizer
from retriever.vector_stores import SizedStores

T = TypeVar("T")
log = logging.getLogger(__name__)


class part(Generic[T]):
    """A part built on first use, once: the warm-up thread, the worker and requests may all
    ask for the model at start-up, and it must not be built once per thread."""

    def __init__(self, build: Callable[[Any], T]) -> None:
        self.build = build
        self.name = build.__name__

    @overload
    def __get__(self, kotae: None, owner: type) -> "part[T]": ...
    @overload
    def __get__(self, kotae: "Kotae", owner: type) -> T: ...
    def __get__(self, kotae: "Kotae | None", owner: type) -> "T | part[T]":
        if kotae is None:
            return self
        if self.name in kotae.built:  # built: no lock to take on every request
            built: T = kotae.built[self.name]
            return built
        with kotae.build_lock:
            if self.name not in kotae.built:
                kotae.built[self.name] = self.build(kotae)
            value: T = kotae.built[self.name]
            return value


class Kotae:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.built: dict[str, Any] = {}
        self.build_lock = threading.RLock()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        upgrade_database(settings.resolved_database_url)
        self.corpus = Corpus(settings.resolved_database_url)
        self.blobs = BlobStore(settings.data_dir / "blobs")
        self.jobs = JobQueue(self.corpus, stale_after=settings.job_stale_seconds)
        self.documents = DocumentService(
            self.corpus,
            self.blobs,
            self.jobs,
            self.refresh_indexes,
            orphan_blob_seconds=settings.orphan_blob_seconds,
            staged_chunks_keep_seconds=settings.staged_chunks_keep_seconds,
        )
        self.queueing = QueueService(self.blobs, self.jobs, settings.max_file_bytes)
        self.conversations = ConversationStore(self.corpus.engine)
        self.feedback = FeedbackStore(self.corpus.engine)

    def warm_up(self) -> None:
        """Load the model and the indexes, and build the question encoder, now."""
        self.indexes.catch_up(force=True)  # opening loads the model, the snapshot and the log
        self.embedder.encode_queries(["warm up"])  # builds the question encoder
        outdated = self.corpus.count_outdated(TEXT_VERSION)
        if outdated:
            log.warning(
                "%d documents were made with older text rules; `kotae reindex --reembed`"
                " re-processes them (or ingest the same files again)",
                outdated,
            )

    def answer_settings(self) -> dict[str, Any]:
        """What shapes an answer besides its question, stored with each conversation turn."""
        s = self.settings
        return {
            "generator_model": s.generator_model if s.generator_url else None,
            "embedding_model": self.embedder.name,
            "fusion": s.fusion,
            "keep_leaders": s.keep_leaders,
            "reranker": s.reranker_model.name if s.reranker_model else None,
            "passage_neighbours": s.passage_neighbours,
            "min_answer_score": s.resolved_min_answer_score,
            "keyword_bridge": s.keyword_bridge,
        }

    @part
    def embedder(self) -> SentenceEmbedder:
        s = self.settings
        if s.torch_threads:
            import torch

            # Several Kotae processes on one machine each default to every core, and then
            # fight over them; one or two threads each is faster in total.
            torch.set_num_threads(s.torch_threads)
        embedder = SentenceEmbedder(
            embedding_model_path(s), device=s.embedding_device, batch_size=s.embed_batch_size
        )
        embedder.defer_query_encoder(lambda: query_encoder_for(embedder, s))
        return embedder

    @part
    def indexes(self) -> DerivedIndexes:
        """Opening them refuses a corpus embedded with another model."""
        s = self.settings
        stores = SizedStores(
            self.embedder.dim, s.faiss_gpu, s.approximate_index_above, s.approximate_index_probes
        )
        return DerivedIndexes(
            self.corpus,
            self.settings.index_dir,
            self.embedder.dim,
            self.embedder.name,
            self.tokenizer.tokenize,
            vector_stores=stores,
            poll_interval=self.settings.index_poll_interval,
            tokenizer_name=self.tokenizer.name,
        ).open()

    @part
    def tokenizer(self) -> JapaneseTokenizer:
        return JapaneseTokenizer()

    @part
    def keyword_bridge(self) -> KeywordBridge | None:
        if not self.settings.keyword_bridge:
            return None
        dictionary = JmdictDictionary.installed()
        if dictionary is None:
            log.warning("keyword bridge off: the jamdict-data package (JMdict) is not installed")
            return None
        s = self.settings
        return KeywordBridge(
            self.tokenizer,
            dictionary,
            s.keyword_bridge_weight,
            s.keyword_bridge_alternatives,
            glossary=s.keyword_glossary,
        )

    @part
    def retriever(self) -> HybridRetriever:
        s = self.settings
        reranker = None
        if s.reranker_model:
            reranker = CrossEncoderReranker(str(s.reranker_model), device=s.embedding_device)
        return HybridRetriever(
            self.corpus,
            self.embedder,
            self.indexes,
            fusion=s.fusion,
            dense_weight=s.dense_weight,
            candidates=s.candidates,
            reranker=reranker,
            keyword_bridge=self.keyword_bridge,
            keep_leaders=s.keep_leaders,
            dense_translations=s.dense_translations,
        )

    @part
    def generator(self) -> OpenAIGenerator | None:
        s = self.settings
        if not s.generator_url:
            return None  # embedded default: extractive answers
        return OpenAIGenerator(
            s.generator_url, s.generator_model, s.generator_api_key, timeout=s.generator_timeout
        )

    @part
    def answerer(self) -> Answerer:
        s, bridge = self.settings, self.keyword_bridge
        return Answerer(
            self.generator,
            ExtractiveAnswerer(
                sentence_scorer=SentenceSimilarity(self.embedder),
                translations=bridge.translations if bridge else None,
            ),
            min_score=s.resolved_min_answer_score,
            min_coverage=s.min_answer_coverage,
            support_threshold=s.support_threshold,
            max_answer_tokens=s.generator_max_tokens,
            document_texts=self.corpus.texts_containing,
            search_terms=self.tokenizer.tokenize,
        )

    @part
    def searching(self) -> SearchService:
        return SearchService(self.retriever, self.settings.search_top_k)

    @part
    def asking(self) -> AskService:
        s = self.settings
        return AskService(
            self.searching,
            self.answerer,
            self.corpus.page_offsets,
            s.top_k,
            self.corpus.section_neighbours,
            s.passage_neighbours,
            s.passage_max_chars,
        )

    @part
    def pipeline(self) -> IngestPipeline:
        s = self.settings
        return IngestPipeline(
            self.corpus,
            self.embedder,
            chunk_tokens=s.chunk_tokens,
            overlap_tokens=s.chunk_overlap_tokens,
            max_file_bytes=s.max_file_bytes,
            max_text_chars=s.resolved_max_text_chars,
            max_unzipped_bytes=s.resolved_max_unzipped_bytes,
            embed_batch_chunks=s.ingest_batch_chunks,
            ocr=choose_ocr(s.ocr, s.ocr_languages, s.ocr_page_timeout),
        )

    @part
    def ingesting(self) -> IngestService:
        return IngestService(
            self.pipeline, self.corpus, self.embedder, lambda: self.indexes, self.blobs
        )

    def worker(self) -> Worker:
        return Worker(
            self.jobs,
            self.pipeline,
            self.blobs,
            on_change=self.refresh_indexes,
            sweep=self.documents.sweep,
            sweep_interval=self.settings.sweep_interval_seconds,
        )

    def refresh_indexes(self) -> None:
        """Apply new change-log entries now, if the indexes are loaded in this process."""
        if "indexes" in self.built:
            self.indexes.catch_up(force=True)

    async def aclose(self) -> None:
        generator = self.built.get("generator")
        if generator is not None:
            await generator.aclose()
        self.close()

    def close(self) -> None:
        """Persist the index snapshot so the next start replays only newer changes."""
        if "indexes" in self.built:
            self.indexes.catch_up(force=True)
            self.indexes.save()
        self.corpus.engine.dispose()
