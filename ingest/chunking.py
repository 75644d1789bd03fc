"""Sentence-aware chunking of page texts with token budgets and sentence overlap."""

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass

PAGE_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class TextChunk:
    text: str  # == document_text[char_start:char_end] exactly
    char_start: int
    char_end: int
    page_start: int  # 1-based page of char_start
    page_end: int  # 1-based page of char_end - 1
    token_count: int


def join_pages(pages: list[str]) -> tuple[str, list[int]]:
    """Return the document text (pages joined by PAGE_SEPARATOR) and each page's start offset."""
    offsets: list[int] = []
    position = 0
    for page in pages:
        offsets.append(position)
        position += len(page) + len(PAGE_SEPARATOR)
    return PAGE_SEPARATOR.join(pages), offsets


def page_of(page_offsets: list[int], char: int) -> int:
    """1-based number of the page holding document offset ``char``."""
    return max(1, bisect.bisect_right(page_offsets, char))


_CLOSERS = "」』）)］]｝}〕〉》】〙〗｣\"'”’»"
_BULLETS = "•●○■□◆◇▪▫▶►▸◦➢➤✓✔"
_CLOSER_CLASS = "[" + re.escape(_CLOSERS) + "]"
_BULLET_CLASS = "[" + re.escape(_BULLETS) + "]"
# Alternatives in priority order: blank line (hard break), Japanese terminators (always end),
# Latin terminators (end when followed by space; see _latin_end), line end, inline bullet.
_CANDIDATE = re.compile(
    r"(?P<blank>\n[^\S\n]*\n)"
    rf"|(?P<cjk>[。！？｡][。！？｡.!?]*{_CLOSER_CLASS}*)"
    rf"|(?P<latin>[.!?…]+{_CLOSER_CLASS}*)"
    r"|(?P<newline>\n)"
    rf"|(?P<bullet>[ \t]+(?={_BULLET_CLASS}))"
)
# A line that starts a list item: a bullet, a dash, or an enumerator such as "1." "(2)" "③".
_LIST_ITEM = re.compile(
    rf"[ \t]*(?:{_BULLET_CLASS}|[・※]|[-*+–—](?=\s)|\d{{1,3}}[.)](?=\s)|[(（]\d{{1,3}}[)）]|[①-⑳])"
)
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
    whitespace.
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
            if not (_LIST_ITEM.match(text, match.end()) or _is_long(text, start, match.start())):
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


def _is_long(text: str, start: int, end: int) -> bool:
    if end - start >= _LONG_SENTENCE_COLUMNS:
        return True
    wide = sum(1 for char in text[start:end] if ord(char) >= 0x1100)
    return end - start + wide >= _LONG_SENTENCE_COLUMNS


def _latin_end(text: str, match: re.Match[str], start: int) -> bool:
    terminator = match.group()
    following = text[match.end()] if match.end() < len(text) else " "
    if "!" in terminator or "?" in terminator:
        # Not inside a URL query or "Yahoo!Japan"-like names, but before Japanese text.
        return following.isspace() or ord(following) > 0x7F
    if following.isspace():
        if match.start() - start <= 12:  # only a short sentence so far can be an enumerator
            before = text[start : match.start()].strip().lstrip(_BULLETS + "・-*+ ")
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


def chunk_pages(
    pages: list[str],
    count_tokens: Callable[[str], int],
    max_tokens: int,
    overlap_tokens: int,
) -> list[TextChunk]:
    """Pack whole sentences of the (normalized) pages into chunks of at most ``max_tokens``.

    Consecutive chunks share whole trailing sentences worth at most ``overlap_tokens``; each
    sentence is in at most two chunks. A sentence longer than ``max_tokens`` is split at word or
    character boundaries. Chunks may span pages. ``count_tokens`` is called once per sentence
    and once per chunk (to record the chunk's exact count), plus a few times per overlong
    sentence.
    """
    if max_tokens < 1:
        raise ValueError("max_tokens must be at least 1")
    if overlap_tokens < 0:
        raise ValueError("overlap_tokens must not be negative")
    text, offsets = join_pages(pages)
    units: list[tuple[int, int, int]] = []  # (start, end, tokens): sentences or their pieces
    for start, end in split_sentences(text):
        tokens = count_tokens(text[start:end])
        if tokens <= max_tokens:
            units.append((start, end, tokens))
        else:
            units.extend(_split_long(text, start, end, tokens, count_tokens, max_tokens))

    chunks: list[TextChunk] = []
    for first, last, tokens in _pack(text, units, count_tokens, max_tokens, overlap_tokens):
        start, end = units[first][0], units[last - 1][1]
        page_start, page_end = page_of(offsets, start), page_of(offsets, end - 1)
        chunks.append(TextChunk(text[start:end], start, end, page_start, page_end, tokens))
    return chunks


