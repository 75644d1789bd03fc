"""Markdown structure in a generated answer: which lines are claims a passage could support.

Headings, table separator rows, rules, code fences and the code between them are not claims;
a table row is one only when it cites a passage. The text of a claim is reported without its
emphasis and table characters, so a reader sees the words, not `**` or `|`.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass

_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}(?:[ \t]|$)")
_TABLE_ROW = re.compile(r"^[ \t]*\|.*\|")
_TABLE_SEPARATOR = re.compile(
    r"^[ \t]*\|?[ \t]*:?-{1,}:?[ \t]*(?:\|[ \t]*:?-{1,}:?[ \t]*)*\|?[ \t]*$"
)
_RULE = re.compile(r"^[ \t]*([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_QUOTE = re.compile(r"^[ \t]*(?:>[ \t]?)+")
_EMPHASIS = re.compile(r"\*\*|__|~~|`")
# A list enumerator on its own ("1.", "(2)", "19."): a slide number or an empty item, no claim.
_ENUMERATOR = re.compile(r"[(（]?\d{1,3}[.)）．]?")


@dataclass(frozen=True)
class Line:
    text: str
    kind: str  # "prose", "row" (a table row), "heading", or "skip" (code, fences, rules)


def lines(text: str) -> Iterator[Line]:
    """Each line of ``text`` with its kind; code fences are tracked across lines."""
    fence = ""
    for line in text.split("\n"):
        opened = _FENCE.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = ""
            yield Line(line, "skip")
        elif opened:
            fence = opened.group(1)
            yield Line(line, "skip")
        elif _HEADING.match(line):
            yield Line(line, "heading")
        elif _RULE.match(line) or ("|" in line and _TABLE_SEPARATOR.match(line)):
            yield Line(line, "skip")
        elif _TABLE_ROW.match(line):
            yield Line(line, "row")
        else:
            yield Line(_QUOTE.sub("", line, count=1), "prose")


def row_text(row: str) -> str:
    """A table row's cells, space-separated."""
    return " ".join(cell.strip() for cell in row.strip().strip("|").split("|") if cell.strip())


def plain(sentence: str) -> str:
    """A sentence without emphasis and code characters."""
    return _EMPHASIS.sub("", sentence)


def is_claim(sentence: str) -> bool:
    """Words a passage could support: not a bare enumerator or punctuation."""
    return any(ch.isalnum() for ch in sentence) and not _ENUMERATOR.fullmatch(sentence)
