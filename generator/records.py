"""Records the generator takes and returns (plain frozen dataclasses, no storage)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Passage:
    """A retrieved passage as the generator sees it; its number n is its list index + 1."""

    text: str
    title: str
    page: int | None
    score: float  # the question's dense similarity to it: absolute, read for abstention
    # The document's file name: it often names the version documented ("postgresql15_…").
    source: str = ""
    document_id: int | None = None  # its document in the store, when it comes from one


@dataclass(frozen=True)
class SourceSpan:
    """Characters ``[start, end)`` of passage ``passage``'s text that back an answer sentence."""

    passage: int  # 1-based passage number
    start: int
    end: int


@dataclass(frozen=True)
class CitedSentence:
    """One answer sentence with the passages it cites and whether they support it."""

    text: str  # the answer sentence, markers removed
    passages: tuple[int, ...]  # 1-based passage numbers it cites (valid ones only)
    supported: bool  # verification result
    # Generative: best support score against its cited passages, 0..1. Extractive (quotes,
    # supported by construction): its relevance relative to the answer's best quote (1.0).
    support: float
    # One per cited passage, in the order of ``passages``: the text quoted (extractive) or
    # the passage sentence that best matches this one (generative).
    spans: tuple[SourceSpan, ...] = ()


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

    def cited_span(self, n: int) -> tuple[int, int] | None:
        """The span of passage ``n`` recorded by the strongest answer sentence citing it (the
        first of equals): what a reader of citation [n] should see highlighted. None when no
        sentence recorded one."""
        best: tuple[float, SourceSpan] | None = None
        for sentence in self.sentences:
            for span in sentence.spans:
                if span.passage == n and (best is None or sentence.support > best[0]):
                    best = (sentence.support, span)
        return None if best is None else (best[1].start, best[1].end)
