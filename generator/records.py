"""Records the generator takes and returns (plain frozen dataclasses, no storage)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Passage:
    """A retrieved passage as the generator sees it; its number n is its list index + 1."""

    text: str
    title: str
    page: int | None
    score: float  # retrieval score (fused); used for abstention


@dataclass(frozen=True)
class CitedSentence:
    """One answer sentence with the passages it cites and whether they support it."""

    text: str  # the answer sentence, markers removed
    passages: tuple[int, ...]  # 1-based passage numbers it cites (valid ones only)
    supported: bool  # verification result
    support: float  # best support score against its cited passages, 0..1


@dataclass(frozen=True)
class Answer:
    """The answer to one question, with checked citations."""

    text: str  # answer text with [n] markers (only valid numbers kept)
    cited: tuple[int, ...]  # 1-based passage numbers cited, in order of first appearance
    sentences: tuple[CitedSentence, ...]
    abstained: bool
    mode: str  # "generative" | "extractive"
    language: str  # "ja" | "en"
    warnings: tuple[str, ...] = ()
