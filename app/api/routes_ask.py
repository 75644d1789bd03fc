"""POST /v1/ask: JSON, or Server-Sent Events (token events, then a final event with citations)."""

import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from app.api.deps import KotaeDep, OwnerDep
from app.api.envelope import API_ERRORS, ErrorResponse, domain_error_body, error_responses
from app.api.event_streams import EventStream
from app.api.turn_saving import check_conversation, save_turn
from app.asking import AskResult
from app.errors import ConflictError, NotFoundError
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
    responses={200: ASK_EVENTS.response(), **error_responses(400, 404, 409, 422, 502, 503, 504)},
)
async def ask(body: AskRequest, kotae: KotaeDep, owner: OwnerDep, request: Request) -> Any:
    history = [(t.role, t.content) for t in body.history]
    asking = kotae.asking
    await check_conversation(kotae, owner, body.conversation_id, body.replaces_turn_id)

    async def saved(result: AskResult) -> AskResponse:
        count_answer(request, result)
        response = AskResponse.of(result)
        ref, k = body.conversation_id, body.top_k
        return await save_turn(
            kotae, owner, ref, body.question, body.collection, k, response, body.replaces_turn_id
        )

    if not body.stream:
        return await saved(await asking.ask(body.question, body.collection, body.top_k, history))

    async def events() -> AsyncIterator[bytes]:
        try:
            async for item in asking.stream(body.question, body.collection, body.top_k, history):
                if isinstance(item, AskResult):
                    yield sse("final", (await saved(item)).model_dump(mode="json"))
                else:  # checked text, a sentence at a time (Answerer.stream_answer)
                    yield sse("token", AskToken(text=item).model_dump())
        # Headers are sent: the error travels as an event (a conversation deleted meanwhile,
        # or the turn to replace no longer the last).
        except (GeneratorError, NotFoundError, ConflictError) as e:
            yield sse("error", domain_error_body(e))

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )
