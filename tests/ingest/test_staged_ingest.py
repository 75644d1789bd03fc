"""Large files in bounded batches on a real database (SQLite file and PostgreSQL).

The embedder here is a small deterministic one that counts what it is asked to embed, so
the tests can say exactly which chunks were embedded again after an interruption.
"""

import hashlib
import os
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from ingest.blobs import BlobStore
from ingest.jobs import JobQueue, NewJobFile
from ingest.ocr import NO_OCR
from ingest.pipeline import IngestPipeline
from ingest.records import FileInput, IngestInterrupted
from retriever.corpus import Corpus
from retriever.schema import ChangeRow, ChunkRow, StagedChunkRow

pytestmark = pytest.mark.integration

BATCH = 5
MB = 1024 * 1024


class CountingEmbedder:
    name = "counting"
    dim = 8
    max_tokens = 512
    prompt_tokens = 0

    def __init__(self, stop_after_calls: int | None = None) -> None:
        self.embedded: list[str] = []
        self.calls = 0
        self.stop = threading.Event()
        self.stop_after_calls = stop_after_calls

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.embedded.extend(texts)
        if self.stop_after_calls is not None and self.calls >= self.stop_after_calls:
            self.stop.set()  # a shutdown arriving while this batch is embedded
        seeds = [int.from_bytes(hashlib.sha256(t.encode()).digest()[:8]) for t in texts]
        vectors = np.stack([np.random.default_rng(s).normal(size=self.dim) for s in seeds])
        return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode_passages(texts)

    def count_tokens(self, text: str) -> int:
        return len(text.split())


def big_text(lines: int, tag: str = "") -> bytes:
    return "\n".join(
        f"Line {i}{tag}: the harbour ferry number {i} leaves at {i % 12} o'clock."
        for i in range(lines)
    ).encode()


def pipeline(corpus: Corpus, embedder: CountingEmbedder) -> IngestPipeline:
    return IngestPipeline(
        corpus,
        embedder,  # type: ignore[arg-type]
        chunk_tokens=20,
        overlap_tokens=0,
        embed_batch_chunks=BATCH,
        max_file_bytes=100 * MB,
        max_text_chars=100 * MB,
        max_unzipped_bytes=200 * MB,
        ocr=NO_OCR,
    )


def counts(corpus: Corpus) -> tuple[int, int, int]:
    with corpus.session() as s:
        return (
            s.scalar(select(func.count()).select_from(ChunkRow)) or 0,
            s.scalar(select(func.count()).select_from(ChangeRow)) or 0,
            s.scalar(select(func.count()).select_from(StagedChunkRow)) or 0,
        )


def test_interrupted_large_file_resumes_without_embedding_again(migrated_url):
    corpus = Corpus(migrated_url)
    data = big_text(60)
    first = CountingEmbedder(stop_after_calls=3)
    progress: list[tuple[int, int, int]] = []

    class Listener:
        def started(self, total_files: int) -> None: ...
        def file_done(self, outcome: object) -> None: ...
        def file_progress(self, source: str, done: int, total: int, resumed: int) -> None:
            progress.append((done, total, resumed))

    with pytest.raises(IngestInterrupted):
        pipeline(corpus, first).ingest_files(
            [FileInput("big.txt", "big.txt", data)], 1, "c", Listener(), stop=first.stop
        )
    total = progress[-1][1]
    assert total > 4 * BATCH, "the file must span several batches"
    assert [d for d, _, _ in progress] == [0, BATCH, 2 * BATCH, 3 * BATCH]
    # Nothing searchable yet: no document, no chunk, nothing in the change log.
    assert corpus.list_documents() == []
    assert counts(corpus) == (0, 0, 3 * BATCH)

    second = CountingEmbedder()
    progress.clear()
    report = pipeline(corpus, second).ingest_files(
        [FileInput("big.txt", "big.txt", data)], 1, "c", Listener()
    )
    assert report.files[0].outcome == "added" and report.files[0].chunks == total
    assert len(second.embedded) == total - 3 * BATCH  # only the chunks not embedded before
    assert set(second.embedded).isdisjoint(first.embedded)
    assert progress[0] == (3 * BATCH, total, 3 * BATCH) and progress[-1] == (
        total,
        total,
        3 * BATCH,
    )
    assert counts(corpus) == (total, total, 0)  # staged rows moved, one change per chunk
    doc = corpus.list_documents()[0]
    assert (doc.source, doc.chunks, doc.status) == ("big.txt", total, "ready")


