"""Saving an answer to a conversation, for /v1/ask and /v1/chat/completions alike."""

from starlette.concurrency import run_in_threadpool

from app.conversations import NewTurn
from app.errors import BadRequestError
from app.kotae import Kotae
from app.schemas.ask import AskResponse

NEW = "new"


async def check_conversation(
    kotae: Kotae, owner: str, ref: str | None, replaces: int | None = None
) -> None:
    """Now, before anything is asked: NotFoundError for an unknown or another key's id, or a
    turn to replace that is not in it; ConflictError when that turn is not the last."""
    if replaces is not None:
        if ref is None or ref == NEW:
            raise BadRequestError(
                "replaces_turn_id needs conversation_id: the conversation the turn is in"
            )
        await run_in_threadpool(kotae.conversations.check_replaceable, owner, ref, replaces)
    elif ref is not None and ref != NEW:
        await run_in_threadpool(kotae.conversations.get, owner, ref)


async def save_turn(
    kotae: Kotae,
    owner: str,
    ref: str | None,
    question: str,
    collection: str | None,
    top_k: int | None,
    response: AskResponse,
    replaces: int | None = None,
) -> AskResponse:
    """The response, saved as a new turn of conversation `ref` (a new one for `new`) in place
    of turn `replaces` when given, and carrying where; unchanged when `ref` is None."""
    if ref is None:
        return response
    settings = kotae.settings
    generated = response.mode == "generative"
    turn = NewTurn(
        question=question,
        response=response.model_dump(mode="json", exclude={"conversation_id", "turn_id"}),
        collection=collection,
        top_k=top_k or settings.top_k,
        mode=response.mode,
        model=(settings.generator_model or "default") if generated else "extractive",
        settings=kotae.answer_settings(),
    )
    conversation_id, turn_id = await run_in_threadpool(
        kotae.conversations.append, owner, None if ref == NEW else ref, turn, replaces
    )
    return response.model_copy(update={"conversation_id": conversation_id, "turn_id": turn_id})
