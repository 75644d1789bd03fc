"""Two workers and two API processes on one PostgreSQL, as on several machines.

No file is processed twice, both API processes answer alike, a new document reaches both
within 2 s of being stored, and a document deleted through one stops answering in the other
within 2 s.
"""

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from ingest.job_tables import JobFileRow
from ingest.jobs import JobQueue, NewJobFile
from retriever.corpus import Corpus
from retriever.schema import ChangeRow
from tests.app.cluster import (
    Process,
    base_env,
    job_files,
    job_row,
    marker,
    search,
    start_api,
    start_worker,
    store_counts,
    wait_jobs,
    wait_ready,
    write_small_files,
)
from tests.conftest import create_postgres_database

pytestmark = [pytest.mark.integration, pytest.mark.slow]

JOBS = 4
PER_JOB = 40
SAMPLE_EVERY = 10  # files whose arrival in both API processes is timed
FRESH_WITHIN = 2.0
QUERIES = ["図書館は何時に開きますか", "マラソン大会の参加者", "ferry passengers", "bakery bread"]


@dataclass
class FreshnessProbe:
    """Times when each sampled file's document is first returned by each API process.

    Runs while the workers ingest; a sampled file is searched for (by its marker) from the
    moment its job file is seen finished until both API processes return it.
    """

    corpus: Corpus
    apis: list[Process]
    sampled: dict[str, int]  # path → marker number
    found: dict[str, dict[str, float]] = field(default_factory=dict)  # path → api → time
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> "FreshnessProbe":
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _finished(self) -> set[str]:
        with self.corpus.session() as session:
            paths = session.scalars(
                select(JobFileRow.path).where(
                    JobFileRow.path.in_(list(self.sampled)), JobFileRow.status == "added"
                )
            )
            return {p for p in paths if p is not None}

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self._stop.is_set():
                for path in self._finished():
                    seen = self.found.setdefault(path, {})
                    for api in self.apis:
                        if api.name in seen:
                            continue
                        try:
                            hits = search(client, api.base_url or "", marker(self.sampled[path]))
                        except (httpx.HTTPError, ValueError, KeyError) as e:
                            self.errors.append(f"{api.name}: {type(e).__name__}: {e}")
                            continue
                        if path in (h["source"] for h in hits):
                            seen[api.name] = time.time()
                self._stop.wait(0.05)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)

    def lags(self) -> dict[str, float]:
        """Seconds from each sampled document's chunk entering the change log (stamped just
        before its commit, so earlier than its job file finishing) to both APIs returning it."""
        with self.corpus.session() as session:
            stored = dict(
                session.execute(
                    select(JobFileRow.path, ChangeRow.created_at)
                    .join(ChangeRow, ChangeRow.document_id == JobFileRow.document_id)
                    .where(JobFileRow.path.in_(list(self.sampled)), ChangeRow.op == "add")
                ).all()
            )
        return {
            path: max(self.found[path].values()) - stored[path].timestamp()
            for path in self.sampled
            if len(self.found.get(path, {})) == len(self.apis)
        }


def all_hits(client: httpx.Client, api: Process, queries: list[str]) -> list[list[tuple]]:
    return [
        [(h["chunk_id"], h["score"]) for h in search(client, api.base_url or "", q, k=10)]
        for q in queries
    ]


def caught_up(client: httpx.Client, api: Process) -> int:
    """Searching makes an API process replay the log (at most every 0.5 s); then its size."""
    search(client, api.base_url or "", "catch up")
    time.sleep(0.6)
    search(client, api.base_url or "", "catch up")
    return int(client.get(f"{api.base_url}/readyz").json()["chunks"])


def seconds_until(predicate, timeout: float = 10.0) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            return float("inf")
        time.sleep(0.02)
    return time.monotonic() - started


