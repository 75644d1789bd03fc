"""Helpers for tests that run several Kotae processes on one database.

API processes (`kotae serve --no-worker`) and workers (`kotae worker`) are real
subprocesses; each has its own data dir (its own index snapshot) and they share only the
database, as on several machines.
"""

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import func, select

from ingest.job_tables import JobFileRow, JobRow
from retriever.corpus import Corpus
from retriever.schema import ChangeRow, ChunkRow, CollectionRow, DocumentRow
from tests.conftest import ROOT, free_port

KOTAE = [sys.executable, "-c", "from app.cli import main; main()"]

PLACES_JA = ["みなと町", "さくら市", "青葉村", "ひかり台", "北浜町", "緑ヶ丘"]
PLACES_EN = ["Riverside", "Oak Hill", "Lakeview", "Stonebridge", "Maple Bay", "Eastwood"]
SENTENCES_JA = [
    "{place}の図書館は午前{h}時に開きます。",
    "{place}では毎年{n}人がマラソン大会に参加します。",
    "{place}の市場には{n}軒の店が並んでいます。",
    "{place}のバスは{h}分ごとに駅前を出発します。",
    "{place}の公園には{n}本の桜が植えられています。",
]
SENTENCES_EN = [
    "The {place} museum opens at {h} am on weekdays.",
    "About {n} people swim in the {place} pool every summer.",
    "The {place} ferry carries {n} passengers a day.",
    "The {place} school has {n} students and {h} teachers.",
    "The {place} bakery sells {n} loaves of bread each morning.",
]


def marker(i: int) -> str:
    """A code word found in file i only, so a search for it must return that document."""
    return f"QX{i:04d}"


def write_small_files(folder: Path, n: int, first: int = 0) -> list[Path]:
    """n files of 2-3 short Japanese or English sentences: each is one chunk, none alike.

    File i (counting from `first`) holds `marker(i)`.
    """
    rng = random.Random(first)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(first, first + n):
        japanese = i % 2 == 0
        places, sentences = (PLACES_JA, SENTENCES_JA) if japanese else (PLACES_EN, SENTENCES_EN)
        picked = rng.sample(sentences, rng.choice([2, 3]))
        lines = [
            s.format(place=rng.choice(places), n=rng.randint(10, 9000), h=rng.randint(2, 11))
            for s in picked
        ]
        code = marker(i)
        lines.append(f"整理番号は{code}です。" if japanese else f"The reference code is {code}.")
        path = folder / f"note{i:04d}.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def base_env(url: str, stale_seconds: float = 30) -> dict[str, str]:
    """Environment of every process of a test: one shared database."""
    return {
        "KOTAE_DATABASE_URL": url,
        "KOTAE_JOB_STALE_SECONDS": str(stale_seconds),
        # Several processes share 2 cores: torch's default of one intra-op thread per core
        # makes each wait on threads the others have preempted (one passage: ~1 s, not 50 ms).
        "OMP_NUM_THREADS": "1",
    }


