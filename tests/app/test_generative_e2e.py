"""End to end with a real vLLM server: Kotae asks SmolLM2 (protocol, not quality), falls back
to extractive answers when the generator is down or too slow, and says so."""

import asyncio

import httpx
import pytest

from generator.citations import parse_citations
from tests.conftest import free_port, sse_events, wait_job
from tests.vllm_server import SERVED_MODEL_NAME

pytestmark = [pytest.mark.integration, pytest.mark.vllm, pytest.mark.slow]

FACTS = (
    "The Riverside Library opened in 1987.\n"
    "The Riverside Library holds 48,000 books.\n"
    "The library is open from 9 am to 8 pm on weekdays.\n"
)
QUESTION = "How many books does the Riverside Library hold?"


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("facts")
    (folder / "library.txt").write_text(FACTS, encoding="utf-8")
    return folder


def ingest(server, corpus_dir) -> None:
    files = [("files", ("library.txt", (corpus_dir / "library.txt").read_bytes(), "text/plain"))]
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        job_id = client.post("/v1/documents", files=files).json()["job_id"]
        job = wait_job(client, job_id, timeout=60)
    assert job["status"] == "done" and job["files"][0]["status"] == "added", job


@pytest.fixture(scope="module")
def generative_server(serve, tmp_path_factory, vllm_base_url, corpus_dir):
    server = serve(
        tmp_path_factory.mktemp("gen"),
        KOTAE_GENERATOR_URL=vllm_base_url,
        KOTAE_GENERATOR_MODEL=SERVED_MODEL_NAME,
        KOTAE_GENERATOR_TIMEOUT="120",
        KOTAE_GENERATOR_MAX_TOKENS="48",
    )
    ingest(server, corpus_dir)
    return server


def test_non_streamed_answer_is_generative_with_checked_citations(generative_server):
    r = httpx.post(f"{generative_server.base_url}/v1/ask", json={"question": QUESTION}, timeout=180)
    body = r.json()
    assert r.status_code == 200, body
    assert body["mode"] == "generative"  # a fallback would say "extractive"
    assert body["answer"].strip()
    # Every citation the service returns names a passage it gave the model; unsupported
    # sentences are reported, never silently passed on as cited.
    numbers = {p["n"] for p in body["passages"]}
    assert all(c["n"] in numbers for c in body["citations"])
    # SmolLM2 rarely cites: whatever it leaves unsupported is flagged, with a warning.
    if body["unsupported_sentences"]:
        assert any("not supported" in w for w in body["warnings"]), body["warnings"]


def test_streamed_answer_sends_tokens_from_the_model(generative_server):
    with httpx.stream(
        "POST",
        f"{generative_server.base_url}/v1/ask",
        json={"question": QUESTION, "stream": True},
        timeout=180,
    ) as r:
        events = sse_events(r.iter_lines())
    kinds = [e for e, _ in events]
    final = events[-1][1]
    assert kinds[-1] == "final" and final["mode"] == "generative"
    # Streamed a checked sentence at a time: the pieces are the final answer, and an answer
    # of several sentences came in several pieces.
    tokens = [data["text"] for kind, data in events if kind == "token"]
    assert "".join(tokens) == final["answer"]
    sentences = parse_citations(final["answer"], len(final["passages"]))[1]
    assert len(tokens) >= min(2, len(sentences)), (tokens, sentences)


def test_generator_down_falls_back_to_extractive_with_warning(serve, tmp_path_factory, corpus_dir):
    dead = f"http://127.0.0.1:{free_port()}/v1"
    server = serve(tmp_path_factory.mktemp("down"), KOTAE_GENERATOR_URL=dead)
    ingest(server, corpus_dir)
    body = httpx.post(f"{server.base_url}/v1/ask", json={"question": QUESTION}, timeout=60).json()
    assert body["mode"] == "extractive"
    assert "48,000" in body["answer"] and body["citations"]
    assert any(dead.split("/v1")[0] in w for w in body["warnings"]), body["warnings"]


def test_slow_generator_times_out_into_the_fallback(vllm_base_url):
    from generator.answerer import Answerer
    from generator.extractive import ExtractiveAnswerer
    from generator.openai_client import OpenAIGenerator
    from generator.records import Passage

    async def run():
        async with OpenAIGenerator(vllm_base_url, SERVED_MODEL_NAME, timeout=0.05) as gen:
            answerer = Answerer(gen, ExtractiveAnswerer())
            passages = [Passage(line, "library", 1, 0.9) for line in FACTS.splitlines()]
            return await answerer.answer(QUESTION, passages)

    answer = asyncio.run(run())
    assert answer.mode == "extractive" and "48,000" in answer.text
    assert any("did not answer within 0.05 s" in w for w in answer.warnings), answer.warnings
