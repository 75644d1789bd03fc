"""Durable jobs on a real database (SQLite file and PostgreSQL): claims, takeover, attempts.

Each JobQueue gets its own Corpus (its own engine and connection pool), like two worker
processes would.
"""

import threading
import time
from pathlib import Path

import pytest

from ingest.jobs import MAX_FILE_ATTEMPTS, JobQueue, NewJobFile
from ingest.records import FileInput, FileOutcome, IngestReport
from ingest.worker import Worker
from retriever.corpus import Corpus

pytestmark = pytest.mark.integration


def files(n: int) -> list[NewJobFile]:
    return [NewJobFile(name=f"f{i}.txt", size=10, path=f"/nowhere/f{i}.txt") for i in range(n)]


def real_files(folder: Path, n: int) -> list[NewJobFile]:
    """Files the worker can read (it reports an unreadable one as failed, never calling ingest)."""
    made = []
    for i in range(n):
        path = folder / f"f{i}.txt"
        path.write_text(f"file {i}")
        made.append(NewJobFile(name=path.name, size=path.stat().st_size, path=str(path)))
    return made


def queues(url: str, n: int, stale_after: float = 30.0) -> list[JobQueue]:
    return [JobQueue(Corpus(url), stale_after=stale_after) for _ in range(n)]


