"""POST /v1/ask: JSON, or Server-Sent Events (token events, then a final event with citations)."""

import json
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from app.api.deps import KotaeDep
from app.api.envelope import API_ERRORS, domain_error_body, error_responses
from app.api.params import CollectionName
from app.api.schemas_ask import ASK_EVENTS
from app.asking import AskResult
from app.wire import AskResponse
from generator.errors import GeneratorError

router = APIRouter(responses=API_ERRORS)
# One set of limits for every way of asking (/v1/ask and /v1/chat/completions).
MAX_QUESTION_CHARS = 4000
MAX_TURN_CHARS = 20000
MAX_HISTORY_TURNS = 50


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=MAX_TURN_CHARS)


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    collection: CollectionName | None = None
    top_k: int = Field(default=5, ge=1, le=20)
    history: list[Turn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS)
    stream: bool = False


def sse(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


@router.post(
    "/v1/ask",
    response_model=AskResponse,
    responses={200: ASK_EVENTS.response(), **error_responses(400, 422, 502, 503, 504)},
)
async def ask(body: AskRequest, kotae: KotaeDep, request: Request) -> Any:
    history = [(t.role, t.content) for t in body.history]
    service = kotae.ask_service
    if not body.stream:
        result = await service.ask(body.question, body.collection, body.top_k, history)
        request.app.state.metrics.answers.labels(result.answer.mode, result.answer.abstained).inc()
        return result.to_json()

    async def events() -> AsyncIterator[bytes]:
        try:
            async for item in service.stream(body.question, body.collection, body.top_k, history):
                if isinstance(item, AskResult):
                    request.app.state.metrics.answers.labels(
                        item.answer.mode, item.answer.abstained
                    ).inc()
                    yield sse("final", item.to_json())
                else:  # checked text, a sentence at a time (Answerer.stream_answer)
                    yield sse("token", {"text": item})
        except GeneratorError as e:  # headers are sent: the error travels as an event
            yield sse("error", domain_error_body(e))

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )
