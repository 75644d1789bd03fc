"""What a question names: numbers, and the capitalised or mixed-case words of products,
packages and commands, which the extractive answerer weighs more and looks for in the
sentences it quotes (and their passages' titles and file names); and the question's words
every passage holds, its shared topic."""

import re
from collections.abc import Sequence
from pathlib import PurePath

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


def file_name_features(source: str) -> set[str]:
    """Features of a file's name, split at punctuation and where letters meet digits: a
    manual's file name often names its product and version ("postgresql15_runtime-config")."""
    stem = PurePath(source).stem
    return features(re.sub(r"[_\W]+|(?<=[A-Za-z])(?=\d)", " ", stem))


def entity_focus(
    question: str,
    feats: Sequence[frozenset[str]],
    passage_of: Sequence[int],
    passages: Sequence[Passage],
) -> list[float]:
    """Per candidate sentence (its features, its passage's index, in passage order): a
    question naming something (StarCoder, upTeX, PostgreSQL) wants sentences about it, so a
    sentence gets a factor of 3/4 when neither it, nor anything before it in its passage, nor
    its passage's title or file name mentions one of the names, else 1. Names that nothing
    mentions (another language, say) don't count."""
    titles = [features(p.title) | file_name_features(p.source) for p in passages]
    present = set().union(*feats, *titles)
    names = {f for f in named_things(question) if f in present and not f.isdigit()}
    if not names:
        return [1.0] * len(feats)
    out = []
    seen: set[str] = set()
    for i, (own, passage) in enumerate(zip(feats, passage_of, strict=True)):
        if i == 0 or passage_of[i - 1] != passage:
            seen = set(titles[passage])
        seen |= own
        out.append(1.0 if seen & names else 0.75)
    return out
