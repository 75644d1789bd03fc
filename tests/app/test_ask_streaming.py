"""Streamed answers through a real `kotae serve`: they never stall the server, and they show
only checked text (the same answer, citations and warnings as the non-streamed request)."""

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT, free_port, sse_events, wait_job

pytestmark = pytest.mark.integration

FESTIVAL = (
    "みなと町の夏祭りは毎年8月の第一土曜日に開かれます。\n"
    "祭りでは約3200発の花火が打ち上げられます。\n"
    "会場の入場料は無料で、屋台は45店が並びます。\n"
)
LIBRARY = (
    "The Riverside Library opened in 1987 and holds 48,000 books.\n"
    "It is open from 9 am to 8 pm on weekdays.\n"
)
QUESTIONS = [
    "みなと町の夏祭りでは何発の花火が打ち上げられますか？",
    "みなと町の夏祭りの屋台は何店ですか？",
    "How many books does the Riverside Library hold?",
    "When is the Riverside Library open?",
]
# A generator obeying an instruction injected into a document: numbers that name no passage
# ([999], [0]), a range too wide to be a citation ([1-50]), and one good citation.
INJECTED = (
    "祭りでは約3200発の花火が打ち上げられます。[1] 入場料は無料です[999]。"
    "屋台は45店です[0]。花火は夜空を彩ります[1-50]。"
)
INVALID = ("[999]", "[0]", "[1-50]", "[50]")
HEALTHZ_LIMIT_S = 0.3


