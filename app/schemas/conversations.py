"""Wire shapes of conversations, their turns and feedback on a turn."""

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Self

from fastapi import Path
from pydantic import AfterValidator, BaseModel, Field, model_validator

from app.conversations import TurnInfo
from app.feedback_export import eval_row
from app.schemas.ask import AskResponse
from app.schemas.documents import Record, Timestamp
from app.schemas.params import CONTROL_CHARS, CONVERSATION_ID_PATTERN, StoredId

MAX_TITLE_CHARS = 200
MAX_COMMENT_CHARS = 2000
MAX_RIGHT_TEXT_CHARS = 4000
MAX_RIGHT_ANSWER_CHARS = 500
MAX_PAGE = 100  # conversations or turns or feedback entries in one answer
MAX_OFFSET = 10**9
# Text a person wrote over several lines: tabs and line breaks are fine, other controls not.
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

ConversationIdPath = Annotated[
    str, Path(pattern=CONVERSATION_ID_PATTERN, description="A conversation id (32 hex digits).")
]
TurnIdPath = Annotated[int, Path(ge=1, le=2**63 - 1, description="A turn id.")]


def _title(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("a title cannot be blank")
    if CONTROL_CHARS.search(value):
        raise ValueError("a title cannot contain control characters")
    return value


def _text(value: str) -> str:
    if _CONTROL_BUT_LINES.search(value):
        raise ValueError("control characters other than tabs and line breaks are not allowed")
    return value


Title = Annotated[str, Field(min_length=1, max_length=MAX_TITLE_CHARS), AfterValidator(_title)]


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01 east of UTC, 9999-12-31 west of it
        raise ValueError("the time is out of range") from None


Since = Annotated[datetime, AfterValidator(_utc)]
TitleSearch = Annotated[str, Field(min_length=1, max_length=MAX_TITLE_CHARS), AfterValidator(_text)]

Comment = Annotated[str, Field(max_length=MAX_COMMENT_CHARS), AfterValidator(_text)]
RightText = Annotated[
    str, Field(min_length=1, max_length=MAX_RIGHT_TEXT_CHARS), AfterValidator(_text)
]
RightAnswer = Annotated[
    str, Field(min_length=1, max_length=MAX_RIGHT_ANSWER_CHARS), AfterValidator(_text)
]


class ConversationCreate(BaseModel):
    title: Title | None = Field(
        default=None, description="Unset: the first question, trimmed, once there is one."
    )


class ConversationRename(BaseModel):
    title: Title


class ConversationOut(Record):
    id: str
    title: str = Field(description='The first question, trimmed, until renamed; "" before it.')
    created_at: Timestamp
    updated_at: Timestamp = Field(description="The last question asked in it, or its renaming.")
    turns: int = Field(description="How many questions it holds.")


class ConversationList(BaseModel):
    conversations: list[ConversationOut] = Field(description="Most recently active first.")
    total: int = Field(description="How many match, on every page together.")


class FeedbackIn(BaseModel):
    """Feedback on one answer; saving it again replaces it."""

    rating: Literal["up", "down"] | None = None
    comment: Comment | None = None
    right_chunk_id: StoredId | None = Field(
        default=None,
        description="The passage that holds the answer: the `chunk_id` of one of this turn's "
        "citations or passages.",
    )
    right_text: RightText | None = Field(
        default=None, description="Or the passage that holds the answer, pasted."
    )
    right_answer: RightAnswer | None = Field(
        default=None,
        description="The right answer, short (a number, a name): exported as `answer_any`.",
    )
    not_in_documents: bool = Field(
        default=False, description="The user confirms the documents don't answer the question."
    )

    @model_validator(mode="after")
    def one_meaning(self) -> Self:
        if self.right_chunk_id is not None and self.right_text is not None:
            raise ValueError("give right_chunk_id or right_text, not both")
        if self.not_in_documents and any(
            v is not None for v in (self.right_chunk_id, self.right_text, self.right_answer)
        ):
            raise ValueError("not_in_documents says there is no right passage or answer")
        given = (self.rating, self.comment, self.right_chunk_id, self.right_text, self.right_answer)
        if not self.not_in_documents and all(v is None for v in given):
            raise ValueError(
                "give a rating, a comment, a right passage or answer, or not_in_documents"
            )
        return self


class FeedbackOut(Record):
    rating: Literal["up", "down"] | None
    comment: str | None
    right_chunk_id: int | None
    right_text: str | None
    right_answer: str | None
    not_in_documents: bool
    exportable: bool = Field(
        default=False,
        description="Whether `kotae feedback export` makes an evaluation question of it: it "
        "needs a right passage, a right answer or not_in_documents.",
    )
    created_at: Timestamp
    updated_at: Timestamp


class TurnOut(BaseModel):
    id: int
    conversation_id: str
    question: str
    response: AskResponse = Field(description="The answer as it was returned, citations included.")
    collection: str | None
    top_k: int
    model: str = Field(description='The generator model that wrote the answer, or "extractive".')
    settings: dict[str, Any] = Field(description="The retrieval and answer settings it ran with.")
    sources_gone: list[int] = Field(
        description="Chunk ids of its citations and passages whose document was deleted or "
        "ingested again since: their text here is as it was, their document links are not valid."
    )
    feedback: FeedbackOut | None
    created_at: Timestamp

    @classmethod
    def of(cls, turn: TurnInfo, gone: set[int]) -> "TurnOut":
        feedback = None
        if turn.feedback is not None:
            feedback = FeedbackOut.model_validate(turn.feedback)
            feedback.exportable = isinstance(eval_row(turn), dict)
        return cls(
            id=turn.id,
            conversation_id=turn.conversation_id,
            question=turn.question,
            response=AskResponse.model_validate(
                {**turn.response, "conversation_id": turn.conversation_id, "turn_id": turn.id}
            ),
            collection=turn.collection,
            top_k=turn.top_k,
            model=turn.model,
            settings=turn.settings,
            sources_gone=sorted(turn.chunk_ids() & gone),
            feedback=feedback,
            created_at=turn.created_at.isoformat(),
        )


class ConversationDetail(BaseModel):
    conversation: ConversationOut
    turns: list[TurnOut] = Field(
        description="Oldest first, from `offset`, at most `limit`; `conversation.turns` is how "
        "many there are in all."
    )


class FeedbackList(BaseModel):
    feedback: list[TurnOut] = Field(
        description="Turns with feedback, the most recently given first."
    )
    total: int = Field(description="How many match, on every page together.")
