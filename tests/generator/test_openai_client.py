"""OpenAIGenerator against a real loopback HTTP server (see conftest.FakeOpenAIServer)."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from generator.errors import (
    GeneratorError,
    GeneratorResponseError,
    GeneratorTimeout,
    GeneratorUnavailable,
)
from generator.openai_client import OpenAIGenerator
from tests.generator.fake_openai_server import MAX_MODEL_LEN, MODEL, FakeOpenAIServer

pytestmark = pytest.mark.unit

T = TypeVar("T")
MESSAGES = [{"role": "user", "content": "Say hello."}]


def run_with(gen: OpenAIGenerator, work: Callable[[OpenAIGenerator], Awaitable[T]]) -> T:
    """Run ``work(gen)`` in a fresh event loop and close the client afterwards."""

    async def main() -> T:
        async with gen:
            return await work(gen)

    return asyncio.run(main())


async def collect(gen: OpenAIGenerator, pieces: list[str] | None = None) -> str:
    out = pieces if pieces is not None else []
    async for piece in gen.stream(MESSAGES, max_tokens=20):
        out.append(piece)
    return "".join(out)


def test_complete_resolves_model_and_sends_request(fake_server: FakeOpenAIServer) -> None:
    fake_server.replies["hello"] = "こんにちは、世界。"
    gen = OpenAIGenerator(fake_server.base_url("hello"), api_key="sekret")

    text = run_with(gen, lambda g: g.complete(MESSAGES, max_tokens=7, temperature=0.3))

    assert text == "こんにちは、世界。"
    assert gen.model == MODEL  # first served model, read from /models
    body = fake_server.chat_requests("hello")[-1]
    assert body["model"] == MODEL
    assert body["messages"] == MESSAGES
    assert (body["max_tokens"], body["temperature"], body["stream"]) == (7, 0.3, False)
    headers = next(h for m, _, h in reversed(fake_server.requests) if m == "hello")
    assert headers["authorization"] == "Bearer sekret"


def test_max_model_len_is_read_once(fake_server: FakeOpenAIServer) -> None:
    gen = OpenAIGenerator(fake_server.base_url("lenonce"), model=MODEL)
    before = fake_server.models_requests

    async def twice(g: OpenAIGenerator) -> tuple[int | None, int | None]:
        return await g.max_model_len(), await g.max_model_len()

    assert run_with(gen, twice) == (MAX_MODEL_LEN, MAX_MODEL_LEN)
    assert fake_server.models_requests == before + 1


def test_max_model_len_unknown_is_none(fake_server: FakeOpenAIServer) -> None:
    gen = OpenAIGenerator(fake_server.base_url("nolen"))
    assert run_with(gen, lambda g: g.max_model_len()) is None
    assert gen.model == MODEL


def test_unknown_model_is_reported_with_served_ones(fake_server: FakeOpenAIServer) -> None:
    gen = OpenAIGenerator(fake_server.base_url("hello"), model="no-such-model")
    with pytest.raises(GeneratorResponseError, match=r"no-such-model.*fake-model"):
        run_with(gen, lambda g: g.max_model_len())


def test_stream_yields_pieces_in_order(fake_server: FakeOpenAIServer) -> None:
    reply = "The X3 has four antennas [1]. 重さは320グラムです。[2]"
    fake_server.replies["streamok"] = reply
    gen = OpenAIGenerator(fake_server.base_url("streamok"), model=MODEL)
    pieces: list[str] = []

    assert run_with(gen, lambda g: collect(g, pieces)) == reply
    assert len(pieces) == len(range(0, len(reply), 4))  # the server's 4-char pieces
    assert fake_server.chat_requests("streamok")[-1]["stream"] is True


def test_connection_refused_is_unavailable_after_retries(refused_url: str) -> None:
    gen = OpenAIGenerator(refused_url, model=MODEL, connect_retries=2, retry_backoff=0.1)
    t0 = time.monotonic()
    with pytest.raises(GeneratorUnavailable) as info:
        run_with(gen, lambda g: g.complete(MESSAGES))
    elapsed = time.monotonic() - t0
    assert elapsed >= 0.3 - 0.02  # backoff 0.1 + 0.2 between the three attempts
    assert f"{refused_url}/chat/completions" in info.value.message
    assert "refused" in info.value.message


def test_connect_retry_reaches_a_server_that_comes_up_late() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    reply = {"choices": [{"message": {"role": "assistant", "content": "late but here"}}]}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        )
        await reader.readexactly(length)
        payload = json.dumps(reply).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
            + payload
        )
        await writer.drain()
        writer.close()

    async def main() -> str:
        servers: list[asyncio.Server] = []

        async def start_later() -> None:
            await asyncio.sleep(0.15)
            servers.append(await asyncio.start_server(handle, "127.0.0.1", port))

        starter = asyncio.create_task(start_later())
        gen = OpenAIGenerator(
            f"http://127.0.0.1:{port}/v1", model=MODEL, connect_retries=4, retry_backoff=0.1
        )
        try:
            return await gen.complete(MESSAGES)
        finally:
            await gen.aclose()
            await starter
            for server in servers:
                server.close()

    assert asyncio.run(main()) == "late but here"


def test_slow_server_times_out(fake_server: FakeOpenAIServer) -> None:
    gen = OpenAIGenerator(fake_server.base_url("slow"), model=MODEL, timeout=0.3)
    t0 = time.monotonic()
    with pytest.raises(GeneratorTimeout, match=r"did not answer within 0\.3 s"):
        run_with(gen, lambda g: g.complete(MESSAGES))
    assert time.monotonic() - t0 < 3
    assert len(fake_server.chat_requests("slow")) >= 1


def test_stalled_stream_times_out_after_first_piece(fake_server: FakeOpenAIServer) -> None:
    fake_server.replies["stall"] = "abcdefgh"
    gen = OpenAIGenerator(fake_server.base_url("stall"), model=MODEL, timeout=0.3)
    pieces: list[str] = []
    with pytest.raises(GeneratorTimeout, match="sent nothing for"):
        run_with(gen, lambda g: collect(g, pieces))
    assert pieces == ["abcd"]


def test_http_500_is_unavailable_and_not_retried(fake_server: FakeOpenAIServer) -> None:
    gen = OpenAIGenerator(fake_server.base_url("error500"), model=MODEL, retry_backoff=0.01)
    before = len(fake_server.chat_requests("error500"))
    with pytest.raises(GeneratorUnavailable, match="HTTP 500: engine crashed"):
        run_with(gen, lambda g: g.complete(MESSAGES))
    assert len(fake_server.chat_requests("error500")) == before + 1


def test_http_400_is_response_error_with_server_message(fake_server: FakeOpenAIServer) -> None:
    gen = OpenAIGenerator(fake_server.base_url("reject400"), model=MODEL)
    with pytest.raises(GeneratorResponseError) as info:
        run_with(gen, lambda g: collect(g))
    assert info.value.status_code == 400
    assert "rejected the request (HTTP 400): bad temperature" in info.value.message


def test_malformed_json_is_response_error(fake_server: FakeOpenAIServer) -> None:
    gen = OpenAIGenerator(fake_server.base_url("badjson"), model=MODEL)
    with pytest.raises(GeneratorResponseError, match="not JSON"):
        run_with(gen, lambda g: g.complete(MESSAGES))


def test_malformed_stream_event_is_response_error(fake_server: FakeOpenAIServer) -> None:
    fake_server.replies["badsse"] = "abcdefgh"
    gen = OpenAIGenerator(fake_server.base_url("badsse"), model=MODEL)
    pieces: list[str] = []
    with pytest.raises(GeneratorResponseError, match="stream event is not JSON"):
        run_with(gen, lambda g: collect(g, pieces))
    assert pieces == ["abcd"]


@pytest.mark.parametrize("mode", ["cut", "crash"])
def test_stream_ending_early_is_unavailable_and_not_retried(
    fake_server: FakeOpenAIServer, mode: str
) -> None:
    fake_server.replies[mode] = "abcdefghijklmnop"
    gen = OpenAIGenerator(fake_server.base_url(mode), model=MODEL, retry_backoff=0.01)
    pieces: list[str] = []
    before = len(fake_server.chat_requests(mode))
    with pytest.raises(GeneratorUnavailable):
        run_with(gen, lambda g: collect(g, pieces))
    assert pieces == ["abcd", "efgh"]
    assert len(fake_server.chat_requests(mode)) == before + 1


def test_errors_share_a_base_class() -> None:
    for cls in (GeneratorUnavailable, GeneratorTimeout, GeneratorResponseError):
        assert issubclass(cls, GeneratorError)


@pytest.mark.parametrize(
    "kwargs",
    [{"base_url": "localhost:8001"}, {"base_url": "http://x/v1", "timeout": 0}],
)
def test_bad_arguments_fail_fast(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        OpenAIGenerator(**kwargs)
