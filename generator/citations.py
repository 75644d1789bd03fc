"""Parse [n] citation markers out of a generated answer and check each against its passages."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence

from generator.language import is_abstention
from generator.markup import is_claim, lines, plain, row_text
from generator.records import CitedSentence, Passage, SourceSpan
from text.lexical import features
from text.sentences import CLOSERS, TERMINATORS, list_marker_end, split_fragments, split_sentences

# [1]  [1, 2]  [1-3]  ［１］  【2】  [1、3]  (brackets and digits in ASCII or full width)
_MARKER = re.compile(
    r"[\[［【]\s*[0-9０-９]+(?:\s*[,，、;；\-–—‐−~～〜]\s*[0-9０-９]+)*\s*[\]］】]"
)
_CANONICAL = re.compile(r"\[(\d+)\]")
_TRAILING_MARKERS = re.compile(r"[ \t\u3000]*(?:\[\d+\])+")
_SPACE_BEFORE_PUNCT = re.compile(r"[ \t\u3000]+([。、，．！？.,!?:;)）」』])")
_MAX_RANGE = 20  # [1-200] is a typo or a hallucination, not 200 citations
_BREAK = re.compile(f"[{re.escape(TERMINATORS)}\n]")  # what can end a sentence (see _spans)
# Markers right after a sentence's punctuation: the model ended a sentence there ("320 g. [2]").
_CITED_END = re.compile(
    rf"[{re.escape(TERMINATORS)}]+[{re.escape(CLOSERS)}]*[ \t\u3000]*(?:\[\d+\])+"
)
_OPENERS = "「『“‘\"'"  # may start a sentence; never part of a marker or a bullet

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
    for raw in _claims(clean):
        nums = [int(n) for n in _CANONICAL.findall(raw)]
        body = _tidy(plain(_CANONICAL.sub("", raw)))
        if not is_claim(body):
            if sentences:  # a line of bare markers cites the sentence before it
                prev_text, prev_nums = sentences[-1]
                sentences[-1] = (prev_text, _unique([*prev_nums, *nums]))
            else:
                pending.extend(nums)
            continue
        sentences.append((body, _unique([*pending, *nums])))
        pending = []
    return clean, sentences


def _claims(clean: str) -> Iterator[str]:
    """The sentences of ``clean`` that may be claims, markers still in: prose sentences, and
    a table row that cites a passage as one sentence of its cells. A heading's markers are
    handed on (as a line of bare markers) to the sentence after it; code, fences, rules and
    rows without markers are left out."""
    carried = ""
    for line in lines(clean):
        if line.kind == "heading":
            carried += "".join(m.group() for m in _CANONICAL.finditer(line.text))
            continue
        if line.kind == "row" and _CANONICAL.search(line.text):
            pieces = [row_text(line.text)]
        elif line.kind == "prose":
            pieces = [line.text[start:end] for start, end in _spans(line.text)]
        else:
            continue
        for piece in pieces:
            yield carried + piece
            carried = ""


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
    unsupported unless it is the "documents don't say" phrase. In each cited passage, the
    sentence (``split_fragments``) sharing the most features with the answer sentence is
    recorded as its span.
    """
    passage_feats = [features(f"{p.title}\n{p.text}") for p in passages]
    sentence_feats: dict[int, list[tuple[int, int, set[str]]]] = {}
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
        spans = []
        for n in valid:
            if n not in sentence_feats:
                text = passages[n - 1].text
                sentence_feats[n] = [(s, e, features(text[s:e])) for s, e in split_fragments(text)]
            spans.append(_best_sentence(feats, n, sentence_feats[n], len(passages[n - 1].text)))
        out.append(CitedSentence(sentence, valid, support >= threshold, support, tuple(spans)))
    return tuple(out)


def _best_sentence(
    feats: set[str], n: int, candidates: list[tuple[int, int, set[str]]], length: int
) -> SourceSpan:
    """The passage sentence sharing the most features (the first of equals); the whole
    passage when none shares any (support from ``support_scorer`` alone, say)."""
    best, best_overlap = SourceSpan(n, 0, length), 0
    for start, end, sentence_feats in candidates:
        overlap = len(feats & sentence_feats)
        if overlap > best_overlap:
            best, best_overlap = SourceSpan(n, start, end), overlap
    return best


