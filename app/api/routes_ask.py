"""POST /v1/ask: JSON, or Server-Sent Events (token events, then a final event with citations)."""

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from app.api.deps import KotaeDep
from app.api.envelope import API_ERRORS, ErrorResponse, domain_error_body, error_responses
from app.api.event_streams import EventStream
from app.asking import AskResult
from app.schemas.ask import AskRequest, AskResponse, AskToken
from generator.errors import GeneratorError

router = APIRouter(responses=API_ERRORS)
ASK_EVENTS = EventStream(
    {"token": AskToken, "final": AskResponse, "error": ErrorResponse},
    description=(
        "The answer as JSON, or with `stream: true` as server-sent events: `token` events "
        "carry the answer's text as it is written, then one `final` event carries the whole "
        "answer with its citations, or an `error` event says why the answer stopped."
    ),
)


def sse(event: str, data: Any) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def count_answer(request: Request, result: AskResult) -> None:
    request.app.state.metrics.answers.labels(result.answer.mode, result.answer.abstained).inc()


@router.post(
    "/v1/ask",
    response_model=AskResponse,
    responses={200: ASK_EVENTS.response(), **error_responses(400, 422, 502, 503, 504)},
)
async def ask(body: AskRequest, kotae: KotaeDep, request: Request) -> Any:
    history = [(t.role, t.content) for t in body.history]
    asking = kotae.asking
    if not body.stream:
        result = await asking.ask(body.question, body.collection, body.top_k, history)
        count_answer(request, result)
        return AskResponse.of(result)

    async def events() -> AsyncIterator[bytes]:
        try:
            async for item in asking.stream(body.question, body.collection, body.top_k, history):
                if isinstance(item, AskResult):
                    count_answer(request, item)
                    yield sse("final", AskResponse.of(item).model_dump(mode="json"))
                else:  # checked text, a sentence at a time (Answerer.stream_answer)
                    yield sse("token", AskToken(text=item).model_dump())
        except GeneratorError as e:  # headers are sent: the error travels as an event
            yield sse("error", domain_error_body(e))

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )
