"""OpenAI-compatible wire models: chat completions, their stream chunks, the model list."""

from typing import Literal

from pydantic import BaseModel

from app.api.event_streams import EventStream
from app.asking import CitationOut


class AssistantMessage(BaseModel):
    role: Literal["assistant"]
    content: str


class ChatChoice(BaseModel):
    index: int
    message: AssistantMessage
    finish_reason: Literal["stop"]


class Usage(BaseModel):
    """Always zero: Kotae does not count tokens; present because OpenAI clients expect it."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletionBase(BaseModel):
    id: str
    created: int
    model: str


class ChatCompletion(ChatCompletionBase):
    object: Literal["chat.completion"]
    choices: list[ChatChoice]
    citations: list[CitationOut]
    usage: Usage


class ChatDelta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(BaseModel):
    index: int
    delta: ChatDelta
    finish_reason: Literal["stop"] | None


class ChatCompletionChunk(ChatCompletionBase):
    object: Literal["chat.completion.chunk"]
    choices: list[ChunkChoice]


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


CHAT_EVENTS = EventStream(
    {None: ChatCompletionChunk},
    done="[DONE]",
    description=(
        "The completion, or with `stream: true` as server-sent events: "
        "`chat.completion.chunk` objects, the last with `finish_reason` `stop` and the "
        "sources, then `[DONE]`."
    ),
)