class SentenceRelease:
    """Lets a generated answer out a sentence at a time, its citation markers already checked.

    ``feed`` takes the model's pieces and returns the text that is now final: whole sentences
    of ``parse_citations``' clean text (invalid numbers dropped, markers canonical), released
    once the next sentence has begun, because markers after a sentence's full stop belong to
    it. ``close`` returns the rest. The pieces joined are exactly the text of the checked
    (non-streamed) answer, ``parse_citations(text)[0].strip()``.
    """

    def __init__(self, n_passages: int) -> None:
        self.n_passages = n_passages
        self.released = ""  # what was let out so far (leading whitespace dropped)
        self._pending = ""  # what the model wrote after the last release

    def feed(self, piece: str) -> str:
        self._pending += piece
        if not any(_is_boundary_char(ch) for ch in piece) or not _BREAK.search(self._pending):
            return ""  # no sentence can have begun: a cut is always at a letter or a quote
        clean = _rewrite_markers(self._pending, self.n_passages)
        cut = _settled_length(clean)
        if cut == 0:
            return ""
        # The cut is at a letter or a quote: never inside a marker, so the clean text before
        # it has the same letters and quotes as the raw text before the same character.
        self._pending = self._pending[
            _nth_boundary_char(self._pending, _count_boundary(clean[:cut])) :
        ]
        return self._let_out(clean[:cut])

    def close(self) -> str:
        clean = _rewrite_markers(self._pending, self.n_passages)
        self._pending = ""
        return self._let_out(clean.rstrip())

    def _let_out(self, piece: str) -> str:
        if not self.released:
            piece = piece.lstrip()
        self.released += piece
        return piece


def _settled_length(clean: str) -> int:
    """How much of a growing clean text no later text can change: up to the start of the last
    sentence that begins with a letter or an opening quote. Such a character is never part of a
    marker, so markers still to come cannot reach back across it (a dropped marker eats the
    spaces before it), and the sentences before it are complete with their markers. Only the
    text after the last cut is examined, so a long answer costs linear time, not quadratic;
    a cut is never where a bullet could start, so the sentence split there is the same."""
    for start, end in reversed(_spans(clean)[1:]):
        head = clean[start:end]
        first = len(head) - len(head.lstrip())
        if first < len(head) and _is_boundary_char(head[first]):
            return start + first
    return 0


def _is_boundary_char(ch: str) -> bool:
    return ch.isalpha() or ch in _OPENERS


def _count_boundary(text: str) -> int:
    return sum(_is_boundary_char(ch) for ch in text)


def _nth_boundary_char(text: str, n: int) -> int:
    """The index of ``text``'s letter-or-quote number ``n`` (0-based)."""
    seen = 0
    for i, ch in enumerate(text):
        if _is_boundary_char(ch):
            if seen == n:
                return i
            seen += 1
    raise ValueError("fewer letters than counted")


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


def _spans(clean: str) -> list[tuple[int, int]]:
    """Where each sentence of ``clean`` lies: each line (list markers left out) cut where
    ``split_sentences`` ends a sentence; together they cover every line.

    A sentence ends where ``split_sentences`` ends one (markers right after it join it) and
    after any markers that follow punctuation, which the model wrote at a sentence's end.
    """
    out: list[tuple[int, int]] = []
    line_start = 0
    for raw_line in clean.split("\n"):
        skipped = list_marker_end(raw_line)
        line = raw_line[skipped:]
        offset = line_start + skipped
        ends = {m.end() for m in _CITED_END.finditer(line)}
        for _, end in split_sentences(line)[:-1]:
            m = _TRAILING_MARKERS.match(line, end)
            ends.add(m.end() if m else end)
        start = 0
        for end in sorted(ends):
            if line[start:end].strip():
                out.append((offset + start, offset + end))
                start = end
        if start < len(line):
            out.append((offset + start, offset + len(line)))
        line_start += len(raw_line) + 1
    return out


def _tidy(sentence: str) -> str:
    return _SPACE_BEFORE_PUNCT.sub(r"\1", re.sub(r"[ \t\u3000]{2,}", " ", sentence)).strip()


def _unique(nums: Sequence[int]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(nums))
