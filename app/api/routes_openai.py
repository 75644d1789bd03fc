"""OpenAI-compatible chat completions (model "kotae"), so any OpenAI client or chat UI can ask."""

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Self

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, model_validator

from app.api.deps import KotaeDep
from app.api.envelope import API_ERRORS, error_responses
from app.api.params import CollectionName
from app.api.routes_ask import MAX_HISTORY_TURNS, MAX_QUESTION_CHARS, MAX_TURN_CHARS
from app.api.schemas_openai import CHAT_EVENTS, ChatCompletion, ModelCard, ModelList
from app.asking import AskResult, warnings_text
from app.errors import BadRequestError
from generator.errors import GeneratorError

router = APIRouter(responses=API_ERRORS)
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
    collection: CollectionName | None = None

    def turns(self) -> list[tuple[str, str]]:
        """The conversation: user and assistant messages (system prompts are not used)."""
        return [(m.role, m.text()) for m in self.messages if m.role in ("user", "assistant")]

    @model_validator(mode="after")
    def within_ask_limits(self) -> Self:
        """The same limits as /v1/ask: the last message is the question, the rest history."""
        turns = self.turns()
        if turns and len(turns[-1][1]) > MAX_QUESTION_CHARS:
            raise ValueError(f"the question (last message) is over {MAX_QUESTION_CHARS} characters")
        if len(turns) > MAX_HISTORY_TURNS + 1:
            raise ValueError(
                f"at most {MAX_HISTORY_TURNS} user and assistant messages before the question"
            )
        if any(len(m.text()) > MAX_TURN_CHARS for m in self.messages):
            raise ValueError(f"a message is over {MAX_TURN_CHARS} characters")
        return self


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
def models() -> ModelList:
    return ModelList(data=[ModelCard(id=MODEL, owned_by="kotae")])


@router.post(
    "/v1/chat/completions",
    response_model=ChatCompletion,
    responses={200: CHAT_EVENTS.response(), **error_responses(400, 422, 502, 503, 504)},
)
async def chat_completions(body: ChatRequest, kotae: KotaeDep) -> Any:
    turns = body.turns()
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
