"""bench/load_traffic.py counts every answer that is not a complete success as an error: the
load test's "0 errors" means nothing otherwise. Answers come from an in-memory transport."""

import asyncio
import time

import httpx
import pytest

from bench.load_traffic import Failed, Traffic, ask_stream, client

pytestmark = pytest.mark.unit

TOKEN = 'event: token\ndata: {"text": "Opens at 9."}\n\n'
FINAL = 'event: final\ndata: {"answer": "Opens at 9.", "citations": []}\n\n'
ERROR = 'event: error\ndata: {"error": {"type": "generator_timeout"}}\n\n'


def answering(status: int, body: str) -> httpx.AsyncClient:
    def handler(request: httpx.Request) -> httpx.Response:
        kind = "text/event-stream" if status == 200 else "application/json"
        return httpx.Response(status, text=body, headers={"content-type": kind})

    return httpx.AsyncClient(base_url="http://kotae.test", transport=httpx.MockTransport(handler))


async def stream_once(status: int, body: str) -> tuple[float, float]:
    async with answering(status, body) as http:
        return await ask_stream(http, "図書館は何時に開きますか")


def test_a_complete_stream_is_timed_to_its_first_event_and_its_end():
    first, total = asyncio.run(stream_once(200, TOKEN + FINAL))
    assert 0 < first <= total


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (200, TOKEN + ERROR, "error event"),
        (200, TOKEN, "stream ended without a final event"),
        (200, "", "stream ended without a final event"),
        (503, '{"error": {"type": "unavailable"}}', "HTTP 503"),
    ],
)
def test_a_stream_that_is_not_a_complete_answer_fails(status, body, kind):
    with pytest.raises(Failed, match=kind):
        asyncio.run(stream_once(status, body))


def test_the_clients_count_failed_streams_by_route_and_kind():
    traffic = Traffic()

    async def run() -> None:
        async with answering(200, TOKEN + ERROR) as http:
            deadline = time.monotonic() + 30
            await client(http, ["q"], (0, 0, 1), deadline, [5], traffic, seed=0)

    asyncio.run(run())
    assert traffic.requests == {"ask_stream": 5}
    assert list(traffic.errors.values()) == [5]
    assert next(iter(traffic.errors)).startswith("ask_stream: error event: ")
    summary = traffic.route("ask_stream", "ask_stream_first_event", "ask_stream_total")
    assert summary["errors"] == 5 and summary["total"]["p50_ms"] is None
