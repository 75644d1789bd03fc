"""Conversations (list, create, show with turns, rename, delete) and feedback on their turns.

Every route sees only the caller's conversations (app/api/deps.py `OwnerDep`): another key's
are a 404, exactly like ids that never existed.
"""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from app.api.deps import KotaeDep, OwnerDep
from app.api.envelope import API_ERRORS, error_responses
from app.conversations import TurnInfo
from app.feedback import FeedbackInput
from app.kotae import Kotae
from app.schemas.conversations import (
    MAX_OFFSET,
    MAX_PAGE,
    ConversationCreate,
    ConversationDetail,
    ConversationIdPath,
    ConversationList,
    ConversationOut,
    ConversationRename,
    FeedbackIn,
    FeedbackList,
    Since,
    TitleSearch,
    TurnIdPath,
    TurnOut,
)
from app.schemas.params import CollectionName

router = APIRouter(responses=API_ERRORS)
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Entries to skip.")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Entries to return at most.")]
ONE = "/v1/conversations/{conversation_id}"
FEEDBACK = ONE + "/turns/{turn_id}/feedback"


def turns_out(kotae: Kotae, turns: list[TurnInfo]) -> list[TurnOut]:
    """Blocking: looks up which cited chunks are gone from the corpus."""
    gone = kotae.conversations.missing_chunks([c for t in turns for c in t.chunk_ids()])
    return [TurnOut.of(t, gone) for t in turns]


@router.get("/v1/conversations", responses=error_responses(422))
def list_conversations(
    kotae: KotaeDep,
    owner: OwnerDep,
    q: Annotated[TitleSearch | None, Query(description="Only titles containing this.")] = None,
    offset: Offset = 0,
    limit: Limit = 20,
) -> ConversationList:
    found, total = kotae.conversations.find(owner, q, offset, limit)
    return ConversationList(
        conversations=[ConversationOut.model_validate(c) for c in found], total=total
    )


@router.post("/v1/conversations", status_code=201, responses=error_responses(400, 422))
def create_conversation(
    body: ConversationCreate, kotae: KotaeDep, owner: OwnerDep
) -> ConversationOut:
    """An empty conversation, for a client that wants its id before the first question
    (`/v1/ask` with `conversation_id: "new"` creates one with its first answer)."""
    return ConversationOut.model_validate(kotae.conversations.create(owner, body.title or ""))


@router.get(ONE, responses=error_responses(404, 422))
def show_conversation(
    conversation_id: ConversationIdPath,
    kotae: KotaeDep,
    owner: OwnerDep,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Turns to return at most.")] = 50,
) -> ConversationDetail:
    """The conversation and a page of its turns, each with the answer as it was returned."""
    info = kotae.conversations.get(owner, conversation_id)
    turns = kotae.conversations.turns(owner, conversation_id, offset, limit)
    return ConversationDetail(
        conversation=ConversationOut.model_validate(info), turns=turns_out(kotae, turns)
    )


@router.patch(ONE, responses=error_responses(400, 404, 422))
def rename_conversation(
    conversation_id: ConversationIdPath, body: ConversationRename, kotae: KotaeDep, owner: OwnerDep
) -> ConversationOut:
    return ConversationOut.model_validate(
        kotae.conversations.rename(owner, conversation_id, body.title)
    )


@router.delete(ONE, status_code=204, responses=error_responses(404, 422))
def delete_conversation(
    conversation_id: ConversationIdPath, kotae: KotaeDep, owner: OwnerDep
) -> Response:
    """With its turns and their feedback."""
    kotae.conversations.delete(owner, conversation_id)
    return Response(status_code=204)


@router.put(FEEDBACK, responses=error_responses(400, 404, 422))
async def give_feedback(
    conversation_id: ConversationIdPath,
    turn_id: TurnIdPath,
    body: FeedbackIn,
    kotae: KotaeDep,
    owner: OwnerDep,
) -> TurnOut:
    """Create or replace the feedback on one answer; the turn with it."""
    given = FeedbackInput(**body.model_dump())
    turn = await run_in_threadpool(kotae.feedback.set, owner, conversation_id, turn_id, given)
    return (await run_in_threadpool(turns_out, kotae, [turn]))[0]


@router.get(FEEDBACK, responses=error_responses(404, 422))
def show_feedback(
    conversation_id: ConversationIdPath, turn_id: TurnIdPath, kotae: KotaeDep, owner: OwnerDep
) -> TurnOut:
    """The turn with its feedback; 404 when it has none."""
    return turns_out(kotae, [kotae.feedback.get(owner, conversation_id, turn_id)])[0]


@router.delete(FEEDBACK, status_code=204, responses=error_responses(404, 422))
def take_back_feedback(
    conversation_id: ConversationIdPath, turn_id: TurnIdPath, kotae: KotaeDep, owner: OwnerDep
) -> Response:
    """Remove the feedback on one answer (a thumb un-set); 404 when it has none."""
    kotae.feedback.delete(owner, conversation_id, turn_id)
    return Response(status_code=204)


@router.get("/v1/feedback", responses=error_responses(400, 422))
def list_feedback(
    kotae: KotaeDep,
    owner: OwnerDep,
    since: Annotated[
        Since | None,
        Query(description="Given or changed at or after this time (UTC if no zone)."),
    ] = None,
    collection: Annotated[
        CollectionName | None, Query(description="Only questions asked in this collection.")
    ] = None,
    offset: Offset = 0,
    limit: Limit = 20,
) -> FeedbackList:
    turns, total = kotae.feedback.find(owner, since, collection, offset, limit)
    return FeedbackList(feedback=turns_out(kotae, turns), total=total)
