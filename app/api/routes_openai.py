"""OpenAI-compatible chat completions (model "kotae"), so any OpenAI client or chat UI can ask."""

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from app.api.deps import KotaeDep
from app.asking import AskResult, warnings_text
from app.errors import BadRequestError
from generator.errors import GeneratorError

router = APIRouter()
MODEL = "kotae"


class ChatMessage(BaseModel):
    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    model: str = MODEL
    messages: list[ChatMessage] = Field(min_length=1, max_length=100)
    stream: bool = False
    top_k: int = Field(default=5, ge=1, le=20)
    collection: str | None = None


def sources_text(result: AskResult) -> str:
    if not result.citations:
        return ""
    lines = [f"[{c.n}] {c.title or c.source} (p. {c.page})" for c in result.citations]
    return "\n\nSources:\n" + "\n".join(lines)


def _chunk(cid: str, created: int, delta: dict[str, Any], finish: str | None = None) -> bytes:
    body = {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": created,
        "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n".encode()


@router.get("/v1/models")
def models() -> dict[str, Any]:
    return {"object": "list", "data": [{"id": MODEL, "object": "model", "owned_by": "kotae"}]}


@router.post("/v1/chat/completions", response_model=None)
async def chat_completions(body: ChatRequest, kotae: KotaeDep) -> Any:
    turns = [(m.role, m.text()) for m in body.messages if m.role in ("user", "assistant")]
    if not turns or turns[-1][0] != "user" or not turns[-1][1].strip():
        raise BadRequestError("the last message must be a non-empty user message")
    question, history = turns[-1][1], turns[:-1]
    service = kotae.ask_service
    cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    if not body.stream:
        result = await service.ask(question, body.collection, body.top_k, history)
        return {
            "id": cid,
            "object": "chat.completion",
            "created": created,
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": result.answer.text
                        + warnings_text(result.answer)
                        + sources_text(result),
                    },
                    "finish_reason": "stop",
                }
            ],
            "citations": [c.to_json() for c in result.citations],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        }

    async def events() -> AsyncIterator[bytes]:
        yield _chunk(cid, created, {"role": "assistant", "content": ""})
        try:
            async for item in service.stream(question, body.collection, body.top_k, history):
                if isinstance(item, AskResult):  # the checked answer's warnings, its sources
                    tail = warnings_text(item.answer) + sources_text(item)
                    yield _chunk(cid, created, {"content": tail}, "stop")
                else:  # checked text: a sentence at a time, invalid citations removed
                    yield _chunk(cid, created, {"content": item})
        except GeneratorError as e:
            yield _chunk(cid, created, {"content": f"\n\n[error] {e.message}"}, "stop")
        yield b"data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")
