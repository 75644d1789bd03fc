"""A file of many batches through a real `kotae serve`: progress, a SIGTERM mid-file, resume.

Small batches and chunks keep it short. The staged batches of the interrupted attempt are
counted in the database after the server stops; the restarted server must report exactly
those as resumed (the pipeline embeds only the others: tests/ingest/test_staged_ingest.py).
"""

import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from ingest.job_tables import JobFileRow
from retriever.corpus import Corpus
from retriever.schema import DocumentRow, StagedChunkRow
from tests.app.cluster import base_env, enqueue_cli, start_worker
from tests.conftest import start_server, stop_server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BATCH = 4
ENV = {
    "KOTAE_INGEST_BATCH_CHUNKS": str(BATCH),
    "KOTAE_CHUNK_TOKENS": "32",
    "KOTAE_CHUNK_OVERLAP_TOKENS": "8",
    "OMP_NUM_THREADS": "1",
}


def big_text() -> bytes:
    return "\n".join(
        f"Harbour log {i}: the lighthouse keeper counted {i * 7} ships and {i % 13} storms."
        for i in range(220)
    ).encode()


def job_file(client: httpx.Client, job_id: str) -> tuple[str, dict]:
    job = client.get(f"/v1/jobs/{job_id}").json()
    return job["status"], job["files"][0]


def test_large_file_shows_progress_stops_on_sigterm_and_resumes(tmp_path: Path):
    data_dir = tmp_path / "data"
    server = start_server(data_dir, ENV)
    seen: list[int] = []
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            files = [("files", ("harbour/log.txt", big_text(), "text/plain"))]
            job_id = client.post("/v1/documents", files=files).json()["job_id"]
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                status, f = job_file(client, job_id)
                assert status in ("queued", "running"), f"finished before the stop: {f}"
                if f["chunks_total"]:
                    seen.append(f["chunks_done"])
                # Half-ingested: nothing of it may answer yet.
                hits = client.post("/v1/search", json={"query": "lighthouse keeper ships"}).json()
                assert hits["hits"] == [], "a half-ingested document answered a search"
                if f["chunks_done"] >= 3 * BATCH:
                    break
                time.sleep(0.05)
            total = f["chunks_total"]
            assert total >= 8 * BATCH, f"the file must span many batches: {f}"
            assert seen == sorted(seen) and len(set(seen)) >= 2, seen  # it moved, forwards
        started = time.monotonic()
        server.process.terminate()
        server.process.wait(timeout=30)
        stopped_in = time.monotonic() - started
    finally:
        stop_server(server)
    assert stopped_in < 8, f"SIGTERM took {stopped_in:.1f} s"

    corpus = Corpus(f"sqlite:///{data_dir / 'kotae.db'}")
    with corpus.session() as s:
        staged = s.scalar(select(func.count()).select_from(StagedChunkRow)) or 0
        documents = s.scalar(select(func.count()).select_from(DocumentRow))
        row = s.scalars(select(JobFileRow)).one()
    corpus.engine.dispose()
    assert 3 * BATCH <= staged < total and documents == 0
    assert (row.status, row.attempts) == ("queued", 0)  # handed back; a clean stop costs no attempt

    server = start_server(data_dir, ENV)
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline:
                status, f = job_file(client, job_id)
                if status in ("done", "failed"):
                    break
                if f["chunks_total"]:
                    assert f["chunks_done"] >= staged  # never back to zero
                time.sleep(0.2)
            assert status == "done", f
            assert (f["status"], f["chunks"], f["chunks_resumed"]) == ("added", total, staged)
            hits = client.post("/v1/search", json={"query": "lighthouse keeper ships"}).json()
            assert hits["hits"] and hits["hits"][0]["source"] == "harbour/log.txt"
    finally:
        stop_server(server)


def test_sigterm_stops_kotae_worker_mid_file(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'kotae.db'}"
    env = {**base_env(url), **ENV}
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "log.txt").write_bytes(big_text())
    job_id = enqueue_cli(tmp_path / "docs", "big", tmp_path / "cli", env)
    worker = start_worker("worker", tmp_path / "worker", env)
    corpus = Corpus(url)
    try:
        deadline = time.monotonic() + 180
        done = 0
        while done < 2 * BATCH and time.monotonic() < deadline:
            assert worker.process.poll() is None, worker.tail()
            with corpus.session() as s:
                done = s.scalars(select(JobFileRow.chunks_done)).one()
            time.sleep(0.05)
        started = time.monotonic()
        code = worker.stop(timeout=30)
        stopped_in = time.monotonic() - started
    finally:
        worker.stop()
    assert code == 0 and stopped_in < 8, f"exit {code} after {stopped_in:.1f} s"
    with corpus.session() as s:
        row = s.scalars(select(JobFileRow)).one()
        staged = s.scalar(select(func.count()).select_from(StagedChunkRow))
    assert (row.job_id, row.status, row.attempts) == (job_id, "queued", 0)
    assert staged is not None and 2 * BATCH <= staged < row.chunks_total
    corpus.engine.dispose()
