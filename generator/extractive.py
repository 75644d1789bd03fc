"""Answers without a language model: quote the passage sentences that best answer the question."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from generator.answer_types import (
    answer_tokens,
    answer_type_bonus,
    asks_identifier,
    holds_identifier,
)
from generator.language import abstention_message, detect_language
from generator.question_names import entity_features, entity_focus, in_every_passage
from generator.quoting import defines, is_heading, is_table_row, lines_wrapped_by_width, quotes
from generator.records import Answer, CitedSentence, Passage, SourceSpan
from generator.translated_terms import (
    TranslatedWord,
    Translations,
    stems,
    translated_weight,
    translated_words,
)
from text.lexical import features
from text.normalize import fold

SentenceScorer = Callable[[str, list[str]], list[float]]

_TERMINALS_END = tuple("。！？.!?")
_LEXICAL_BEST = 0.4  # the best lexical share, scaled (0.3-0.5 alike: docs/benchmarks.md)
# Answer-type bonuses this close hold the same kind of fact: an identifier written beside the
# word for the thing asked (0.35) is no more an answer than one of its shape elsewhere (0.3).
_SAME_KIND = 0.1


@dataclass(frozen=True)
class _Candidate:
    text: str
    passage: int  # 0-based passage index
    position: int  # order inside the passage
    feats: frozenset[str]
    start: int  # where it was quoted from in the passage text
    end: int


class ExtractiveAnswerer:
    """Pick the sentences of the top passages that best answer a question and cite them.

    A sentence scores by the (rarity-weighted) share of the question's content features it
    contains, plus ``sentence_scorer``'s semantic similarity when given, plus a small prior for
    higher-ranked passages; quantity questions ("何層", "how many") favour sentences with
    numbers. Without a ``sentence_scorer`` a question in one language rarely matches passages in
    the other (only numbers and Latin names overlap), so pass one for cross-lingual use.
    """

    def __init__(
        self,
        sentence_scorer: SentenceScorer | None = None,
        max_passages: int = 5,
        min_score: float = 0.1,
        min_chars: int = 6,
        max_chars: int = 240,
        rank_prior: float = 0.2,
        translations: Translations | None = None,
    ) -> None:
        if max_passages < 1 or min_chars < 1 or max_chars <= min_chars:
            raise ValueError("need max_passages >= 1 and 1 <= min_chars < max_chars")
        self.sentence_scorer = sentence_scorer
        self.max_passages = max_passages
        self.min_score = min_score
        self.min_chars = min_chars
        self.max_chars = max_chars
        # Retrieval's own order is good evidence (fused MRR@5 ≈ 0.85 on dev-ja): passage n gets
        # rank_prior / n on top of its sentence's content score.
        self.rank_prior = rank_prior
        # Question words' translations (see translated_terms): cross-lingual word overlap.
        self.translations = translations

    def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        max_sentences: int = 2,
        sentence_scorer: SentenceScorer | None = None,
    ) -> Answer:
        """Answer from the passages' own sentences, each followed by its [n].

        ``sentence_scorer(question, sentences)`` (default: the one given to the constructor)
        returns one similarity per sentence, about 0..1. Returns an abstained answer when no
        sentence reaches ``min_score`` of content score (overlap and similarity).
        """
        language = detect_language(question)
        scorer = sentence_scorer or self.sentence_scorer
        candidates = [
            c for i, p in enumerate(passages[: self.max_passages]) for c in self._split(i, p)
        ]
        if not candidates or max_sentences < 1:
            return _abstained(language)

        words: list[TranslatedWord] = []
        if self.translations is not None:
            present = stems(set().union(*(c.feats for c in candidates)))
            words = translated_words(question, self.translations, present)
        lexical = _lexical_scores(question, candidates, passages, words)
        # A second sentence is admitted on its own merit, not on its neighbour's words.
        own = _lexical_scores(question, candidates, passages, words, with_context=False)
        semantic: list[float] = [0.0] * len(candidates)
        if scorer is not None:
            texts = [_with_description(candidates, i) for i in range(len(candidates))]
            semantic = [min(max(s, 0.0), 1.0) for s in scorer(question, texts)]
            if len(semantic) != len(candidates):
                raise ValueError("sentence_scorer returned a score count unlike the sentences")
        weight = 0.4 if scorer is not None else 0.0

        def mixed(shares: list[float], scale: float) -> list[float]:
            mix = zip(shares, semantic, strict=True)
            return _answer_after_questions(
                candidates, [(1 - weight) * scale * lx + weight * sm for lx, sm in mix]
            )

        # Lexical shares are ranked on one scale per question, as semantic scores are: across
        # languages a question meets a tenth of its words (by translation), else most of them;
        # unscaled, the semantic score alone decided the first, word overlap the second.
        scale = _LEXICAL_BEST / max(max(lexical), 1e-9)
        content = mixed(lexical, scale)
        standalone = mixed(own, scale)
        unscaled = mixed(lexical, 1.0)  # what min_score judges
        focus = entity_focus(
            question, [c.feats for c in candidates], [c.passage for c in candidates], passages
        )
        content = [score * f for score, f in zip(content, focus, strict=True)]
        # The fact asked for, in a sentence about something else, is another thing's fact.
        typed = answer_type_bonus(question, [c.text for c in candidates])
        bonus = [b * f for b, f in zip(typed, focus, strict=True)]
        totals = [
            score + self.rank_prior / (1 + c.passage) + extra
            for c, score, extra in zip(candidates, content, bonus, strict=True)
        ]

        # A heading line names the topic retrieval matched; it never answers.
        order = [
            i
            for i in sorted(range(len(candidates)), key=lambda i: totals[i], reverse=True)
            if not is_heading(candidates[i].text, passages[candidates[i].passage].title)
        ]
        if not order or unscaled[order[0]] * focus[order[0]] < self.min_score:
            return _abstained(language)
        chosen = [order[0]]
        offered = answer_tokens(question, candidates[order[0]].text)
        preferred = _continuation(question, order[0], order, candidates, bonus)
        for i in preferred + order[1:]:
            if len(chosen) == max_sentences:
                break
            # A second sentence must be nearly as relevant, not merely on the same topic.
            # (bonus included: a number in the unit asked answers "how many" on its own)
            best = content[order[0]] + bonus[order[0]]
            if i in chosen or (
                standalone[i] + bonus[i] < max(self.min_score, 0.6 * best)
                and not (i == order[0] + 1 and i in preferred)
            ):
                continue
            if any(_near_duplicate(candidates[i], candidates[j]) for j in chosen):
                continue
            # ... and offer another answer than the first, not the same name again, unless it
            # defines that name ("-g 日本語の頭文字の区切りを…" after "オプション '-g' に従う").
            tokens = answer_tokens(question, candidates[i].text)
            if bonus[i] > 0 and tokens <= offered and not defines(candidates[i].text, tokens):
                continue
            chosen.append(i)
        top = totals[order[0]]
        picked = sorted(
            ((candidates[i], totals[i] / top if top > 0 else 1.0) for i in chosen),
            key=lambda pick: (pick[0].passage, pick[0].position),
        )
        return _answer(picked, language)

    def _split(self, index: int, passage: Passage) -> list[_Candidate]:
        """Sentence-like fragments of a passage: short ones merged, long ones cut."""
        wrapped = lines_wrapped_by_width(passage.source)
        pieces = quotes(passage.text, self.min_chars, self.max_chars, wrapped)
        return [
            _Candidate(q.text, index, pos, frozenset(features(q.text)), q.start, q.end)
            for pos, q in enumerate(pieces)
        ]


def _lexical_scores(
    question: str,
    candidates: Sequence[_Candidate],
    passages: Sequence[Passage],
    translated: Sequence[TranslatedWord],
    with_context: bool = True,
) -> list[float]:
    """Share of the question's features each candidate has, rarer features weighing more.

    Numbers and capitalised names weigh more. A match on a word of the candidate's own passage
    title, or of every passage, weighs less: that is the topic retrieval already matched
    ("ソラマメX3"), while the answer is the sentence about the aspect asked ("アンテナ").
    """
    q_feats = features(question)
    if not q_feats:
        return [0.0] * len(candidates)
    n = len(candidates)
    entities = entity_features(question)
    weights: dict[str, float] = {}
    for f in q_feats:
        df = sum(f in c.feats for c in candidates)
        weights[f] = math.log(1 + n / max(df, 1)) * (1.5 if f in entities else 1.0)
    total = sum(weights.values())
    considered = passages[: 1 + max(c.passage for c in candidates)]
    everywhere = in_every_passage(q_feats, considered)
    titles = [features(p.title) for p in considered]

    def share(feats: frozenset[str], topic: set[str]) -> float:
        matched = sum(w * (0.3 if f in topic else 1.0) for f, w in weights.items() if f in feats)
        return (matched + translated_weight(translated, feats, weights)) / total

    scores = []
    for i, c in enumerate(candidates):
        topic = titles[c.passage] | everywhere
        # Slides put the subject in a heading line and the fact in the bullet under it
        # ("StarCoder [...]" / "...した15.5Bモデル"): half the score comes from the sentence
        # read together with the one before it in the same passage.
        # A table's term is read with its description, the next line (not the row before);
        # a table row, with neither: the rows beside it are other records.
        window = set(c.feats)
        before = candidates[i - 1] if i > 0 else None
        if with_context and _is_term(candidates, i):
            window |= candidates[i + 1].feats
        elif (
            with_context
            and before is not None
            and before.passage == c.passage
            and not (is_table_row(c.text) and is_table_row(before.text))
        ):
            window |= before.feats
        if with_context and _is_term(candidates, i):  # nothing without its description
            scores.append(share(frozenset(window), topic))
        else:
            scores.append(0.5 * share(c.feats, topic) + 0.5 * share(frozenset(window), topic))
    return scores


def _is_term(candidates: Sequence[_Candidate], i: int) -> bool:
    """A short line with a key, code or number and no sentence end, followed in its passage by
    a line without one: a table's or a definition list's term ("Ctrl + Shift + Enter",
    "522 循環参照") and its description (not the next of a list of figures)."""
    c = candidates[i]
    return (
        i + 1 < len(candidates)
        and candidates[i + 1].passage == c.passage
        and sum(not ch.isspace() for ch in c.text) <= 24
        and not c.text.endswith(_TERMINALS_END)
        and not is_table_row(c.text)  # a row's description is in its own cells
        and holds_identifier(c.text)
        and any(ch.isalpha() for ch in c.text)  # not a row of figures
        and not holds_identifier(candidates[i + 1].text)
    )


def _with_description(candidates: Sequence[_Candidate], i: int) -> str:
    """What a candidate's meaning is judged on: a term line together with its description."""
    if _is_term(candidates, i):
        return f"{candidates[i].text} {candidates[i + 1].text}"
    return candidates[i].text


