"""One error table (app/errors.py): every domain error has a row, and the API and the CLI both
answer from it, against a real `kotae serve` and a real `kotae` process."""

import asyncio
import importlib
import inspect
import os
import pkgutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.api.envelope import error_body
from app.errors import ERROR_TABLE, ErrorKind, describe
from generator.errors import GeneratorError
from generator.openai_client import OpenAIGenerator
from ingest.errors import LoadError
from tests.conftest import ROOT, Server, free_port, sse_events, stop_server, wait_job
from tests.generator.fake_openai_server import MODEL, FakeOpenAIServer, running

PACKAGES = ("app", "ingest", "retriever", "generator")
# Control flow, never shown to a user: a stop request between two batches of a file.
# Raised and caught inside ingest: a stop, and OCR failures (a page's warning, or the file's
# "no usable page" LoadError naming the install command).
NOT_USER_FACING = {
    "ingest.records.IngestInterrupted",
    "ingest.ocr.OcrError",
    "ingest.ocr.OcrUnavailableError",
}
LIBRARY_EN = "The Riverside Library opened in 1987 and holds 48,000 books.\n"
QUESTION = "When did the Riverside Library open?"


def defined_exceptions() -> list[type[Exception]]:
    """Every Exception subclass defined in a module of the four packages."""
    found = []
    for package in PACKAGES:
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            module = importlib.import_module(info.name)
            for obj in vars(module).values():
                if (
                    inspect.isclass(obj)
                    and issubclass(obj, Exception)
                    and obj.__module__ == module.__name__
                ):
                    found.append(obj)
    return found


@pytest.mark.unit
def test_every_domain_error_has_a_row():
    classes = defined_exceptions()
    assert len(classes) >= len(ERROR_TABLE)  # the walk found the packages' modules
    unmapped = [
        f"{c.__module__}.{c.__qualname__}"
        for c in classes
        if c not in ERROR_TABLE and f"{c.__module__}.{c.__qualname__}" not in NOT_USER_FACING
    ]
    assert unmapped == [], "add these to app/errors.py ERROR_TABLE"
    assert set(ERROR_TABLE) <= set(classes)


@pytest.mark.unit
def test_lookup_follows_the_class_hierarchy():
    class DamagedScan(LoadError):
        pass

    assert describe(DamagedScan("x")) == ERROR_TABLE[LoadError]
    assert describe(ValueError("x")) is None
    assert error_body("not_found", "no such job") == {
        "error": {"type": "not_found", "message": "no such job"}
    }


def generator_failure(base_url: str, timeout: float = 30) -> GeneratorError:
    async def complete() -> None:
        async with OpenAIGenerator(
            base_url, MODEL, None, timeout=timeout, connect_retries=0
        ) as generator:
            await generator.complete([{"role": "user", "content": "hello"}])

    with pytest.raises(GeneratorError) as info:
        asyncio.run(complete())
    return info.value


@pytest.mark.unit
def test_generator_down_slow_and_bad_get_their_own_status_and_type():
    with running(FakeOpenAIServer()) as fake:
        bad = generator_failure(fake.base_url("reject400"))
        slow = generator_failure(fake.base_url("slow"), timeout=0.3)
        refused = generator_failure(f"http://127.0.0.1:{free_port()}/v1")
    kinds = [describe(e) for e in (refused, slow, bad)]
    assert kinds == [
        ErrorKind(503, "generator_unavailable", 3),
        ErrorKind(504, "generator_timeout", 3),
        ErrorKind(502, "generator_bad_response", 2),
    ]


@pytest.fixture(scope="module")
def bad_generator() -> Iterator[FakeOpenAIServer]:
    with running(FakeOpenAIServer()) as fake:
        yield fake


@pytest.mark.integration
def test_a_generator_that_rejects_the_request_answers_502_bad_response(
    serve, tmp_path, bad_generator
):
    server = serve(tmp_path, KOTAE_GENERATOR_URL=bad_generator.base_url("reject400"))
    with httpx.Client(base_url=server.base_url, timeout=120) as client:
        upload = client.post("/v1/documents", files={"files": ("library.txt", LIBRARY_EN)})
        assert wait_job(client, upload.json()["job_id"])["status"] == "done"
        answer = client.post("/v1/ask", json={"question": QUESTION})
        assert answer.status_code == 502, answer.text
        error = answer.json()["error"]
        assert error["type"] == "generator_bad_response"
        assert "rejected the request (HTTP 400): bad temperature" in error["message"]
        with client.stream("POST", "/v1/ask", json={"question": QUESTION, "stream": True}) as r:
            events = sse_events(r.iter_lines())
    assert events[-1] == ("error", {"error": error})


def start_unready_server(data_dir: Path) -> Server:
    """`kotae serve` whose start-up fails (so /readyz never turns ready): wait for /healthz."""
    port = free_port()
    log = data_dir / "server.log"
    process = subprocess.Popen(
        [sys.executable, "-c", "from app.cli import main; main()", "serve", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "KOTAE_DATA_DIR": str(data_dir)},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    server = Server(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            httpx.get(f"{server.base_url}/healthz", timeout=2)
            return server
        except httpx.TransportError:
            time.sleep(0.5)
    stop_server(server)
    raise RuntimeError(f"kotae serve did not start:\n{log.read_text()[-3000:]}")


@pytest.mark.integration
def test_embedding_model_mismatch_is_a_configuration_error_with_its_message(tmp_path):
    from app.database import upgrade_database
    from retriever.corpus import Corpus
    from retriever.indexes import EMBEDDING_MODEL_KEY

    url = f"sqlite:///{tmp_path / 'kotae.db'}"
    upgrade_database(url)
    corpus = Corpus(url)
    corpus.set_meta(EMBEDDING_MODEL_KEY, "another-model:768")
    corpus.engine.dispose()
    server = start_unready_server(tmp_path)
    try:
        response = httpx.post(f"{server.base_url}/v1/search", json={"query": "x"}, timeout=120)
    finally:
        stop_server(server)
    assert response.status_code == 500, response.text
    error = response.json()["error"]
    assert error["type"] == "configuration_error"
    assert "embedded with another-model:768" in error["message"]
    assert "kotae reindex --reembed" in error["message"]


@pytest.mark.integration
@pytest.mark.slow
def test_cli_ask_with_a_wrong_generator_model_prints_one_line_and_exits_2(tmp_path, bad_generator):
    def kotae(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", "from app.cli import main; main()", *args],
            cwd=ROOT,
            env={**os.environ, "KOTAE_DATA_DIR": str(tmp_path / "data"), **env},
            capture_output=True,
            text=True,
            timeout=600,
        )

    (tmp_path / "library.txt").write_text(LIBRARY_EN)
    assert kotae("ingest", str(tmp_path / "library.txt")).returncode == 0
    result = kotae(
        "ask",
        QUESTION,
        KOTAE_GENERATOR_URL=bad_generator.base_url("ok"),
        KOTAE_GENERATOR_MODEL="no-such-model",
        COLUMNS="60",  # a narrow terminal still gets one line
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: The server at {bad_generator.base_url('ok')}/models does not serve the model "
        f"'no-such-model' (it serves: {MODEL})."
    ]