@pytest.fixture(scope="module")
def fake_generator_url() -> Iterator[str]:
    """The fake OpenAI server in a process of its own (not competing with this one's /healthz
    poller), answering every chat with INJECTED at a real model's pace."""
    port = free_port()
    code = (
        "import sys, uvicorn\n"
        "from tests.generator.fake_openai_server import FakeOpenAIServer\n"
        "fake = FakeOpenAIServer()\n"
        "fake.replies['injected'] = sys.argv[1]\n"
        "fake.piece_interval = 0.02\n"  # 200 characters a second, like a small real model
        f"uvicorn.run(fake.app, host='127.0.0.1', port={port}, log_level='warning')\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code, INJECTED], cwd=ROOT)
    url = f"http://127.0.0.1:{port}/injected/v1"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/models", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def ingest(base_url: str, documents: dict[str, bytes]) -> None:
    files = [("files", (name, data, "text/plain")) for name, data in documents.items()]
    with httpx.Client(base_url=base_url, timeout=60) as client:
        response = client.post("/v1/documents", files=files)
        assert response.status_code == 202, response.text
        job = wait_job(client, response.json()["job_id"])
    assert all(f["status"] == "added" for f in job["files"]), job


def ask_streamed(base_url: str, question: str) -> list[tuple[str | None, Any]]:
    with httpx.stream(
        "POST", f"{base_url}/v1/ask", json={"question": question, "stream": True}, timeout=120
    ) as response:
        assert response.status_code == 200
        return sse_events(response.iter_lines())


def chat_streamed(base_url: str, question: str) -> list[str]:
    """The content deltas of a streamed chat completion."""
    body = {"messages": [{"role": "user", "content": question}], "stream": True}
    deltas = []
    with httpx.stream(
        "POST", f"{base_url}/v1/chat/completions", json=body, timeout=120
    ) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                deltas.append(json.loads(line[6:])["choices"][0]["delta"].get("content", ""))
    return deltas


def healthz_while(base_url: str, work: Any) -> tuple[list[Any], float]:
    """Run ``work`` (a list of callables) at once while polling /healthz; the results and the
    slowest /healthz seen."""
    stop = threading.Event()
    latencies: list[float] = []

    def poll() -> None:
        with httpx.Client(base_url=base_url, timeout=30) as client:
            while not stop.is_set():
                started = time.perf_counter()
                assert client.get("/healthz").status_code == 200
                latencies.append(time.perf_counter() - started)
                time.sleep(0.02)

    poller = threading.Thread(target=poll)
    poller.start()
    while not latencies:  # the server is idle: the first poll is quick
        time.sleep(0.01)
    try:
        with ThreadPoolExecutor(len(work)) as pool:
            results = list(pool.map(lambda call: call(), work))
    finally:
        stop.set()
        poller.join()
    return results, max(latencies)


@pytest.mark.slow
def test_concurrent_streamed_extractive_asks_keep_the_server_responsive(
    serve, tmp_path_factory, seeds_dir
):
    """Eight streamed asks on a fresh server (extractive, the default; no sentence embedded by
    an earlier ask): /healthz answers within 300 ms throughout. Extraction on the event loop
    made /healthz wait for the answers one after another (3-9 s)."""
    # No abstention: every question gets the full extractive work (embedding the sentences
    # of its five passages), which is what used to stall the loop.
    server = serve(
        tmp_path_factory.mktemp("stream-extractive"),
        KOTAE_MIN_ANSWER_SCORE="0",
        KOTAE_MIN_ANSWER_COVERAGE="0",
    )
    deck = seeds_dir / "002_531539992d079756.txt"  # the smallest seed document, 41 chunks
    ingest(server.base_url, {deck.name: deck.read_bytes()})
    questions = [
        "創発現象とは何ですか？",
        "Fine-Tuningとは何をするフェーズですか？",
        "Few-Shotプロンプティングでは何を与えますか？",
        "RAGのRetrieverは何をしますか？",
        "ReActではLLMに何をさせますか？",
        "三豊市はごみ出し案内業務でChatGPTをどうしましたか？",
        "言語モデルは何の確率を予測しますか？",
        "Plan-and-Solve Promptingではどんな指示を与えますか？",
    ]
    work = [lambda q=q: ask_streamed(server.base_url, q) for q in questions]
    results, slowest = healthz_while(server.base_url, work)
    for events in results:
        kinds = [kind for kind, _ in events]
        assert kinds[-1] == "final", kinds
        final = events[-1][1]
        assert final["mode"] == "extractive" and not final["abstained"], final
        assert "".join(data["text"] for kind, data in events if kind == "token") == final["answer"]
    assert slowest < HEALTHZ_LIMIT_S, f"/healthz took {slowest:.2f} s during streamed asks"


@pytest.fixture(scope="module")
def generative_server(serve, tmp_path_factory, fake_generator_url):
    server = serve(
        tmp_path_factory.mktemp("stream-generative"), KOTAE_GENERATOR_URL=fake_generator_url
    )
    ingest(server.base_url, {"matsuri.txt": FESTIVAL.encode(), "library.txt": LIBRARY.encode()})
    return server


def test_streamed_ask_shows_only_checked_citations(generative_server):
    base = generative_server.base_url
    whole = httpx.post(f"{base}/v1/ask", json={"question": QUESTIONS[0]}, timeout=120).json()
    events = ask_streamed(base, QUESTIONS[0])
    tokens = [data["text"] for kind, data in events if kind == "token"]
    final = events[-1][1]
    assert events[-1][0] == "final" and final["mode"] == "generative"
    assert len(tokens) > 1  # sentence by sentence, not all at the end
    assert not [t for t in tokens if any(bad in t for bad in INVALID)], tokens
    assert "".join(tokens) == final["answer"] == whole["answer"]
    assert "[1]" in whole["answer"] and not any(bad in whole["answer"] for bad in INVALID)
    # The sentences whose citations were dropped are flagged, streamed or not.
    assert final["unsupported_sentences"] == whole["unsupported_sentences"] != []
    assert final["warnings"] == whole["warnings"] != []
    assert {c["n"] for c in final["citations"]} == {c["n"] for c in whole["citations"]} == {1}


def test_streamed_chat_completion_shows_only_checked_citations_and_warnings(generative_server):
    base = generative_server.base_url
    messages = [{"role": "user", "content": QUESTIONS[0]}]
    whole = httpx.post(f"{base}/v1/chat/completions", json={"messages": messages}, timeout=120)
    content = whole.json()["choices"][0]["message"]["content"]
    asked = httpx.post(f"{base}/v1/ask", json={"question": QUESTIONS[0]}, timeout=120).json()

    deltas = chat_streamed(base, QUESTIONS[0])
    assert not [d for d in deltas if any(bad in d for bad in INVALID)], deltas
    assert "".join(deltas) == content
    assert content.startswith(asked["answer"])
    # The warnings of /v1/ask come after the answer, before the sources.
    warning = asked["warnings"][0]
    assert warning in content and content.index(warning) < content.index("Sources:")


def test_concurrent_streamed_generative_asks_keep_the_server_responsive(generative_server):
    """Four streamed asks and four streamed chat completions at once: checking citations
    (and any fallback) happens off the event loop."""
    base = generative_server.base_url
    work = [lambda q=q: ask_streamed(base, q) for q in QUESTIONS]
    work += [lambda q=q: chat_streamed(base, q) for q in QUESTIONS]
    results, slowest = healthz_while(base, work)
    for events in results[: len(QUESTIONS)]:
        assert events[-1][0] == "final", events
    for deltas in results[len(QUESTIONS) :]:
        assert deltas and not any(bad in d for d in deltas for bad in INVALID), deltas
    assert slowest < HEALTHZ_LIMIT_S, f"/healthz took {slowest:.2f} s during streamed asks"
