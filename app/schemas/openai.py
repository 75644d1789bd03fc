"""OpenAI-compatible wire shapes: chat requests, completions, stream chunks, the model list."""

from typing import Any, Literal, Self

from pydantic import (
    BaseModel,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from app.citing import Citation
from app.schemas.ask import (
    MAX_HISTORY_TURNS,
    MAX_QUESTION_CHARS,
    MAX_TOP_K,
    MAX_TURN_CHARS,
)
from app.schemas.params import CollectionName, ConversationRef, ReplacedTurn

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
    top_k: int | None = Field(
        default=None,
        ge=1,
        le=MAX_TOP_K,
        description="Passages to answer from (default: KOTAE_TOP_K).",
    )
    collection: CollectionName | None = None
    conversation_id: ConversationRef | None = None
    replaces_turn_id: ReplacedTurn | None = None

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


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class ChatChoice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"


class Usage(BaseModel):
    """Always zero: Kotae does not count tokens; present because OpenAI clients expect it."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class ChatCompletionBase(BaseModel):
    id: str
    created: int
    model: str = MODEL
    # Kotae's own, for a request with `conversation_id`: where the answer was saved (in a
    # stream, on the last chunk only).
    conversation_id: str | None = None
    turn_id: int | None = None


class ChatCompletion(ChatCompletionBase):
    object: Literal["chat.completion"] = "chat.completion"
    choices: list[ChatChoice]
    citations: list[Citation]
    usage: Usage = Usage()


class ChatDelta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None

    @model_serializer(mode="wrap")
    def only_what_changed(self, dump: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # OpenAI sends the role in the first delta only; clients append what a delta has.
        return {k: v for k, v in dump(self).items() if v is not None}


class ChunkChoice(BaseModel):
    index: int = 0
    delta: ChatDelta
    finish_reason: Literal["stop"] | None = None


class ChatCompletionChunk(ChatCompletionBase):
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    choices: list[ChunkChoice]


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]