@dataclass
class Process:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    base_url: str | None = None

    def tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, then SIGKILL if it will not go; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def _start(name: str, args: list[str], data_dir: Path, env: dict[str, str]) -> Process:
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / f"{name}.log"
    process = subprocess.Popen(
        [*KOTAE, *args],
        cwd=ROOT,
        env={**os.environ, "KOTAE_DATA_DIR": str(data_dir), **env},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    return Process(name, process, log)


def start_api(
    name: str, data_dir: Path, env: dict[str, str], in_process_worker: bool = False
) -> Process:
    """Start `kotae serve --no-worker`, or with `in_process_worker` plain `kotae serve` (not
    waiting: start several, then `wait_ready`)."""
    port = free_port()
    worker = [] if in_process_worker else ["--no-worker"]
    proc = _start(name, ["serve", *worker, "--port", str(port)], data_dir, env)
    proc.base_url = f"http://127.0.0.1:{port}"
    return proc


def start_worker(name: str, data_dir: Path, env: dict[str, str]) -> Process:
    return _start(name, ["worker"], data_dir, env)


def wait_ready(proc: Process, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.process.poll() is not None:
            raise RuntimeError(f"{proc.name} exited early:\n{proc.tail()}")
        try:
            if httpx.get(f"{proc.base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{proc.name} not ready in {timeout}s:\n{proc.tail()}")


def run_cli(
    args: list[str], data_dir: Path, env: dict[str, str]
) -> "subprocess.CompletedProcess[str]":
    """Run one `kotae` command to its end."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [*KOTAE, *args],
        cwd=ROOT,
        env={**os.environ, "KOTAE_DATA_DIR": str(data_dir), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def enqueue_cli(folder: Path, collection: str, data_dir: Path, env: dict[str, str]) -> str:
    """`kotae ingest FOLDER --enqueue`: returns the job id it printed."""
    done = run_cli(["ingest", str(folder), "--enqueue", "--collection", collection], data_dir, env)
    assert done.returncode == 0, done.stderr
    job_id = done.stdout.strip()
    assert len(job_id) == 32 and job_id.isalnum(), done.stdout
    return job_id


def search(client: httpx.Client, base_url: str, query: str, k: int = 5) -> list[dict]:
    response = client.post(f"{base_url}/v1/search", json={"query": query, "top_k": k})
    response.raise_for_status()
    hits: list[dict] = response.json()["hits"]
    return hits


@dataclass
class SearchPoller:
    """Keeps asking one API process while the test does other things; counts every failure."""

    base_url: str
    queries: list[str]
    pause: float = 0.1
    ok: int = 0
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> "SearchPoller":
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            i = 0
            while not self._stop.is_set():
                try:
                    search(client, self.base_url, self.queries[i % len(self.queries)])
                    self.ok += 1
                except (httpx.HTTPError, ValueError, KeyError) as e:
                    self.errors.append(f"{type(e).__name__}: {e}")
                i += 1
                self._stop.wait(self.pause)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)


def job_state(corpus: Corpus, job_id: str) -> tuple[str, int, int]:
    """(status, files_done, files_total) read straight from the jobs table."""
    row = job_row(corpus, job_id)
    return row.status, row.files_done, row.files_total


def job_row(corpus: Corpus, job_id: str) -> JobRow:
    with corpus.session() as session:
        row = session.get(JobRow, job_id)
        assert row is not None
        return row


def wait_jobs(corpus: Corpus, job_ids: list[str], procs: list[Process], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = [job_state(corpus, j) for j in job_ids]
        if all(s[0] in ("done", "failed") for s in states):
            return
        for p in procs:
            if p.process.poll() is not None:
                raise AssertionError(f"{p.name} died:\n{p.tail()}")
        time.sleep(0.2)
    raise AssertionError(f"jobs not finished in {timeout}s: {states}")


@dataclass(frozen=True)
class StoreCounts:
    """What the database holds for one collection, to check nothing was stored twice."""

    documents: dict[str, int]  # source → document id
    chunks_per_document: dict[int, int]
    duplicate_texts: int  # chunk texts that occur more than once within one document
    adds_per_document: Counter[int]
    deletes_per_document: Counter[int]
    chunk_rows: int  # every chunk in the database
    log_balance: int  # every add in the change log minus every delete


def store_counts(corpus: Corpus, collection: str) -> StoreCounts:
    with corpus.session() as session:
        docs = dict(
            session.execute(
                select(DocumentRow.source, DocumentRow.id)
                .join(CollectionRow)
                .where(CollectionRow.name == collection)
            ).all()
        )
        per_doc = Counter[int]()
        duplicates = 0
        for doc_id in docs.values():
            texts = session.scalars(select(ChunkRow.text).where(ChunkRow.document_id == doc_id))
            counted = Counter(texts)
            per_doc[doc_id] = sum(counted.values())
            duplicates += sum(c - 1 for c in counted.values())
        changes = session.execute(
            select(ChangeRow.document_id, ChangeRow.op, func.count()).group_by(
                ChangeRow.document_id, ChangeRow.op
            )
        ).all()
        chunk_rows = session.scalar(select(func.count()).select_from(ChunkRow)) or 0
    adds = Counter({d: n for d, op, n in changes if op == "add"})
    deletes = Counter({d: n for d, op, n in changes if op == "delete"})
    return StoreCounts(
        documents=docs,
        chunks_per_document=dict(per_doc),
        duplicate_texts=duplicates,
        adds_per_document=adds,
        deletes_per_document=deletes,
        chunk_rows=chunk_rows,
        log_balance=sum(adds.values()) - sum(deletes.values()),
    )


def job_files(corpus: Corpus, job_ids: list[str]) -> list[JobFileRow]:
    with corpus.session() as session:
        return list(
            session.scalars(
                select(JobFileRow).where(JobFileRow.job_id.in_(job_ids)).order_by(JobFileRow.id)
            ).all()
        )
