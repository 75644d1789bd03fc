"""Answer a question from numbered passages: generate with citations, or extract, or abstain."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace

from generator.citations import SentenceRelease, SupportScorer, parse_citations, verify
from generator.errors import GeneratorResponseError, GeneratorTimeout, GeneratorUnavailable
from generator.evidence import DocumentTexts, evidence_signals, too_weak
from generator.extractive import ExtractiveAnswerer
from generator.language import (
    abstention_message,
    detect_language,
    fallback_warning,
    is_abstention,
    unbacked_warning,
    unsupported_warning,
)
from generator.offload import off_loop
from generator.openai_client import OpenAIGenerator
from generator.prompt import TokenCounter, build_condense_messages, build_messages
from generator.records import Answer, Passage
from text.lexical import EN_STOPWORDS
from text.normalize import fold

History = Sequence[tuple[str, str]]  # (role, content), role "user" | "assistant", oldest first

_FALLBACK_ERRORS = (GeneratorUnavailable, GeneratorTimeout)
_CONTEXT_TOO_LONG = re.compile(r"context length|maximum context|too long|too large", re.I)
_SHRINK_TRIES = 3  # full budget, then half, then a quarter
# Names, numbers and katakana words ("ソラマメX3", "Q7", "2.4"), or runs of 2+ kanji.
_SALIENT = re.compile(
    r"[A-Za-z0-9\u30a1-\u30fa\u30fc][A-Za-z0-9\u30a1-\u30fa\u30fc.%\-]*|[\u3400-\u9fff\u3005]{2,}"
)
_REQUEST_WORDS = frozenset(
    ["tell", "explain", "show", "give", "describe", "please", "know", "want"]
)


class Answerer:
    """Orchestrates one answer: abstain on weak evidence, generate (or extract), check citations.

    With a generator, an unreachable or slow server falls back to the extractive answer with a
    warning; a server that rejects the request (4xx, unreadable reply) raises
    ``GeneratorResponseError``, since that is a configuration fault, not an outage. With
    ``fallback_when_unsupported`` a generated answer none of whose sentences is supported by a
    valid citation is replaced by the extractive answer too (small models often cite nothing).
    """

    def __init__(
        self,
        generator: OpenAIGenerator | None,
        extractive: ExtractiveAnswerer,
        min_score: float = 0.0,
        min_coverage: float = 0.0,
        support_threshold: float = 0.5,
        count_tokens: TokenCounter | None = None,
        max_answer_tokens: int = 512,
        support_scorer: SupportScorer | None = None,
        fallback_when_unsupported: bool = False,
        document_texts: DocumentTexts | None = None,
        search_terms: Callable[[str], Sequence[str]] | None = None,
    ) -> None:
        """`search_terms` gives a question's search terms (the keyword index's tokenizer): a
        question with none, asked outside a conversation, is abstained on."""
        self.generator = generator
        self.extractive = extractive
        self.min_score = min_score
        self.min_coverage = min_coverage
        self.support_threshold = support_threshold
        self.count_tokens = count_tokens
        self.max_answer_tokens = max_answer_tokens
        self.support_scorer = support_scorer
        self.fallback_when_unsupported = fallback_when_unsupported
        # Where a name the question gives may be, outside the passages (abstention).
        self.document_texts = document_texts
        self.search_terms = search_terms

    @property
    def mode(self) -> str:
        """The mode of answers made here: "generative" with a generator, else "extractive"."""
        return "extractive" if self.generator is None else "generative"

    async def answer(
        self, question: str, passages: Sequence[Passage], history: History = ()
    ) -> Answer:
        """Answer ``question`` from ``passages`` (rank order; passage n is passages[n-1])."""
        language = detect_language(question)
        settled = await off_loop(self._without_generator, question, passages, language, history)
        if settled is not None:
            return settled
        assert self.generator is not None  # _without_generator answers when there is none
        try:
            text = await self._complete(self.generator, question, passages, history, language)
        except _FALLBACK_ERRORS as exc:
            return await self._fallback(question, passages, fallback_warning(language, exc.message))
        return await self._finish(question, text, passages, language)

    async def stream_answer(
        self, question: str, passages: Sequence[Passage], history: History = ()
    ) -> AsyncIterator[str | Answer]:
        """Yield the answer's text a checked sentence at a time, then the final ``Answer``.

        The text pieces joined end with the final Answer's text: a generated answer streams as
        ``SentenceRelease`` lets it out (invalid citations removed, as in ``answer``); an
        extractive or abstained answer arrives as one piece. When the final Answer is not the
        streamed text (the server failed mid-answer, or the generated text was unusable) a
        last piece adds it after a blank line (not when both say the documents don't answer).
        Nothing here runs blocking work on the event loop.
        """
        language = detect_language(question)
        settled = await off_loop(self._without_generator, question, passages, language, history)
        if settled is not None:
            yield settled.text
            yield settled
            return
        assert self.generator is not None  # _without_generator answers when there is none
        release = SentenceRelease(len(passages))
        pieces: list[str] = []
        try:
            for attempt in range(_SHRINK_TRIES):
                messages, max_tokens = await self._messages(
                    self.generator, question, passages, history, language, 0.5**attempt
                )
                try:
                    async for piece in self.generator.stream(messages, max_tokens=max_tokens):
                        pieces.append(piece)
                        if text := release.feed(piece):
                            yield text
                    break
                except GeneratorResponseError as exc:
                    if pieces or not _retry_smaller(exc, attempt):
                        raise
        except _FALLBACK_ERRORS as exc:
            final = await self._fallback(
                question, passages, fallback_warning(language, exc.message)
            )
        else:
            if text := release.close():
                yield text
            final = await self._finish(question, "".join(pieces), passages, language)
        if text := _amendment(release.released, final):
            yield text
        yield final

    async def condense(self, question: str, history: History) -> str:
        """A standalone search query for a follow-up question.

        With a generator the model rewrites the question. Without one (or when it is down, or
        its reply is unusable) a heuristic appends the salient terms of the last user turn that
        the question lacks (names, numbers, katakana and kanji words), which is what keyword
        and dense retrieval need to resolve "それは何層？" / "how many does it have?".
        """
        if not history:
            return question
        if self.generator is not None:
            try:
                # Off the loop, like building any prompt: token estimates walk every character.
                messages = await off_loop(build_condense_messages, history, question)
                reply = await self.generator.complete(messages, max_tokens=128)
            except _FALLBACK_ERRORS:
                reply = ""
            rewritten = _clean_rewrite(reply, question)
            # A model that echoes the question resolved nothing; the heuristic at least adds
            # the earlier turn's terms.
            if rewritten and _norm(rewritten) != _norm(question):
                return rewritten
        return await off_loop(heuristic_condense, question, history)

    def _too_weak(self, question: str, passages: Sequence[Passage]) -> bool:
        """Weak evidence (see ``generator.evidence``): a low best score, a version the
        question names that no passage holds, a name that neither the passages nor their
        documents hold, or (passages all in the question's language) too little of the
        question's content words."""
        if not passages:
            return True
        signals = evidence_signals(question, passages, self.document_texts)
        return too_weak(signals, self.min_score, self.min_coverage)

    def _abstained(self, language: str) -> Answer:
        return Answer(abstention_message(language), (), (), True, self.mode, language)

    def _asks_nothing(self, question: str, history: History) -> bool:
        """No word of the question is a search term ("何ですか?", "What is it?", "??"): outside a
        conversation, which could say what "it" is, it asks nothing the documents can answer,
        and the passages retrieved for it are noise."""
        return not history and self.search_terms is not None and not self.search_terms(question)

    def _without_generator(
        self, question: str, passages: Sequence[Passage], language: str, history: History = ()
    ) -> Answer | None:
        """The answer that needs no generation: abstention on weak evidence, else the extractive
        answer when there is no generator; None when the generator should answer. Blocking
        (extraction embeds every candidate sentence, ~0.1-1 s of CPU): call it in a thread."""
        if self._asks_nothing(question, history) or self._too_weak(question, passages):
            return self._abstained(language)
        if self.generator is None:
            return self.extractive.answer(question, passages)
        return None

    def _extracted(self, question: str, passages: Sequence[Passage], warning: str) -> Answer:
        """The extractive answer in place of a generated one, saying why. Blocking."""
        answer = self.extractive.answer(question, passages)
        return replace(answer, warnings=(*answer.warnings, warning))

    async def _fallback(self, question: str, passages: Sequence[Passage], warning: str) -> Answer:
        return await off_loop(self._extracted, question, passages, warning)

    async def prompt_for(
        self, question: str, passages: Sequence[Passage], history: History = ()
    ) -> tuple[list[dict[str, str]], int]:
        """The exact chat messages and answer budget a generative answer would send."""
        if self.generator is None:
            raise ValueError("no generator configured")
        language = detect_language(question)
        return await self._messages(self.generator, question, passages, history, language, 1.0)

    async def _messages(
        self,
        generator: OpenAIGenerator,
        question: str,
        passages: Sequence[Passage],
        history: History,
        language: str,
        scale: float,
    ) -> tuple[list[dict[str, str]], int]:
        max_len = await generator.max_model_len()
        answer_tokens = self.max_answer_tokens
        context: int | None = None
        if max_len is not None:
            answer_tokens = min(answer_tokens, max_len // 4)
            # Shrink only the room for passages: the answer keeps its budget.
            context = answer_tokens + int((max_len - answer_tokens) * scale)
        # Off the loop: estimating tokens walks every character of the history and passages.
        messages = await off_loop(
            build_messages,
            question,
            passages,
            language,
            history,
            max_context_tokens=context,
            max_answer_tokens=answer_tokens,
            count_tokens=self.count_tokens,
        )
        return messages, answer_tokens

    async def _complete(
        self,
        generator: OpenAIGenerator,
        question: str,
        passages: Sequence[Passage],
        history: History,
        language: str,
    ) -> str:
        for attempt in range(_SHRINK_TRIES):
            messages, max_tokens = await self._messages(
                generator, question, passages, history, language, 0.5**attempt
            )
            try:
                return await generator.complete(messages, max_tokens=max_tokens)
            except GeneratorResponseError as exc:
                if not _retry_smaller(exc, attempt):
                    raise
        raise AssertionError("unreachable")

    async def _finish(
        self, question: str, text: str, passages: Sequence[Passage], language: str
    ) -> Answer:
        # Off the loop: verification may embed every sentence (support_scorer), and a
        # fallback extracts.
        return await off_loop(self._checked, question, text, passages, language)

    def _checked(
        self, question: str, text: str, passages: Sequence[Passage], language: str
    ) -> Answer:
        """The generated ``text`` with its citations checked, or a fallback. Blocking."""
        clean, parsed = parse_citations(text, len(passages))
        if not clean.strip():
            return self._extracted(question, passages, unbacked_warning(language))
        sentences = verify(parsed, passages, self.support_threshold, self.support_scorer)
        claims = [s for s in sentences if s.passages and s.supported]
        if is_abstention(clean) and not claims:
            return self._abstained(language)
        if self.fallback_when_unsupported and not claims:
            return self._extracted(question, passages, unbacked_warning(language))
        cited = tuple(dict.fromkeys(n for s in sentences for n in s.passages))
        unsupported = sum(not s.supported for s in sentences)
        warnings = (
            (unsupported_warning(language, unsupported, len(sentences)),) if unsupported else ()
        )
        return Answer(clean.strip(), cited, sentences, False, "generative", language, warnings)


def _amendment(streamed: str, final: Answer) -> str:
    """What a stream that showed ``streamed`` must add so that it ends with ``final``'s text."""
    if final.text == streamed.strip():
        return ""
    if final.abstained and is_abstention(streamed):
        return ""  # the model already said, in its words, that the documents don't say
    return f"\n\n{final.text}" if streamed.strip() else final.text


def heuristic_condense(question: str, history: History, max_terms: int = 8) -> str:
    """The question plus salient terms of the last user turn that it does not already contain."""
    last_user = next((content for role, content in reversed(history) if role == "user"), "")
    have = fold(question)
    terms: list[str] = []
    for term in _SALIENT.findall(unicodedata.normalize("NFKC", last_user)):
        term = term.rstrip(".-")
        key = term.lower()
        if len(term) < 2 and not term.isdigit():
            continue
        if key in EN_STOPWORDS or key in _REQUEST_WORDS or key in have or term in terms:
            continue
        terms.append(term)
        if len(terms) == max_terms:
            break
    return f"{question} {' '.join(terms)}" if terms else question


def _clean_rewrite(reply: str, question: str) -> str:
    lines = [line.strip() for line in reply.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    text = re.sub(r"^(?:standalone question|question|質問)\s*[:：]\s*", "", lines[0], flags=re.I)
    text = text.strip().strip("\"'「」『』").strip()
    # A rewrite much longer than the question is the model answering or rambling.
    return text if 0 < len(text) <= 3 * len(question) + 200 else ""


def _norm(text: str) -> str:
    return re.sub(r"[\s?？。.!！]+", "", fold(text))


def _retry_smaller(exc: GeneratorResponseError, attempt: int) -> bool:
    """Our token estimate can be low for the server's tokenizer: a prompt rejected as too
    long is sent again with less room for passages, up to _SHRINK_TRIES attempts in all."""
    too_long = exc.status_code == 400 and bool(_CONTEXT_TOO_LONG.search(exc.message))
    return too_long and attempt < _SHRINK_TRIES - 1
