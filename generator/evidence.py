"""Is there evidence to answer from? The signals an answerer abstains on.

Near-miss questions ("エラーコード 541", "the -x option", "PostgreSQL 16") retrieve passages
as similar as those of answerable ones, so a similarity threshold alone cannot tell them apart;
what tells is that the very thing they name is in no passage. Coverage of the question's
content words is only measured when every passage is in the question's language: a Japanese
question answered by English text shares little more than its names with it, and one
unrelated Japanese passage among English ones says nothing about the English ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePath as Path

from generator.language import detect_language
from generator.records import Passage
from text.lexical import features, mentions_version, versioned_names
from text.normalize import fold

# What a question names exactly: an option (-x, --compress), a number of three digits or more
# (541), a quoted name (「見出し 6」), a Latin word with a digit or underscore (shared_buffers,
# Ver1.30); in a Japanese question also any Latin word (zstd, GB): there Latin script is a name.
_OPTION = r"(?<![A-Za-z0-9_-])--?[A-Za-z][A-Za-z0-9_-]*"
_LONG_NUMBER = r"(?<![A-Za-z0-9_.,])\d{3,}(?![A-Za-z0-9_.,])"
_QUOTED = r"[「『][^」』]{1,30}[」』]"
_CODE_WORD = r"(?<![A-Za-z0-9_.+-])[A-Za-z][A-Za-z0-9_.+-]*[0-9_][A-Za-z0-9_.+-]*"
_LATIN_WORD = r"(?<![A-Za-z0-9_.+-])[A-Za-z]{2,}(?![A-Za-z0-9_.+-])"
_NOT_ALNUM = re.compile(r"[\W_]+")
# The unit a quantity question asks in ("最低何GBのメモリ"): the answer states a number in it.
_ASKED_UNIT = re.compile(r"何\s*([A-Za-z]{1,5})(?![A-Za-z])")

# (document ids, a fragment) → texts of those documents' chunks holding the fragment, case
# aside: where a name missing from the passages may still be.
DocumentTexts = Callable[[Sequence[int], str], list[str]]
# Names looked up in the documents per question: one that names more is no near miss to
# rescue (and a hostile one costs a bounded number of queries).
_MAX_LOOKUPS = 8


@dataclass(frozen=True)
class EvidenceSignals:
    """Per question: the best passage score, the share of the question's content words the
    best passage holds (None unless every passage is in the question's language),
    a version the question names that no passage names, and the names no passage holds."""

    best_score: float
    coverage: float | None
    missing_version: bool
    missing_names: tuple[str, ...]


def evidence_signals(
    question: str, passages: Sequence[Passage], document_texts: DocumentTexts | None = None
) -> EvidenceSignals:
    """The signals of ``question`` over the passages it would be answered from. With
    ``document_texts``, a name counts as held when the passages' documents hold it anywhere:
    the page about Calc's CELL function is about Calc, though the passage may not say so."""
    language = detect_language(question)
    texts = [f"{p.title}\n{p.text}" for p in passages]
    named = [f"{Path(p.source).name}\n{t}" for p, t in zip(passages, texts, strict=True)]
    same = [p.text for p in passages if detect_language(p.text) == language]
    wanted = features(question)
    coverage = None
    if same and wanted and len(same) == len(passages):
        coverage = max(len(wanted & features(t)) / len(wanted) for t in same)
    missing_version = any(
        not any(mentions_version(t, name, version) for t in named)
        for name, version in versioned_names(question)
    )
    missing = tuple(n for n in named_exactly(question) if not _held(n, named))
    if missing and document_texts is not None:
        missing = _missing_from_documents(question, missing, passages, document_texts)
    best = max((p.score for p in passages), default=0.0)
    return EvidenceSignals(best, coverage, missing_version, missing)


def too_weak(signals: EvidenceSignals, min_score: float, min_coverage: float) -> bool:
    """Abstain: the best score is under ``min_score``, the question names a version or a
    thing no passage names, or the passages (all in its language) hold under
    ``min_coverage`` of its content words."""
    if signals.best_score < min_score or signals.missing_version or signals.missing_names:
        return True
    return signals.coverage is not None and signals.coverage < min_coverage


def named_exactly(question: str) -> list[str]:
    """The names in a question that an answer's passage must hold as they are."""
    shapes = [_OPTION, _LONG_NUMBER, _QUOTED, _CODE_WORD]
    if detect_language(question) == "ja":
        shapes.append(_LATIN_WORD)
    names = re.findall("|".join(shapes), question)
    return [n for n in dict.fromkeys(names) if _squash(n)]


def _missing_from_documents(
    question: str,
    names: Sequence[str],
    passages: Sequence[Passage],
    document_texts: DocumentTexts,
) -> tuple[str, ...]:
    """Of the names no passage holds, those the passages' documents don't hold either. A
    unit asked in ("何GB") must be in a passage: that is where the number would be."""
    documents = sorted({p.document_id for p in passages if p.document_id is not None})
    units = set(_ASKED_UNIT.findall(question))

    def elsewhere(name: str) -> bool:
        fragment = max(re.findall(r"[^\W_]+", fold(name)), key=len, default="")
        return bool(documents) and _held(name, document_texts(documents, fragment))

    if len(names) > _MAX_LOOKUPS:
        return tuple(names)
    return tuple(n for n in names if n in units or not elsewhere(n))


def _held(name: str, texts: Sequence[str]) -> bool:
    """Is the name in one of the texts: quoted names compared without spacing or punctuation,
    others as whole words ("-x" is not in "-xelatex", "541" not in "5412"), spaces and
    hyphens inside ignored (PDF text has "GPT -1"; "X-3" is "X3")."""
    if name[0] in "「『":
        return any(_squash(name) in _squash(t) for t in texts)
    folded = re.sub(r"\s+", "", fold(name))
    lead = folded[: len(folded) - len(folded.lstrip("-"))]  # an option's own dashes
    body = folded[len(lead) :].replace("-", "")
    joined = r"[-_\s]*".join(map(re.escape, body))
    word = rf"(?<![a-z0-9]){re.escape(lead)}{joined}(?![a-z0-9])"
    return any(re.search(word, fold(t)) for t in texts)


def _squash(text: str) -> str:
    # Spacing and punctuation differ between a question and the text ("見出し6", "あ・か…").
    return _NOT_ALNUM.sub("", fold(text))
