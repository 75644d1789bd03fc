"""A small real HTTP server on loopback that speaks the OpenAI chat API, for generator tests.

Behaviour is chosen by the first path segment of the base URL (``/<mode>/v1``):

* any mode with a reply set in ``FakeOpenAIServer.replies``: answers that text, whole or
  streamed as SSE in 4-character pieces, ``piece_interval`` seconds apart;
* ``slow``: waits 5 s before answering; ``stall``: streams one piece, then waits 5 s;
* ``error500`` / ``reject400``: HTTP 500 / 400 with an OpenAI-style error body;
* ``badjson``: HTTP 200 whose body is not JSON; ``badsse``: a stream event that is not JSON;
* ``cut``: streams two pieces, then ends without a finish reason or ``[DONE]``;
* ``crash``: streams two pieces, then drops the connection;
* ``toolong``: rejects (400, vLLM's context-length message) prompts longer than
  ``FakeOpenAIServer.max_prompt_chars``, else answers its reply;
* ``nolen``: /models reports no ``max_model_len``.

Every chat request is recorded in ``requests`` as ``(mode, json_body, headers)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

MODEL = "fake-model"
MAX_MODEL_LEN = 4096


class FakeOpenAIServer:
    def __init__(self) -> None:
        self.replies: dict[str, str] = {}
        self.requests: list[tuple[str, dict[str, Any], dict[str, str]]] = []
        self.models_requests = 0
        self.max_prompt_chars = 10_000
        self.piece_interval = 0.001  # a real model writes ~20-100 tokens a second
        self.root = ""
        self.app = Starlette(
            routes=[
                Route("/{mode}/v1/models", self._models),
                Route("/{mode}/v1/chat/completions", self._chat, methods=["POST"]),
            ]
        )

    def base_url(self, mode: str) -> str:
        return f"{self.root}/{mode}/v1"

    def chat_requests(self, mode: str) -> list[dict[str, Any]]:
        return [body for m, body, _ in self.requests if m == mode]

    async def _models(self, request: Request) -> Response:
        self.models_requests += 1
        entry: dict[str, Any] = {"id": MODEL, "object": "model"}
        if request.path_params["mode"] != "nolen":
            entry["max_model_len"] = MAX_MODEL_LEN
        return JSONResponse({"object": "list", "data": [entry]})

    async def _chat(self, request: Request) -> Response:
        mode = request.path_params["mode"]
        body = await request.json()
        self.requests.append((mode, body, dict(request.headers)))
        if mode == "slow":
            await asyncio.sleep(5)
        if mode == "error500":
            return JSONResponse({"error": {"message": "engine crashed"}}, status_code=500)
        if mode == "reject400":
            return JSONResponse(
                {"object": "error", "message": "bad temperature", "code": 400}, status_code=400
            )
        if mode == "badjson":
            return PlainTextResponse("<html>oops</html>", media_type="application/json")
        if mode == "toolong":
            prompt_chars = sum(len(m["content"]) for m in body["messages"])
            if prompt_chars > self.max_prompt_chars:
                message = (
                    "This model's maximum context length is 2048 tokens. However, your request "
                    f"has {prompt_chars} input tokens. Please reduce the length of the messages."
                )
                return JSONResponse({"object": "error", "message": message}, status_code=400)
        reply = self.replies.get(mode, "Hello from the fake server.")
        if not body.get("stream"):
            return JSONResponse(
                {
                    "id": "cmpl-1",
                    "object": "chat.completion",
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": reply},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
                }
            )
        return StreamingResponse(self._events(mode, reply), media_type="text/event-stream")

    async def _events(self, mode: str, reply: str) -> AsyncIterator[str]:
        def event(delta: dict[str, str], finish: str | None = None) -> str:
            chunk = {
                "id": "cmpl-1",
                "object": "chat.completion.chunk",
                "model": MODEL,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

        pieces = [reply[i : i + 4] for i in range(0, len(reply), 4)]
        yield event({"role": "assistant", "content": ""})
        for i, piece in enumerate(pieces):
            if mode == "badsse" and i == 1:
                yield "data: {not json\n\n"
            if mode in ("cut", "crash") and i == 2:
                if mode == "crash":
                    raise RuntimeError("fake server crash mid-stream")
                return
            yield event({"content": piece})
            if mode == "stall":
                await asyncio.sleep(5)
            await asyncio.sleep(self.piece_interval)
        yield event({}, finish="stop")
        yield "data: [DONE]\n\n"


@contextlib.contextmanager
def running(fake: FakeOpenAIServer) -> Iterator[FakeOpenAIServer]:
    """Serve ``fake`` with uvicorn in a thread on a free loopback port until exit."""
    config = uvicorn.Config(
        fake.app,
        host="127.0.0.1",
        port=0,
        log_level="critical",
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("fake OpenAI server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    fake.root = f"http://127.0.0.1:{port}"
    try:
        yield fake
    finally:
        server.should_exit = True
        thread.join(timeout=5)