def _continuation(
    question: str,
    top: int,
    order: Sequence[int],
    candidates: Sequence[_Candidate],
    bonus: list[float],
) -> list[int]:
    """The candidates that come first for the second place. The sentence right after the best
    one, when it holds the kind of fact asked for and the best one lacks it ("size: ルビ文字の
    大きさ." / "既定値は 0.5.") or offers another one ("papersize は既定で有効" / "無効にするには
    nopapersize を指定"); then, when the best one lacks it (its bonus a kind lower: a number
    without the unit asked), those that hold it best."""
    nxt = top + 1
    first: list[int] = []
    if nxt < len(candidates) and candidates[nxt].passage == candidates[top].passage:
        offered = answer_tokens(question, candidates[top].text)
        other = (
            asks_identifier(question) and answer_tokens(question, candidates[nxt].text) - offered
        )
        if bonus[nxt] > bonus[top] + _SAME_KIND or (bonus[nxt] > 0 and other):
            first = [nxt]
    most = max(bonus)
    if bonus[top] >= most - _SAME_KIND or most <= 0:
        return first
    return first + [i for i in order if bonus[i] == most]


def _answer_after_questions(candidates: Sequence[_Candidate], content: list[float]) -> list[float]:
    """A question inside a passage (FAQ, a worked example) is not the answer; the sentence
    after it may be, so it inherits most of the question's score."""
    scores = list(content)
    for i, c in enumerate(candidates):
        if c.text.rstrip().endswith(("?", "？")):
            scores[i] = 0.3 * content[i]
            nxt = i + 1
            if nxt < len(candidates) and candidates[nxt].passage == c.passage:
                scores[nxt] = max(scores[nxt], 0.8 * content[i])
    return scores


