"""A worker process killed with SIGKILL mid-job: another takes the job over and nothing is lost
or stored twice, while an API process on the same database keeps answering searches.
"""

import signal
import time
from pathlib import Path

import httpx
import pytest

from retriever.corpus import Corpus
from tests.app.cluster import (
    SearchPoller,
    base_env,
    enqueue_cli,
    job_files,
    job_row,
    job_state,
    marker,
    run_cli,
    search,
    start_api,
    start_worker,
    store_counts,
    wait_jobs,
    wait_ready,
    write_small_files,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FILES = 300
KILL_AFTER = 40  # files done before the SIGKILL
STALE_SECONDS = 3


def wait_files_done(corpus: Corpus, job_id: str, at_least: int, timeout: float = 180) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _, done, _ = job_state(corpus, job_id)
        if done >= at_least:
            return done
        time.sleep(0.05)
    raise AssertionError(f"fewer than {at_least} files done in {timeout}s")


def test_sigkilled_worker_loses_nothing_and_duplicates_nothing(database_url, tmp_path):
    docs = write_small_files(tmp_path / "docs", FILES)
    env = base_env(database_url, STALE_SECONDS)
    # Enqueued (and the schema migrated) before the other processes start.
    job_id = enqueue_cli(tmp_path / "docs", "crash", tmp_path / "cli", env)
    corpus = Corpus(database_url)
    assert job_state(corpus, job_id) == ("queued", 0, FILES)

    api = start_api("api", tmp_path / "api", env)
    first = start_worker("worker-1", tmp_path / "worker-1", env)
    second = None
    poller = None
    try:
        wait_ready(api)
        queries = [marker(i) for i in range(0, FILES, 7)] + ["図書館は何時に開きますか", "ferry"]
        poller = SearchPoller(api.base_url or "", queries).start()

        done_at_kill = wait_files_done(corpus, job_id, KILL_AFTER)
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(timeout=10)
        status, done_after_kill, _ = job_state(corpus, job_id)
        assert status == "running" and done_after_kill < FILES, "killed too late to prove anything"

        second = start_worker("worker-2", tmp_path / "worker-2", env)
        wait_jobs(corpus, [job_id], [api, second], timeout=240)
        time.sleep(1.5)  # let the poller search the finished index a few more times
        poller.stop()

        assert poller.errors == [], poller.errors[:5]
        assert poller.ok >= 20

        job = job_row(corpus, job_id)
        assert (job.status, job.files_done, job.files_total) == ("done", FILES, FILES)
        assert (job.attempts, job.error) == (2, None)  # claimed by each worker once
        files = job_files(corpus, [job_id])
        outcomes = [f.status for f in files]
        # The file in flight at the kill may have been stored just before it: then the second
        # worker finds it unchanged, with the same content hash, and stores nothing again.
        assert set(outcomes) <= {"added", "unchanged"} and outcomes.count("unchanged") <= 1
        attempts = sorted(f.attempts for f in files)
        assert attempts[:-1] == [1] * (FILES - 1) and attempts[-1] in (1, 2), attempts[-3:]

        counts = store_counts(corpus, "crash")
        assert set(counts.documents) == {str(p.resolve()) for p in docs}
        assert set(counts.chunks_per_document.values()) == {1}  # each file is one chunk
        assert counts.duplicate_texts == 0
        assert counts.adds_per_document == {d: 1 for d in counts.documents.values()}
        assert sum(counts.deletes_per_document.values()) == 0
        assert counts.chunk_rows == FILES == counts.log_balance
        assert {f.document_id for f in files} == set(counts.documents.values())

        # The API process replayed the same log: every chunk once, the last file findable.
        with httpx.Client(timeout=30) as client:
            hits = search(client, api.base_url or "", marker(FILES - 1))
            assert str(docs[-1].resolve()) in [h["source"] for h in hits]
            ready = client.get(f"{api.base_url}/readyz").json()
        assert ready["chunks"] == FILES

        assert second.stop() == 0, second.tail()  # SIGTERM: a clean exit
        print(f"\nkilled after {done_at_kill} files; {poller.ok} searches, no errors")
    finally:
        if poller is not None:
            poller.stop()
        for proc in (api, first, second):
            if proc is not None:
                proc.stop()


def test_enqueue_queues_what_exists_and_names_what_does_not(tmp_path: Path, database_url):
    write_small_files(tmp_path / "docs", 2)
    args = ["ingest", str(tmp_path / "docs"), str(tmp_path / "nope"), "--enqueue"]
    done = run_cli(args, tmp_path / "cli", base_env(database_url))
    assert done.returncode == 1, done.stderr
    assert "nope" in done.stderr and "no such file" in done.stderr
    job_id = done.stdout.strip()
    corpus = Corpus(database_url)
    assert job_state(corpus, job_id) == ("queued", 0, 2)
    paths = sorted(f.path or "" for f in job_files(corpus, [job_id]))
    assert paths == [str((tmp_path / "docs" / f"note000{i}.txt").resolve()) for i in range(2)]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_stopped_worker_exits_cleanly_and_gives_its_job_back(signum, tmp_path):
    url = f"sqlite:///{tmp_path / 'kotae.db'}"
    write_small_files(tmp_path / "docs", 200)
    env = base_env(url)  # stale after 30 s: only a release lets the job move on at once
    job_id = enqueue_cli(tmp_path / "docs", "stop", tmp_path / "cli", env)
    corpus = Corpus(url)
    worker = start_worker("worker", tmp_path / "worker", env)
    try:
        wait_files_done(corpus, job_id, 5)
        worker.process.send_signal(signum)
        assert worker.process.wait(timeout=30) == 0, worker.tail()
    finally:
        worker.stop()
    job = job_row(corpus, job_id)
    assert (job.status, job.worker, job.heartbeat_at) == ("queued", None, None)
    assert 5 <= job.files_done < 200
    files = job_files(corpus, [job_id])
    # Nothing was left half-done: every file is finished or queued (Ctrl+C stops as gently as
    # SIGTERM: an interrupt raised mid-write could keep the database locked past the release).
    assert sum(f.status == "running" for f in files) == 0
    assert sum(f.status == "added" for f in files) == job.files_done
