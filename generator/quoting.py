"""What an extractive answer quotes: a passage's sentences, short ones merged, long ones cut;
and what a quote is: a heading, a table row, a name's definition."""

from __future__ import annotations

import re
from dataclasses import dataclass

from text.normalize import fold
from text.sentences import LIST_ITEM, TERMINATORS, columns, is_wide, split_fragments

# Between the parts of a heading path ("Manual: 2.2 Input files › 2.2.2 Notes"), and the
# punctuation a heading line may end with.
_PATH_PARTS = re.compile(r"\s*(?:›|: )\s*")
_TRAILING = " .。:："
# A line at least this wide (CJK characters count double) that stops mid-sentence was wrapped
# (PDF text, hard-wrapped plain text): its sentence goes on in the next line. A page set in
# narrower columns (two-column layouts) wraps its lines at its own measure: most of its lines
# are about as wide as its wrapped ones, and a wrapped line comes within _NEAR of them.
_WRAP_COLUMNS = 60
_MIN_WRAP_COLUMNS = 30
_NEAR = 0.85
_MEASURED_LINES = 8  # fewer lines say too little about a page's measure


@dataclass(frozen=True)
class Quote:
    """Text to quote and, per character, its offset in the passage text: fragments joined
    into one quote may have a space where the passage has a line break or a bullet."""

    text: str
    offsets: tuple[int, ...]

    @property
    def start(self) -> int:
        """Where the quote begins in the passage text."""
        return self.offsets[0]

    @property
    def end(self) -> int:
        """Where it ends (exclusive); the passage text between may differ in spaces."""
        return self.offsets[-1] + 1

    @property
    def size(self) -> int:
        return sum(not ch.isspace() for ch in self.text)

    def join(self, other: Quote, wrapped: bool = False) -> Quote:
        # Fragments are separate bullets or lines unless a Japanese sentence ended; a line
        # wrapped inside Japanese text goes on without a space.
        if self.text.endswith(("。", "！", "？")) or (
            wrapped and is_wide(self.text[-1]) and is_wide(other.text[0])
        ):
            return Quote(self.text + other.text, self.offsets + other.offsets)
        gap = (self.offsets[-1] + 1,)
        return Quote(f"{self.text} {other.text}", self.offsets + gap + other.offsets)

    def strip(self) -> Quote:
        start, end = 0, len(self.text)
        while start < end and self.text[start].isspace():
            start += 1
        while end > start and self.text[end - 1].isspace():
            end -= 1
        return Quote(self.text[start:end], self.offsets[start:end])


def quotes(text: str, min_chars: int, max_chars: int, wrapped_lines: bool = False) -> list[Quote]:
    """The pieces of ``text`` an answer may quote, in order: its fragments
    (``split_fragments``), those under ``min_chars`` non-space characters joined to the next,
    those over ``max_chars`` characters cut. With ``wrapped_lines`` (text laid out by width:
    PDF pages, hard-wrapped plain text) a wide line that stops mid-sentence goes on into the
    next; elsewhere (HTML, DOCX) a line is a paragraph, a table row or a line of code."""
    merged: list[Quote] = []
    carry: Quote | None = None
    wrapped = False
    width = _wrap_width(text) if wrapped_lines else 0
    for start, end in split_fragments(text):
        piece = Quote(text[start:end], tuple(range(start, end)))
        piece = carry.join(piece, wrapped) if carry else piece
        wrapped = wrapped_lines and _wraps(text, end, width) and piece.size < max_chars
        if piece.size < min_chars or wrapped:
            carry = piece
            continue
        carry = None
        merged.extend(_cut(piece, max_chars))
    if carry:
        if merged and merged[-1].size + carry.size <= max_chars:
            merged[-1] = merged[-1].join(carry)
        elif sum(ch.isalnum() for ch in carry.text) >= 2:
            merged.append(carry)
    return merged


def _cut(quote: Quote, max_chars: int) -> list[Quote]:
    """Cut an over-long fragment (slides and PDFs often lack punctuation) at commas/spaces."""
    out: list[Quote] = []
    while len(quote.text) > max_chars:
        window = quote.text[:max_chars]
        at = max(window.rfind("、"), window.rfind(", "), window.rfind("，"), window.rfind(" "))
        at = at + 1 if at > max_chars // 2 else max_chars
        head = Quote(quote.text[:at], quote.offsets[:at]).strip()
        if head.text:
            out.append(head)
        quote = Quote(quote.text[at:], quote.offsets[at:]).strip()
    if quote.text:
        out.append(quote)
    return out


def lines_wrapped_by_width(source: str) -> bool:
    """Is a file's text laid out by width, its lines cut wherever the page or editor ended
    them: PDF and plain text (not HTML, Markdown or DOCX, whose lines are paragraphs)."""
    return source.lower().endswith((".pdf", ".txt"))


def _wrap_width(text: str) -> int:
    """How wide a line of this text must be to have been wrapped: _WRAP_COLUMNS, or less where
    most lines are narrower (the upper quartile of line widths, less a margin)."""
    widths = sorted(columns(line.strip()) for line in text.splitlines() if line.strip())
    if len(widths) < _MEASURED_LINES:
        return _WRAP_COLUMNS
    measure = widths[(3 * len(widths)) // 4]
    return max(_MIN_WRAP_COLUMNS, min(_WRAP_COLUMNS, round(_NEAR * measure)))


def _wraps(text: str, end: int, width: int) -> bool:
    """Does the fragment ending at `end` end a wrapped line: a wide one, without a sentence
    end, followed by a line that starts no list item (not a blank line)?"""
    rest = text[end:]
    after = len(rest) - len(rest.lstrip(" \t"))
    if not rest[after:].startswith("\n") or rest[after + 1 : after + 2] in ("", "\n"):
        return False
    line = text[text.rfind("\n", 0, end) + 1 : end]
    if line.endswith(tuple(TERMINATORS)):
        return False
    return columns(line) >= width and not LIST_ITEM.match(text, end + after + 1)


def is_heading(text: str, heading_path: str) -> bool:
    """Is the quote one of its passage's headings ("2.2.2 入力ファイルに取り組む" under
    "学習マニュアル: 2.2.2 入力ファイルに取り組む")? A heading names a topic, never a fact."""
    line = fold(text).strip(_TRAILING)
    return bool(line) and any(
        fold(part).strip(_TRAILING) == line for part in _PATH_PARTS.split(heading_path)
    )


def is_table_row(text: str) -> bool:
    """A table row as ingest writes one, cells joined by " | ". The row above it is another
    record, not its context: its header is (in the passage title)."""
    return " | " in text


def defines(text: str, names: set[str]) -> bool:
    """Does the text open with one of the (folded) names, as an option list or a glossary
    entry defines one ("-g 日本語の頭文字の区切りを…", "shared_buffers (integer)")?"""
    opening = fold(text).lstrip(" `「『‘“(（")
    return any(opening.startswith(name) for name in names)
