"""Question words matched through their translations, for the extractive answerer.

A Japanese question over an English manual (or the reverse) shares almost no words with the
sentence that answers it, so word overlap alone picks by numbers and names only. Given the
question words' translations and other names (the retrieval side's keyword bridge: JMdict,
loanwords and its glossary), a sentence that lacks a question word but holds one of its
translations gets part of that word's weight, as BM25 gives it in retrieval.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from text.lexical import features

# A question's words with their translations, each translation a sequence of words.
Translations = Callable[[str], Mapping[str, Sequence[Sequence[str]]]]

TRANSLATION_WEIGHT = 0.5  # of the word's own weight, as in the keyword bridge
MAX_TRANSLATIONS = 4  # per word, commonest first among those the candidates hold

_english = snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def _stem(feature: str) -> str:
    return _english.stemWord(feature) if feature.isascii() and feature.isalpha() else feature


def stems(feats: Iterable[str]) -> frozenset[str]:
    """Features with English words stemmed: a gloss says "sharing", the manual "shared"."""
    return frozenset(_stem(f) for f in feats)


@dataclass(frozen=True)
class TranslatedWord:
    own: frozenset[str]  # the word's features in the question
    translations: tuple[frozenset[str], ...]  # each translation's stemmed features


def translated_words(
    question: str, translations: Translations, present: Collection[str]
) -> list[TranslatedWord]:
    """The question's words with translations made only of stemmed features in `present`
    (the candidates'): a translation no candidate holds can't match anything."""
    q_feats = features(question)
    q_stems = stems(q_feats)
    words = []
    for word, alternatives in translations(question).items():
        # A one-character word (量 of メモリ量) is inside the question's bigrams, not one.
        own = frozenset(features(word) & q_feats or {f for f in q_feats if word in f})
        kept: list[frozenset[str]] = []
        for alternative in alternatives:
            feats = stems(features(" ".join(alternative)))
            # One that shares a feature with the question is no translation ("table" ↔ 表).
            if feats and not feats & q_stems and all(f in present for f in feats):
                kept.append(feats)
            if len(kept) == MAX_TRANSLATIONS:
                break
        if own and kept:
            words.append(TranslatedWord(own, tuple(dict.fromkeys(kept))))
    return words


def translated_weight(
    words: Sequence[TranslatedWord], feats: frozenset[str], weights: Mapping[str, float]
) -> float:
    """The weight a text of features `feats` earns through translations: for each question
    word it lacks and holds a translation of, TRANSLATION_WEIGHT of the word's own weight."""
    total = 0.0
    stemmed = stems(feats) if words else frozenset()
    for word in words:
        missing = word.own - feats
        if missing and any(t <= stemmed for t in word.translations):
            total += TRANSLATION_WEIGHT * sum(weights.get(f, 0.0) for f in missing)
    return total
