"""OpenAI-compatible chat completions (model "kotae"), so any OpenAI client or chat UI can ask."""

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from app.api.deps import KotaeDep, OwnerDep
from app.api.envelope import API_ERRORS, error_responses
from app.api.event_streams import EventStream
from app.api.turn_saving import check_conversation, save_turn
from app.asking import AskResult, warnings_text
from app.errors import BadRequestError, ConflictError, NotFoundError
from app.schemas.ask import AskResponse
from app.schemas.openai import (
    MODEL,
    AssistantMessage,
    ChatChoice,
    ChatCompletion,
    ChatCompletionChunk,
    ChatDelta,
    ChatRequest,
    ChunkChoice,
    ModelCard,
    ModelList,
)
from generator.errors import GeneratorError

router = APIRouter(responses=API_ERRORS)
CHAT_EVENTS = EventStream(
    {None: ChatCompletionChunk},
    done="[DONE]",
    description=(
        "The completion, or with `stream: true` as server-sent events: "
        "`chat.completion.chunk` objects, the last with `finish_reason` `stop` and the "
        "sources, then `[DONE]`."
    ),
)


def reply_text(result: AskResult) -> str:
    """What a text-only client shows: the answer, its warnings, then its sources."""
    text = warnings_text(result.answer)
    if result.citations:
        lines = [f"[{c.n}] {c.title or c.source} (p. {c.page})" for c in result.citations]
        text += "\n\nSources:\n" + "\n".join(lines)
    return text


@router.get("/v1/models")
def models() -> ModelList:
    return ModelList(data=[ModelCard(id=MODEL, owned_by="kotae")])


@router.post(
    "/v1/chat/completions",
    response_model=ChatCompletion,
    responses={200: CHAT_EVENTS.response(), **error_responses(400, 404, 409, 422, 502, 503, 504)},
)
async def chat_completions(body: ChatRequest, kotae: KotaeDep, owner: OwnerDep) -> Any:
    turns = body.turns()
    if not turns or turns[-1][0] != "user" or not turns[-1][1].strip():
        raise BadRequestError("the last message must be a non-empty user message")
    question, history = turns[-1][1], turns[:-1]
    asking = kotae.asking
    await check_conversation(kotae, owner, body.conversation_id, body.replaces_turn_id)
    cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

    async def saved(result: AskResult) -> AskResponse:
        response = AskResponse.of(result)
        ref, k = body.conversation_id, body.top_k
        replaces = body.replaces_turn_id
        return await save_turn(kotae, owner, ref, question, body.collection, k, response, replaces)

    if not body.stream:
        result = await asking.ask(question, body.collection, body.top_k, history)
        response = await saved(result)
        message = AssistantMessage(content=result.answer.text + reply_text(result))
        return ChatCompletion(
            id=cid,
            created=created,
            choices=[ChatChoice(message=message)],
            citations=result.citations,
            conversation_id=response.conversation_id,
            turn_id=response.turn_id,
        )

    def chunk(delta: ChatDelta, finish: bool = False, turn: AskResponse | None = None) -> bytes:
        choice = ChunkChoice(delta=delta, finish_reason="stop" if finish else None)
        body = ChatCompletionChunk(id=cid, created=created, choices=[choice])
        if turn is not None:  # the last chunk says where the answer was saved
            body.conversation_id, body.turn_id = turn.conversation_id, turn.turn_id
        return f"data: {body.model_dump_json()}\n\n".encode()

    async def events() -> AsyncIterator[bytes]:
        yield chunk(ChatDelta(role="assistant", content=""))
        try:
            async for item in asking.stream(question, body.collection, body.top_k, history):
                if isinstance(item, AskResult):  # the checked answer's warnings, its sources
                    response = await saved(item)
                    yield chunk(ChatDelta(content=reply_text(item)), True, response)
                else:  # checked text: a sentence at a time, invalid citations removed
                    yield chunk(ChatDelta(content=item))
        except GeneratorError as e:
            yield chunk(ChatDelta(content=f"\n\n[error] {e.message}"), finish=True)
        # The conversation was deleted, or the turn to replace changed, while it was written.
        except (NotFoundError, ConflictError) as e:
            yield chunk(ChatDelta(content=f"\n\n[error] {e}"), finish=True)
        yield b"data: [DONE]\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")
