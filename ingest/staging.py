"""Large files, embedded and kept batch by batch (staged, invisible to search).

Progress is reported and `stop` checked between batches; an interrupted file resumes from its
staged batches and becomes searchable, replacing any earlier version, only once all are
embedded.
"""

import hashlib
import logging
from collections.abc import Sequence

import numpy as np

from ingest.chunking import TextChunk
from ingest.errors import IngestError
from ingest.records import (
    FileOutcome,
    IngestInterrupted,
    PreparedFile,
    ProgressListener,
    StopSignal,
)
from retriever.corpus import Corpus
from retriever.embedder import Embedder
from retriever.records import NewChunk, searchable_text

STAGING_ATTEMPTS = 3
log = logging.getLogger(__name__)


class StagedIngest:
    def __init__(self, corpus: Corpus, embedder: Embedder, batch_chunks: int) -> None:
        self.corpus = corpus
        self.embedder = embedder
        self.batch_chunks = batch_chunks

    def ingest(
        self,
        p: PreparedFile,
        collection: str,
        progress: ProgressListener | None,
        stop: StopSignal | None,
    ) -> FileOutcome:
        """Embed a large file batch by batch, resuming from what an earlier attempt staged."""
        key = self.staging_key(p.chunks)
        total = len(p.chunks)
        for _ in range(STAGING_ATTEMPTS):
            staged = self.corpus.staged_ordinals(key)
            resumed = done = len(staged)
            if resumed:
                log.info("%s: resuming at %d of %d chunks", p.item.source, resumed, total)
            if progress:
                progress.file_progress(p.item.source, done, total, resumed)
            for start in range(0, total, self.batch_chunks):
                missing = [
                    i for i in range(start, min(start + self.batch_chunks, total))
                    if i not in staged
                ]  # fmt: skip
                if not missing:
                    continue
                if stop is not None and stop.is_set():
                    raise IngestInterrupted(f"{p.item.source}: stopped at {done} of {total} chunks")
                chunks = [p.chunks[i] for i in missing]
                texts = [searchable_text(c.context, c.text) for c in chunks]
                vectors = self.embedder.encode_passages(texts)
                self.corpus.stage_chunks(key, missing, new_chunks(chunks, vectors))
                done += len(missing)
                if progress:
                    progress.file_progress(p.item.source, done, total, resumed)
            stored = self.corpus.store_staged_document(
                p.new_document(collection), key=key, total=total
            )
            if stored is not None:
                return FileOutcome(
                    p.item.source,
                    stored.outcome,
                    stored.chunks,
                    document_id=stored.document_id,
                    warnings=p.document.warnings,
                )
            # Another worker with the same content finished first and took the staged rows.
        raise IngestError("the file's embedded chunks kept disappearing; try again")

    def staging_key(self, chunks: Sequence[TextChunk]) -> str:
        """What the staged embeddings depend on: the model and every chunk's text and place."""
        digest = hashlib.sha256(f"{self.embedder.name}\0{self.embedder.dim}".encode())
        for c in chunks:
            place = f"\0{c.char_start}:{c.char_end}:{c.page_start}:{c.page_end}:{c.token_count}\0"
            digest.update(place.encode())
            digest.update(c.context.encode("utf-8"))
            digest.update(b"\0")
            digest.update(c.text.encode("utf-8"))
        return digest.hexdigest()


def new_chunks(chunks: Sequence[TextChunk], vectors: np.ndarray) -> list[NewChunk]:
    return [
        NewChunk(
            text=c.text,
            char_start=c.char_start,
            char_end=c.char_end,
            page_start=c.page_start,
            page_end=c.page_end,
            token_count=c.token_count,
            embedding=vector,
            context=c.context,
        )
        for c, vector in zip(chunks, vectors, strict=True)
    ]
