"""Smoke test against a real vLLM (CPU) server serving SmolLM2-135M-Instruct.

Needs the venv and model made by ``.ci/vllm.sh``; skipped with a clear reason otherwise.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import VLLM_MAX_MODEL_LEN as MAX_MODEL_LEN
from tests.vllm_server import SERVED_MODEL_NAME

pytestmark = [pytest.mark.integration, pytest.mark.vllm]


@pytest.fixture(scope="module")
def client(vllm_base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=vllm_base_url, timeout=120.0) as c:
        yield c


def _messages() -> list[dict[str, str]]:
    return [
        {"role": "system", "content": "You are a concise assistant."},
        {"role": "user", "content": "What is the capital of France? Answer in one sentence."},
    ]


def test_models_reports_max_model_len(client: httpx.Client) -> None:
    resp = client.get("/models")
    resp.raise_for_status()
    models = {m["id"]: m for m in resp.json()["data"]}
    assert SERVED_MODEL_NAME in models, models
    assert models[SERVED_MODEL_NAME]["max_model_len"] == MAX_MODEL_LEN


def test_chat_completion(client: httpx.Client) -> None:
    t0 = time.monotonic()
    resp = client.post(
        "/chat/completions",
        json={
            "model": SERVED_MODEL_NAME,
            "messages": _messages(),
            "max_tokens": 32,
            "temperature": 0.0,
        },
    )
    elapsed = time.monotonic() - t0
    assert resp.status_code == 200, resp.text
    body = resp.json()
    choice = body["choices"][0]
    answer = choice["message"]["content"]
    print(f"\nnon-streamed ({elapsed:.2f} s, usage={body.get('usage')}): {answer!r}")
    assert isinstance(answer, str) and answer.strip()
    assert choice["finish_reason"] in {"stop", "length"}
    assert body["usage"]["completion_tokens"] > 0


def test_chat_completion_streamed(client: httpx.Client) -> None:
    t0 = time.monotonic()
    pieces: list[str] = []
    finish_reasons: list[str] = []
    saw_done = False
    first_token_s: float | None = None
    with client.stream(
        "POST",
        "/chat/completions",
        json={
            "model": SERVED_MODEL_NAME,
            "messages": _messages(),
            "max_tokens": 32,
            "temperature": 0.0,
            "stream": True,
        },
    ) as resp:
        assert resp.status_code == 200, resp.read().decode()
        assert resp.headers["content-type"].startswith("text/event-stream")
        for line in resp.iter_lines():
            if not line.startswith("data:"):
                continue
            data = line[len("data:") :].strip()
            if data == "[DONE]":
                saw_done = True
                break
            chunk = json.loads(data)
            for choice in chunk.get("choices", []):
                content = (choice.get("delta") or {}).get("content")
                if content:
                    if first_token_s is None:
                        first_token_s = time.monotonic() - t0
                    pieces.append(content)
                if choice.get("finish_reason"):
                    finish_reasons.append(choice["finish_reason"])
    answer = "".join(pieces)
    print(
        f"\nstreamed ({time.monotonic() - t0:.2f} s, first token {first_token_s} s, "
        f"{len(pieces)} chunks): {answer!r}"
    )
    assert saw_done, "stream did not end with data: [DONE]"
    assert answer.strip()
    assert len(pieces) > 1, "expected the answer to arrive in several chunks"
    assert finish_reasons and finish_reasons[-1] in {"stop", "length"}