def _pack(
    text: str,
    units: list[tuple[int, int, int]],
    count_tokens: Callable[[str], int],
    max_tokens: int,
    overlap_tokens: int,
) -> list[tuple[int, int, int]]:
    """Group consecutive units into chunks: ``(first, last exclusive, tokens)`` each.

    Unit counts are added to fill a chunk; the chunk's own text is then counted once, since
    the gaps between sentences may cost tokens too, and trailing units are dropped while it
    is over budget. Only units new in a chunk are carried into the next one as overlap, so a
    unit appears in at most two chunks.
    """
    counts = [unit[2] for unit in units]

    def tokens_of(first: int, last: int) -> int:
        if last - first == 1:
            return counts[first]
        return count_tokens(text[units[first][0] : units[last - 1][1]])

    chunks: list[tuple[int, int, int]] = []
    start = 0  # first unit of the next chunk (an overlap unit, or the first new one)
    covered = 0  # units before this index are already in a chunk
    while covered < len(units):
        end, total = start, 0
        while end < len(units) and total + counts[end] <= max_tokens:
            total += counts[end]
            end += 1
        if end <= covered:
            if start < covered:  # the overlap leaves no room for a new unit: drop it
                start = covered
                continue
            end = covered + 1  # a unit over budget that could not be split further
        tokens = tokens_of(start, end)
        while tokens > max_tokens and end - 1 > covered:
            end -= 1
            tokens = tokens_of(start, end)
        if tokens > max_tokens and start < covered:
            start = covered
            continue
        chunks.append((start, end, tokens))
        new_from, covered = covered, end
        start, carried = end, 0
        while (
            start - 1 > chunks[-1][0]
            and start - 1 >= new_from
            and carried + counts[start - 1] <= overlap_tokens
        ):
            start -= 1
            carried += counts[start]
    return chunks


def _split_long(
    text: str,
    start: int,
    end: int,
    tokens: int,
    count_tokens: Callable[[str], int],
    max_tokens: int,
) -> list[tuple[int, int, int]]:
    """Split an overlong sentence into pieces of at most ``max_tokens``, preferring to cut
    between words; each piece's count comes from ``count_tokens`` (a binary search on length)."""
    pieces: list[tuple[int, int, int]] = []
    position = start
    remaining = tokens
    while True:
        if remaining <= max_tokens:
            pieces.append((position, end, remaining))
            return pieces
        # Tokens are roughly proportional to characters: search up to twice the estimate.
        estimate = (end - position) * max_tokens // remaining
        low, high = position + 1, min(end - 1, position + 2 * estimate + 1)
        cut, cut_tokens = position + 1, -1
        while low <= high:
            middle = (low + high) // 2
            count = count_tokens(text[position:middle])
            if count <= max_tokens:
                cut, cut_tokens = middle, count
                low = middle + 1
            else:
                high = middle - 1
        word_cut = _word_boundary(text, position, cut)
        if word_cut != cut:
            cut, cut_tokens = word_cut, -1
        piece_end = cut
        while text[piece_end - 1].isspace():
            piece_end -= 1
        if cut_tokens < 0 or piece_end != cut:
            cut_tokens = count_tokens(text[position:piece_end])
        pieces.append((position, piece_end, cut_tokens))
        position = cut
        while text[position].isspace():
            position += 1
        remaining = count_tokens(text[position:end])


def _word_boundary(text: str, start: int, cut: int) -> int:
    """Move ``cut`` back to the start of the Latin word it falls in, unless that word fills more
    than half the piece (then the word itself is cut)."""
    if not (_is_word_char(text[cut - 1]) and _is_word_char(text[cut])):
        return cut
    boundary = cut - 1
    while boundary > start and _is_word_char(text[boundary - 1]):
        boundary -= 1
    return boundary if boundary - start > (cut - start) // 2 else cut


def _is_word_char(char: str) -> bool:
    return char.isascii() and char.isalnum()
