"""Wire shapes of asking: /v1/ask's request, its answer and stream events (`kotae ask --json`
prints the same answer)."""

from typing import Literal

from pydantic import BaseModel, Field

from app.asking import AskResult
from app.citing import Citation
from app.schemas.params import CollectionName, ConversationRef, ReplacedTurn
from app.schemas.search import ScoredChunk
from generator.language import Language

# One set of limits for every way of asking (/v1/ask and /v1/chat/completions).
MAX_QUESTION_CHARS = 4000
MAX_TURN_CHARS = 20000
MAX_HISTORY_TURNS = 50
MAX_TOP_K = 20


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=MAX_TURN_CHARS)


class AskRequest(BaseModel):
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    collection: CollectionName | None = None
    top_k: int | None = Field(
        default=None,
        ge=1,
        le=MAX_TOP_K,
        description="Passages to answer from (default: KOTAE_TOP_K).",
    )
    history: list[Turn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS)
    stream: bool = False
    conversation_id: ConversationRef | None = None
    replaces_turn_id: ReplacedTurn | None = None


class PassageOut(ScoredChunk):
    n: int = Field(description="The passage number that `[n]` markers in the answer refer to.")


class AskResponse(BaseModel):
    """An answer with verified citations (`kotae ask --json` prints the same shape)."""

    answer: str = Field(description="The answer text, with [n] markers for its citations.")
    citations: list[Citation]
    abstained: bool = Field(description="True when the documents do not answer the question.")
    mode: Literal["generative", "extractive"]
    language: Language
    warnings: list[str]
    unsupported_sentences: list[str] = Field(
        description="Sentences of the answer that their cited passages do not support."
    )
    query: str = Field(description="The search query used (the question, condensed with history).")
    passages: list[PassageOut] = Field(description="The closest passages, in rank order.")
    conversation_id: str | None = Field(
        default=None, description="The conversation this answer was saved to, if asked to."
    )
    turn_id: int | None = Field(
        default=None, description="Its turn there: where feedback on this answer goes."
    )

    @classmethod
    def of(cls, result: AskResult) -> "AskResponse":
        a = result.answer
        return cls(
            answer=a.text,
            citations=result.citations,
            abstained=a.abstained,
            mode=a.mode,  # type: ignore[arg-type]
            language=a.language,  # type: ignore[arg-type]
            warnings=list(a.warnings),
            unsupported_sentences=[s.text for s in a.sentences if not s.supported],
            query=result.query,
            # The closest passages, shown with abstentions and useful to any client.
            passages=[PassageOut.of(h, n=i) for i, h in enumerate(result.hits, 1)],
        )


class AskToken(BaseModel):
    text: str