def _near_duplicate(a: _Candidate, b: _Candidate) -> bool:
    # Overlapping chunks repeat sentences; one copy is enough.
    if not a.feats or not b.feats:
        return fold(a.text) == fold(b.text)
    return len(a.feats & b.feats) / min(len(a.feats), len(b.feats)) >= 0.8


def _answer(picked: Sequence[tuple[_Candidate, float]], language: str) -> Answer:
    """The quotes in passage order, each with its relevance relative to the best one."""
    # Marker and spacing follow the quoted text's script, not the question's language.
    parts: list[str] = []
    quotes = [c for c, _ in picked]
    for prev, c in zip([None, *quotes], quotes, strict=False):
        if prev is not None:
            if not prev.text.endswith(_TERMINALS_END):
                parts.append("\n")  # slide bullets without punctuation: one per line
            elif prev.text[-1].isascii():
                parts.append(" ")
        marker = f"[{c.passage + 1}]"
        parts.append(f"{c.text} {marker}" if c.text[-1].isascii() else f"{c.text}{marker}")
    cited = tuple(dict.fromkeys(c.passage + 1 for c in quotes))
    sentences = tuple(
        CitedSentence(
            c.text, (c.passage + 1,), True, relevance, (SourceSpan(c.passage + 1, c.start, c.end),)
        )
        for c, relevance in picked
    )
    return Answer("".join(parts), cited, sentences, False, "extractive", language)


def _abstained(language: str) -> Answer:
    return Answer(abstention_message(language), (), (), True, "extractive", language)
