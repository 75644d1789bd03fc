"""What a question names: numbers, and the capitalised or mixed-case words of products,
packages and commands, which the extractive answerer weighs more and looks for in the
sentences it quotes; and the question's words every passage holds, its shared topic."""

import re
from collections.abc import Sequence

from generator.language import detect_language
from generator.records import Passage
from text.lexical import features

_DIGIT = re.compile(r"\d")


def entity_features(question: str) -> set[str]:
    """Features that look like names or numbers: digits and capitalised Latin words."""
    ents = {f for f in features(question) if _DIGIT.search(f)}
    for word in re.findall(r"\b[A-Z][A-Za-z0-9]*\b", question):
        ents |= features(word)
    return ents


def named_things(question: str) -> set[str]:
    """What a question is about by name: its numbers and capitalised or mixed-case words
    (GPT, upTeX) and, in a Japanese question, any Latin word (bxjsarticle)."""
    ents = {f for f in features(question) if _DIGIT.search(f)}
    latin = r"[A-Za-z0-9.+-]*"
    names = rf"[A-Za-z]{latin}" if detect_language(question) == "ja" else rf"[a-z]*[A-Z]{latin}"
    for word in re.findall(rf"(?<![A-Za-z0-9]){names}", question):
        if len(word) > 1:
            ents |= features(word)
    return ents


def in_every_passage(q_feats: set[str], passages: Sequence[Passage]) -> set[str]:
    """Question features found in every passage (title or text): the shared topic."""
    if len(passages) < 2:
        return set()
    common = set(q_feats)
    for p in passages:
        common &= features(f"{p.title}\n{p.text}")
    return common
