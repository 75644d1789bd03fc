"""Sentence spans: the one splitter that chunking, extraction and citation checks all use."""

import re

# Closing brackets and quotes stay with the sentence they close.
CLOSERS = "」』）)］]｝}〕〉》】〙〗｣\"'”’»"
BULLETS = "•●○■□◆◇▪▫▶►▸◦➢➤✓✔"
TERMINATORS = "。！？｡．.!?…"  # every character that may end a sentence
_CLOSER_CLASS = "[" + re.escape(CLOSERS) + "]"
_BULLET_CLASS = "[" + re.escape(BULLETS) + "]"
# Alternatives in priority order: blank line (hard break), Japanese terminators (always end),
# Latin terminators (end when followed by space; see _latin_end), line end, inline bullet.
# Normalized text has no full-width period (NFKC makes it "."); generated answers may.
_CANDIDATE = re.compile(
    r"(?P<blank>\n[^\S\n]*\n)"
    rf"|(?P<cjk>[。！？｡．][。！？｡．.!?]*{_CLOSER_CLASS}*)"
    rf"|(?P<latin>[.!?…]+{_CLOSER_CLASS}*)"
    r"|(?P<newline>\n)"
    rf"|(?P<bullet>[ \t]+(?={_BULLET_CLASS}))"
)
# A line that starts a list item: a bullet, a dash, or an enumerator such as "1." "(2)" "③".
LIST_ITEM = re.compile(
    rf"[ \t]*(?:{_BULLET_CLASS}|[・※]|[-*+–—](?=\s)|\d{{1,3}}[.)](?=\s)|[(（]\d{{1,3}}[)）]|[①-⑳])"
)
# Slide bullets inside a line, for split_fragments: " ・ " and the marks that are bullets even
# without spaces ("項目•次"). A "・" between words ("ソラマメ・ルーター") is no bullet, nor is
# "○" or "□" in running text ("a○b", "○×"): split_sentences starts an item at those only
# after a space.
_INLINE_BULLET = re.compile(r"\s+・\s+|^\s*・\s*|\s*[•●▪■◆]\s*")
_WORD_BEFORE = re.compile(r"(?<![A-Za-z])[A-Za-z]+$")
_ABBREVIATIONS = frozenset(
    {
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "cf", "fig", "figs", "eq", "eqs",
        "no", "nos", "vol", "vols", "pp", "al", "approx", "ca", "dept", "est",
    }
)  # fmt: skip
# A newline ends a sentence without punctuation once the sentence is this wide (CJK characters
# count double): slides and bullet lists have no punctuation, while a short line is usually a
# heading for what follows.
_LONG_SENTENCE_COLUMNS = 40
# A "sentence" that is only an enumerator ("1.", "a.", "IV.") goes on with its item.
_ENUMERATOR = re.compile(r"\d{1,3}|[A-Za-z]|[IVXivx]{1,4}")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` covering all non-space text of ``text``, in order.

    Sentences end after 。！？ (with closing brackets and quotes such as 」』）), after . ! ?
    followed by a space (not in numbers like 3.5, abbreviations like e.g./U.S./Dr., or
    enumerators like "1."), at blank lines, before inline bullets (•), and at a line end when the
    next line starts a list item or the sentence is already long. Spans never start or end with
    whitespace. Chunk boundaries of ingested documents follow these rules: changing them
    changes where chunks of newly ingested documents end.
    """
    cuts: list[int] = []
    start = 0  # start of the current sentence (may point at whitespace)
    for match in _CANDIDATE.finditer(text):
        kind = match.lastgroup
        if kind == "blank" or kind == "cjk":
            cut = match.start() if kind == "blank" else match.end()
        elif kind == "latin":
            if not _latin_end(text, match, start):
                continue
            cut = match.end()
        elif kind == "newline":
            if not text[start : match.start()].strip():
                continue
            if not (LIST_ITEM.match(text, match.end()) or _is_long(text, start, match.start())):
                continue
            cut = match.start()
        else:  # an inline bullet starts a new sentence
            if not text[start : match.start()].strip():
                continue
            cut = match.start()
        cuts.append(cut)
        start = cut
    cuts.append(len(text))

    spans: list[tuple[int, int]] = []
    begin = 0
    for cut in cuts:
        span = _strip_span(text, begin, cut)
        if span is not None:
            spans.append(span)
        begin = cut
    return spans


def split_fragments(text: str) -> list[tuple[int, int]]:
    """Spans of ``text``'s quotable pieces: ``split_sentences`` applied to each line and to
    each slide bullet item on its own (bullets left out), pieces without a letter or digit
    dropped. What an answer quotes and what a citation points at."""
    out: list[tuple[int, int]] = []
    line_start = 0
    for line_with_end in text.splitlines(keepends=True):
        line = line_with_end.splitlines()[0]
        part_start = 0
        for bullet in [*_INLINE_BULLET.finditer(line), None]:
            part_end = bullet.start() if bullet else len(line)
            part = line[part_start:part_end]
            base = line_start + part_start
            for start, end in split_sentences(part):
                if any(ch.isalnum() for ch in part[start:end]):
                    out.append((base + start, base + end))
            part_start = bullet.end() if bullet else part_start
        line_start += len(line_with_end)
    return out


def list_marker_end(line: str) -> int:
    """Where the text of a list item line begins: after its bullet or enumerator ("- ", "1. ",
    "(2)", "・") and the spaces after it; 0 when the line starts no list item."""
    marker = LIST_ITEM.match(line)
    if marker is None:
        return 0
    rest = line[marker.end() :]
    return len(line) - len(rest.lstrip(" \t\u3000"))


def is_wide(char: str) -> bool:
    """Does the character take two columns (CJK, kana, full-width forms)?"""
    return ord(char) >= 0x1100


def columns(text: str) -> int:
    """How wide the text is laid out: wide characters count double."""
    return len(text) + sum(1 for char in text if is_wide(char))


def _is_long(text: str, start: int, end: int) -> bool:
    return (
        end - start >= _LONG_SENTENCE_COLUMNS or columns(text[start:end]) >= _LONG_SENTENCE_COLUMNS
    )


def _latin_end(text: str, match: re.Match[str], start: int) -> bool:
    terminator = match.group()
    following = text[match.end()] if match.end() < len(text) else " "
    if "!" in terminator or "?" in terminator:
        # Not inside a URL query or "Yahoo!Japan"-like names, but before Japanese text.
        return following.isspace() or ord(following) > 0x7F
    if following.isspace():
        if match.start() - start <= 12:  # only a short sentence so far can be an enumerator
            before = text[start : match.start()].strip().lstrip(BULLETS + "・-*+ ")
            if _ENUMERATOR.fullmatch(before):
                return False
        word = _WORD_BEFORE.search(text, max(0, match.start() - 12), match.start())
        if word is None:
            return True
        return len(word.group()) > 1 and word.group().lower() not in _ABBREVIATIONS
    # Japanese text written with full-width periods: "である．次に" → "である.次に" after NFKC.
    previous = text[match.start() - 1] if match.start() > 0 else " "
    return terminator[0] == "." and ord(previous) >= 0x3000 and ord(following) >= 0x3000


def _strip_span(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None