def race(racers: list[JobQueue]) -> list[str | None]:
    """All racers claim at the same instant; returns what each got."""
    barrier = threading.Barrier(len(racers))
    won: list[str | None] = [None] * len(racers)

    def claim(i: int, queue: JobQueue) -> None:
        barrier.wait()
        won[i] = queue.claim(f"worker-{i}")

    threads = [threading.Thread(target=claim, args=(i, q)) for i, q in enumerate(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return won


def test_one_claimer_wins_each_race(migrated_url):
    racers = queues(migrated_url, 2)
    for _ in range(8):
        job_id = racers[0].enqueue("c", files(1))
        won = race(racers)
        assert sorted(w for w in won if w is not None) == [job_id], won
        job = racers[0].get(job_id)
        assert job is not None and job.status == "running" and job.attempts == 1


def test_many_claimers_take_every_job_exactly_once(migrated_url):
    producer, *claimers = queues(migrated_url, 4)
    job_ids = {producer.enqueue("c", files(1)) for _ in range(24)}
    taken: list[list[str]] = [[] for _ in claimers]

    def drain(i: int, queue: JobQueue) -> None:
        misses = 0
        while misses < 5:  # a lost race answers None too, so stop only after several misses
            job_id = queue.claim(f"worker-{i}")
            if job_id is None:
                misses += 1
            else:
                taken[i].append(job_id)

    threads = [threading.Thread(target=drain, args=(i, q)) for i, q in enumerate(claimers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [j for t in taken for j in t]
    assert sorted(everything) == sorted(job_ids)  # all taken, none twice
    assert all(producer.get(j).attempts == 1 for j in job_ids)  # type: ignore[union-attr]


def test_a_silent_worker_is_taken_over_after_stale_after(migrated_url):
    old, new = queues(migrated_url, 2, stale_after=1.0)
    job_id = old.enqueue("c", files(2))
    assert old.claim("old") == job_id
    assert new.claim("new") is None  # fresh heartbeat: not claimable
    time.sleep(0.6)
    assert old.heartbeat(job_id, "old")  # a beat renews the claim
    time.sleep(0.6)
    assert new.claim("new") is None  # 0.6 s since the beat, under stale_after
    time.sleep(0.6)
    assert new.claim("new") == job_id  # 1.2 s silent: taken over
    assert not old.heartbeat(job_id, "old")
    assert not old.finish(job_id, "failed", "late", worker="old")  # no longer its job
    job = new.get(job_id)
    assert job is not None
    assert (job.status, job.attempts, job.error) == ("running", 2, None)
    assert new.finish(job_id, "done", worker="new")
    assert new.get(job_id).status == "done"  # type: ignore[union-attr]


def test_a_file_that_kills_its_worker_three_times_fails_and_the_job_goes_on(migrated_url):
    (queue,) = queues(migrated_url, 1, stale_after=0.0)
    job_id = queue.enqueue("c", files(2))
    for attempt in range(1, MAX_FILE_ATTEMPTS + 1):
        assert queue.claim(f"worker-{attempt}") == job_id  # stale_after 0: the last one "died"
        file = queue.next_file(job_id)
        assert file is not None and file.name == "f0.txt" and file.attempts == attempt
    assert queue.claim("worker-4") == job_id
    file = queue.next_file(job_id)
    assert file is not None and file.name == "f1.txt" and file.attempts == 1
    job = queue.get(job_id)
    assert job is not None
    first = job.files[0]
    assert (first.status, first.attempts) == ("failed", MAX_FILE_ATTEMPTS)
    assert first.error is not None and "gave up after 3 attempts" in first.error
    assert job.files_done == 1
    queue.finish_file(job_id, file.id, "added", document_id=7, chunks=2)
    assert queue.next_file(job_id) is None
    job = queue.get(job_id)
    assert job is not None and (job.files_done, job.files_total, job.chunks) == (2, 2, 2)


def test_finish_file_counts_once(migrated_url):
    first, second = queues(migrated_url, 2)
    job_id = first.enqueue("c", files(2))
    first.claim("w")
    file = first.next_file(job_id)
    assert file is not None
    first.finish_file(job_id, file.id, "added", document_id=3, chunks=4)
    first.finish_file(job_id, file.id, "added", document_id=3, chunks=4)
    second.finish_file(job_id, file.id, "failed", error="late duplicate")
    job = first.get(job_id)
    assert job is not None
    assert (job.files_done, job.chunks) == (1, 4)
    assert (job.files[0].status, job.files[0].error, job.files[0].chunks) == ("added", None, 4)
    assert job.files[1].status == "queued"


def test_release_puts_the_job_back_for_any_worker(migrated_url):
    first, second = queues(migrated_url, 2)
    job_id = first.enqueue("c", files(1))
    assert first.claim("a") == job_id
    assert not second.release(job_id, "b")  # only the owner can release
    assert second.claim("b") is None
    assert first.release(job_id, "a")
    assert second.claim("b") == job_id
    job = second.get(job_id)
    assert job is not None and (job.status, job.attempts) == ("running", 2)


class SlowPipeline:
    """Stands in for IngestPipeline: each file takes `seconds`, and every call is recorded."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.names: list[str] = []

    def ingest_files(
        self, items: list[FileInput], total: int, collection: str, **_: object
    ) -> IngestReport:
        (item,) = items
        self.names.append(item.name)
        time.sleep(self.seconds)
        return IngestReport(files=[FileOutcome(item.source, "added", 1, document_id=1)])


def start_worker(queue: JobQueue, pipeline: SlowPipeline, job_id: str) -> list[str]:
    worker = Worker(queue, pipeline, blobs=None, sweep_interval=600.0, heartbeat_interval=60)  # type: ignore[arg-type]
    worker.name = "slow"
    assert queue.claim(worker.name) == job_id
    ended: list[str] = []
    thread = threading.Thread(target=lambda: ended.append(worker.run_job(job_id)), daemon=True)
    thread.start()
    return ended


def test_worker_leaves_a_job_taken_over_after_the_file_in_hand(migrated_url, tmp_path):
    slow_queue, fast_queue = queues(migrated_url, 2, stale_after=0.5)
    job_id = slow_queue.enqueue("c", real_files(tmp_path, 6))
    slow = SlowPipeline(seconds=1.5)
    # heartbeat_interval 60: the slow worker goes silent while it works on its first file.
    ended = start_worker(slow_queue, slow, job_id)
    time.sleep(0.9)
    assert fast_queue.claim("fast") == job_id
    # Still busy with f1..f5 when the slow worker ends f0: had that one gone on, it would take
    # one of them.
    fast_pipeline = SlowPipeline(seconds=0.3)
    fast = Worker(fast_queue, fast_pipeline, blobs=None, sweep_interval=600.0)  # type: ignore[arg-type]
    fast.name = "fast"
    assert fast.run_job(job_id) == "done"
    assert fast_pipeline.names == [f"f{i}.txt" for i in range(6)]
    deadline = time.monotonic() + 10
    while not ended and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ended == ["lost"]
    assert slow.names == ["f0.txt"]  # stopped after the file in hand, started no other
    job = fast_queue.get(job_id)
    assert job is not None
    assert (job.status, job.files_done, job.files_total) == ("done", 6, 6)
    assert [f.attempts for f in job.files] == [2, 1, 1, 1, 1, 1]  # only f0 ran twice


def test_worker_releases_its_job_when_stopped(migrated_url, tmp_path):
    (queue,) = queues(migrated_url, 1)
    job_id = queue.enqueue("c", real_files(tmp_path, 4))
    stop = threading.Event()
    pipeline = SlowPipeline(seconds=0.3)
    worker = Worker(queue, pipeline, blobs=None, sweep_interval=600.0)  # type: ignore[arg-type]
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    deadline = time.monotonic() + 10
    while not pipeline.names and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    job = queue.get(job_id)
    assert job is not None
    assert job.status == "queued" and 1 <= job.files_done < 4
    assert queue.claim("next") == job_id  # at once, no stale wait


def test_worker_marks_the_job_failed_on_an_unexpected_error(migrated_url, tmp_path):
    (queue,) = queues(migrated_url, 1)
    job_id = queue.enqueue("c", real_files(tmp_path, 2))

    class Broken(SlowPipeline):
        def ingest_files(self, items, total, collection, **_):  # type: ignore[no-untyped-def]
            raise RuntimeError("embedder exploded")

    stop = threading.Event()
    worker = Worker(queue, Broken(0), blobs=None, sweep_interval=600.0, poll_interval=0.05)  # type: ignore[arg-type]
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    deadline = time.monotonic() + 10
    while queue.get(job_id).status != "failed" and time.monotonic() < deadline:  # type: ignore[union-attr]
        time.sleep(0.05)
    assert thread.is_alive()  # the worker itself goes on
    stop.set()
    thread.join(timeout=10)
    job = queue.get(job_id)
    assert job is not None
    assert job.status == "failed" and job.error == "RuntimeError: embedder exploded"