def test_an_interrupted_new_version_never_replaces_the_stored_one(migrated_url):
    corpus = Corpus(migrated_url)
    pipeline(corpus, CountingEmbedder()).ingest_files(
        [FileInput("big.txt", "big.txt", big_text(40))], 1, "c"
    )
    old = corpus.list_documents()[0]
    embedder = CountingEmbedder(stop_after_calls=2)
    with pytest.raises(IngestInterrupted):
        pipeline(corpus, embedder).ingest_files(
            [FileInput("big.txt", "big.txt", big_text(40, "b"))], 1, "c", stop=embedder.stop
        )
    now = corpus.list_documents()[0]
    assert (now.id, now.content_hash, now.chunks) == (old.id, old.content_hash, old.chunks)


def test_same_content_under_two_names_is_one_document(migrated_url):
    corpus = Corpus(migrated_url)
    text = b"The Riverside library opens at nine."
    items = [
        FileInput("docs/a/readme.md", "docs/a/readme.md", text),
        FileInput(
            "docs/b/readme.md", "docs/b/readme.md", b"Other content entirely, about ferries."
        ),
        FileInput("copy.md", "copy.md", text),
    ]
    report = pipeline(corpus, CountingEmbedder()).ingest_files(items, 3, "c")
    outcomes = [(f.source, f.outcome) for f in report.files]
    assert outcomes == [
        ("docs/a/readme.md", "added"),
        ("docs/b/readme.md", "added"),
        ("copy.md", "duplicate"),
    ]
    first = report.files[0].document_id
    assert report.files[2].document_id == first
    assert f"document {first} (docs/a/readme.md)" in (report.files[2].reason or "")
    assert sorted(d.source for d in corpus.list_documents()) == [
        "docs/a/readme.md",
        "docs/b/readme.md",
    ]


def test_a_job_with_no_file_ingested_is_failed(migrated_url, tmp_path: Path):
    queue = JobQueue(Corpus(migrated_url), stale_after=30.0)
    failed_job = queue.enqueue(
        "c", [NewJobFile("a.txt", 1, path="/x"), NewJobFile("b.png", 1, path="/y")]
    )
    partial_job = queue.enqueue(
        "c", [NewJobFile("a.txt", 1, path="/x"), NewJobFile("b.txt", 1, path="/y")]
    )
    for job_id, states in ((failed_job, ["failed", "skipped"]), (partial_job, ["failed", "added"])):
        assert queue.claim("w") == job_id
        for state in states:
            f = queue.next_file(job_id)
            assert f is not None
            queue.finish_file(job_id, f.id, state, "broken" if state == "failed" else None)
        assert queue.complete(job_id, "w")
    failed, partial = queue.get(failed_job), queue.get(partial_job)
    assert failed is not None and partial is not None
    assert (failed.status, failed.error) == ("failed", "none of the 2 files could be ingested")
    assert (partial.status, partial.error) == ("done", "1 of 2 files failed")


@pytest.mark.unit
def test_sweep_removes_old_unused_originals_only(tmp_path: Path):
    blobs = BlobStore(tmp_path)
    old_unused, old_used, fresh = (blobs.put(x) for x in (b"old", b"used", b"fresh"))
    temp = blobs.path(old_unused).parent / ".tmp-abandoned"
    temp.write_bytes(b"half")
    hour_ago = time.time() - 3700
    for path in (blobs.path(old_unused), blobs.path(old_used), temp):
        os.utime(path, (hour_ago, hour_ago))
    assert blobs.sweep(lambda: {old_used}, older_than=3600) == 2
    assert not blobs.exists(old_unused) and not temp.exists()
    assert blobs.exists(old_used) and blobs.exists(fresh)
    # Uploading old content again makes it young: a sweep cannot take it from a new upload.
    os.utime(blobs.path(old_used), (hour_ago, hour_ago))
    blobs.put(b"used")
    assert blobs.sweep(set, older_than=3600) == 0


def test_a_stop_during_chunking_interrupts_before_any_embedding(migrated_url):
    corpus = Corpus(migrated_url)
    embedder = CountingEmbedder()
    embedder.stop.set()
    with pytest.raises(IngestInterrupted):
        pipeline(corpus, embedder).ingest_files(
            [FileInput("big.txt", "big.txt", big_text(60))], 1, "c", stop=embedder.stop
        )
    assert embedder.calls == 0 and corpus.list_documents() == []


def test_staged_chunks_nobody_finished_are_cleared_when_old(migrated_url):
    corpus = Corpus(migrated_url)
    embedder = CountingEmbedder(stop_after_calls=2)
    with pytest.raises(IngestInterrupted):
        pipeline(corpus, embedder).ingest_files(
            [FileInput("big.txt", "big.txt", big_text(60))], 1, "c", stop=embedder.stop
        )
    assert counts(corpus)[2] == 2 * BATCH
    assert corpus.clear_staged(datetime.now(UTC) - timedelta(hours=1)) == 0  # still fresh
    assert corpus.clear_staged(datetime.now(UTC) + timedelta(seconds=1)) == 2 * BATCH
    assert counts(corpus)[2] == 0