def test_two_workers_two_apis_on_one_postgres(tmp_path: Path):
    url = create_postgres_database()
    env = base_env(url)
    folders = [tmp_path / f"docs{j}" for j in range(JOBS)]
    paths = [write_small_files(f, PER_JOB, first=j * PER_JOB) for j, f in enumerate(folders)]
    total = JOBS * PER_JOB

    # All four start together (each loads the model); they migrate the schema in turns.
    api_a = start_api("api-a", tmp_path / "api-a", env)
    api_b = start_api("api-b", tmp_path / "api-b", env)
    workers = [start_worker(f"worker-{i}", tmp_path / f"worker-{i}", env) for i in (1, 2)]
    procs = [api_a, api_b, *workers]
    probe = None
    try:
        wait_ready(api_a)
        wait_ready(api_b)
        corpus = Corpus(url)
        queue = JobQueue(corpus, stale_after=30.0)
        job_ids = [
            queue.enqueue(
                "shared",
                [NewJobFile(p.name, p.stat().st_size, path=str(p.resolve())) for p in files],
            )
            for files in paths
        ]
        everything = [p for files in paths for p in files]
        sampled = {str(p.resolve()): i for i, p in enumerate(everything) if i % SAMPLE_EVERY == 5}
        probe = FreshnessProbe(corpus, [api_a, api_b], sampled).start()
        wait_jobs(corpus, job_ids, procs, timeout=240)
        time.sleep(FRESH_WITHIN + 0.5)  # the last sampled files get their full 2 s
        probe.stop()

        # No file processed twice: each job claimed once, each file attempted once.
        jobs = [job_row(corpus, j) for j in job_ids]
        assert [(j.status, j.attempts, j.files_done) for j in jobs] == [("done", 1, PER_JOB)] * JOBS
        assert len({j.worker for j in jobs}) == 2, "both workers should have taken jobs"
        files = job_files(corpus, job_ids)
        assert [(f.status, f.attempts) for f in files] == [("added", 1)] * total
        counts = store_counts(corpus, "shared")
        assert len(counts.documents) == total
        assert counts.adds_per_document == counts.chunks_per_document  # chunks inserted once
        assert set(counts.chunks_per_document.values()) == {1}
        assert counts.duplicate_texts == 0 and not counts.deletes_per_document
        assert counts.chunk_rows == counts.log_balance == total

        # Freshness, measured while both workers were ingesting.
        assert probe.errors == []
        lags = probe.lags()
        assert len(lags) == len(sampled), f"never returned: {set(sampled) - set(lags)}"
        worst = max(lags.values())
        assert worst < FRESH_WITHIN, sorted(lags.values())

        with httpx.Client(timeout=30) as client:
            # Both API processes replayed the same log into the same answers.
            assert caught_up(client, api_a) == caught_up(client, api_b) == total
            queries = QUERIES + [marker(i) for i in range(3, total, 17)]
            assert all_hits(client, api_a, queries) == all_hits(client, api_b, queries)

            # Delete through A; B stops returning it within 2 s.
            victim = everything[7]
            doc_id = counts.documents[str(victim.resolve())]

            def returned(api: Process) -> bool:
                hits = search(client, api.base_url or "", marker(7))
                return doc_id in (h["document_id"] for h in hits)

            assert returned(api_a) and returned(api_b)
            response = client.delete(f"{api_a.base_url}/v1/documents/{doc_id}")
            assert response.status_code == 204, response.text
            assert not returned(api_a)  # the deleting process applies it at once
            gone_after = seconds_until(lambda: not returned(api_b))
            assert gone_after < FRESH_WITHIN, gone_after
            assert caught_up(client, api_a) == caught_up(client, api_b) == total - 1

        for worker in workers:
            assert worker.stop() == 0, worker.tail()  # SIGTERM: a clean exit
        print(
            f"\nfreshness over {len(lags)} documents: max {worst:.2f} s, "
            f"median {sorted(lags.values())[len(lags) // 2]:.2f} s; "
            f"delete seen by the other API after {gone_after:.2f} s"
        )
    finally:
        if probe is not None:
            probe.stop()
        for proc in procs:
            proc.stop()
