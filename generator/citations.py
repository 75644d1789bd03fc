"""Parse [n] citation markers out of a generated answer and check each against its passages."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

from generator.language import is_abstention
from generator.lexical import CLOSERS, features, is_terminal
from generator.records import CitedSentence, Passage

# [1]  [1, 2]  [1-3]  ［１］  【2】  [1、3]  (brackets and digits in ASCII or full width)
_MARKER = re.compile(
    r"[\[［【]\s*[0-9０-９]+(?:\s*[,，、;；\-–—‐−~～〜]\s*[0-9０-９]+)*\s*[\]］】]"
)
_CANONICAL = re.compile(r"\[(\d+)\]")
_TRAILING_MARKERS = re.compile(r"[ \t\u3000]*(?:\[\d+\])+")
_BULLET = re.compile(r"^\s*(?:[-*•・●○■□◆◇▪‣]|\d+[.)]|[（(]\d+[)）])\s+|^\s*[•・●■◆▪]")
_SPACE_BEFORE_PUNCT = re.compile(r"[ \t\u3000]+([。、，．！？.,!?:;)）」』])")
_MAX_RANGE = 20  # [1-200] is a typo or a hallucination, not 200 citations

SupportScorer = Callable[[str, list[str]], list[float]]


def parse_citations(text: str, n_passages: int) -> tuple[str, list[tuple[str, tuple[int, ...]]]]:
    """Split an answer into sentences with the passage numbers each one cites.

    Returns the answer text with every marker rewritten as ``[n]`` (numbers that name no
    passage dropped, a marker with nothing valid left removed) and, per sentence, its text
    without markers and its valid passage numbers in order. Markers right after the sentence's
    punctuation on the same line ("…した。[1]", "It is. [2] Next") belong to that sentence.
    """
    clean = _rewrite_markers(text, n_passages)
    sentences: list[tuple[str, tuple[int, ...]]] = []
    pending: list[int] = []  # markers seen before any sentence text
    for raw in _split(clean):
        nums = [int(n) for n in _CANONICAL.findall(raw)]
        body = _tidy(_CANONICAL.sub("", raw))
        if not any(ch.isalnum() for ch in body):
            if sentences:  # a line of bare markers cites the sentence before it
                prev_text, prev_nums = sentences[-1]
                sentences[-1] = (prev_text, _unique([*prev_nums, *nums]))
            else:
                pending.extend(nums)
            continue
        sentences.append((body, _unique([*pending, *nums])))
        pending = []
    return clean, sentences


def verify(
    sentences: Sequence[tuple[str, tuple[int, ...]]],
    passages: Sequence[Passage],
    threshold: float = 0.5,
    support_scorer: SupportScorer | None = None,
) -> tuple[CitedSentence, ...]:
    """Score each sentence against the passages it cites and mark it supported or not.

    Support is the share of the sentence's content features (CJK bigrams, Latin words) found in
    the cited passage (title included), the best over its citations. ``support_scorer`` (e.g.
    embedding similarity of the sentence to each passage text) may raise it, which matters for
    answers in one language from passages in the other. A sentence without citations is
    unsupported unless it is the "documents don't say" phrase.
    """
    passage_feats = [features(f"{p.title}\n{p.text}") for p in passages]
    out: list[CitedSentence] = []
    for sentence, nums in sentences:
        valid = tuple(n for n in nums if 1 <= n <= len(passages))
        if not valid:
            out.append(CitedSentence(sentence, (), is_abstention(sentence), 0.0))
            continue
        feats = features(sentence)
        scores = [len(feats & passage_feats[n - 1]) / len(feats) if feats else 0.0 for n in valid]
        if support_scorer is not None:
            semantic = support_scorer(sentence, [passages[n - 1].text for n in valid])
            scores = [max(a, min(1.0, b)) for a, b in zip(scores, semantic, strict=True)]
        support = max(scores)
        out.append(CitedSentence(sentence, valid, support >= threshold, support))
    return tuple(out)


def _rewrite_markers(text: str, n_passages: int) -> str:
    parts: list[str] = []
    last = 0
    for m in _MARKER.finditer(text):
        nums = [n for n in _marker_numbers(m.group()) if 1 <= n <= n_passages]
        head = text[last : m.start()]
        if not nums:
            head = head.rstrip(" \t\u3000")  # "foo [9]." -> "foo."
        parts.append(head)
        parts.append("".join(f"[{n}]" for n in _unique(nums)))
        last = m.end()
    parts.append(text[last:])
    return "".join(parts)


def _marker_numbers(marker: str) -> list[int]:
    inner = unicodedata.normalize("NFKC", marker)[1:-1]
    nums: list[int] = []
    for part in re.split(r"\s*[,、;]\s*", inner.strip()):
        bounds = [int(x) for x in re.findall(r"\d+", part)]
        if len(bounds) == 2 and 0 < bounds[1] - bounds[0] <= _MAX_RANGE:
            nums.extend(range(bounds[0], bounds[1] + 1))
        else:
            nums.extend(bounds)
    return nums


def _split(clean: str) -> list[str]:
    """Sentences of the marker-canonical text: on 。！？.!?, newlines and bullets."""
    out: list[str] = []
    for line in clean.split("\n"):
        line = _BULLET.sub("", line, count=1)
        start = i = 0
        while i < len(line):
            if not is_terminal(line, i):
                i += 1
                continue
            j = i + 1
            while j < len(line) and line[j] in CLOSERS:
                j += 1
            m = _TRAILING_MARKERS.match(line, j)
            if m:
                j = m.end()
            out.append(line[start:j])
            start = i = j
        if start < len(line):
            out.append(line[start:])
    return out


def _tidy(sentence: str) -> str:
    return _SPACE_BEFORE_PUNCT.sub(r"\1", re.sub(r"[ \t\u3000]{2,}", " ", sentence)).strip()


def _unique(nums: Sequence[int]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(nums))
