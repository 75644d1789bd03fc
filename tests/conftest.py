"""Shared fixtures: the seed corpus and a real `kotae serve` on loopback."""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "corpus" / "seeds-ja"
DEV_QA = SHARED / "eval" / "dev-ja.jsonl"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    if not SEEDS.is_dir():
        pytest.skip(f"seed corpus not found at {SEEDS}")
    return SEEDS


@pytest.fixture(scope="session")
def model_cache_dir() -> Path:
    """Converted models are cached per user, like in production, so tests don't rebuild them."""
    return Path(os.environ.get("KOTAE_MODEL_CACHE_DIR", Path.home() / ".cache/kotae/models"))


def sse_events(lines: Iterable[str]) -> list[tuple[str | None, Any]]:
    """(event name, decoded JSON data) for each message of a server-sent event stream."""
    events: list[tuple[str | None, Any]] = []
    event = None
    for line in lines:
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            events.append((event, json.loads(line[6:])))
    return events


def wait_job(client: httpx.Client, job_id: str, timeout: float = 180) -> dict[str, Any]:
    """The ingest job once it is done or failed, polled through /v1/jobs (the client carries
    the base URL and any API key)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.base_url = base_url
        self.process = process
        self.log = log


def start_server(data_dir: Path, env: dict[str, str], timeout: float = 300) -> Server:
    port = free_port()
    log = data_dir / "server.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [sys.executable, "-c", "from app.cli import main; main()", "serve", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "KOTAE_DATA_DIR": str(data_dir), **env},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"kotae serve exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return Server(base, process, log)
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"kotae serve not ready in {timeout}s:\n{log.read_text()[-3000:]}")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()


def create_postgres_database() -> str:
    """A fresh database on the test PostgreSQL (KOTAE_TEST_DATABASE_URL, from .ci/postgres.sh)."""
    admin = os.environ.get("KOTAE_TEST_DATABASE_URL")
    if not admin:
        if os.environ.get("KOTAE_REQUIRE_POSTGRES") == "1":
            pytest.fail("KOTAE_TEST_DATABASE_URL is not set but PostgreSQL tests are required")
        pytest.skip("no test PostgreSQL (set KOTAE_TEST_DATABASE_URL; see .ci/postgres.sh)")
    return new_postgres_database(admin)


def _run_admin(admin: str, statement: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(statement))
    engine.dispose()


def new_postgres_database(admin: str, prefix: str = "kotae_test") -> str:
    """Create an empty database next to `admin`'s (a URL); returns the new one's URL."""
    import uuid

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    _run_admin(admin, f'CREATE DATABASE "{name}"')
    return admin.rsplit("/", 1)[0] + "/" + name


def drop_postgres_database(admin: str, url: str) -> None:
    """Drop a database `new_postgres_database` made, even while connections to it remain."""
    name = url.rsplit("/", 1)[1]
    _run_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on a real SQLite file and on a real PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kotae.db'}"
    return create_postgres_database()


def migrate(url: str) -> str:
    """The one way tests get a schema: the migrations, run as every Kotae process runs them.

    Corpus and JobQueue never create tables; a test that builds one on a fresh database goes
    through here (or through a kotae process, which migrates at start).
    """
    from app.database import upgrade_database

    upgrade_database(url)
    return url


@pytest.fixture
def migrated_url(database_url: str) -> str:
    """`database_url` (SQLite file and PostgreSQL) with the schema at the newest revision."""
    return migrate(database_url)


VLLM_MAX_MODEL_LEN = 2048


@pytest.fixture(scope="session")
def vllm_base_url() -> Iterator[str]:
    """One real vLLM CPU server (SmolLM2-135M) for the whole session.

    Skipped when `.ci/vllm.sh` has not prepared it, except in CI (KOTAE_REQUIRE_VLLM=1),
    where a missing server is a failure rather than a silent skip.
    """
    from tests.vllm_server import run_vllm_server, vllm_unavailable_reason

    reason = vllm_unavailable_reason()
    if reason is not None:
        if os.environ.get("KOTAE_REQUIRE_VLLM") == "1":
            pytest.fail(f"vLLM is required but not available: {reason}")
        pytest.skip(f"vLLM not available: {reason} (run .ci/vllm.sh)")
    with run_vllm_server(max_model_len=VLLM_MAX_MODEL_LEN) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def started_servers() -> Iterator[list[tuple[Server, bool]]]:
    """Every server `serve` started, with whether it lives until the session ends."""
    started: list[tuple[Server, bool]] = []
    yield started
    for server, _ in started:
        stop_server(server)


@pytest.fixture(scope="session")
def serve(started_servers: list[tuple[Server, bool]]) -> Callable[..., Server]:
    """Factory: start a real server with extra environment.

    A server is stopped when the test module that started it ends, since each holds a model
    and its indexes (over a GB): a suite's worth at once does not fit in memory. One that
    session-scoped fixtures share asks for `for_session=True`.
    """

    def factory(data_dir: Path, *, for_session: bool = False, **env: str) -> Server:
        server = start_server(data_dir, env)
        started_servers.append((server, for_session))
        return server

    return factory


@pytest.fixture(scope="module", autouse=True)
def stop_module_servers(started_servers: list[tuple[Server, bool]]) -> Iterator[None]:
    yield
    for entry in list(started_servers):
        server, for_session = entry
        if not for_session:
            stop_server(server)
            started_servers.remove(entry)
