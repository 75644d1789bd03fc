"""Plain text and Markdown: encoding detection, binary detection, Markdown noise removal."""

import codecs
import re
from collections import Counter

from charset_normalizer import from_bytes

from ingest.errors import UnsupportedFileError
from ingest.sections import Heading

_BOMS = (  # UTF-32 first: its little-endian BOM starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_JAPANESE_CODECS = ("cp932", "euc_jp")
# charset-normalizer's names for Japanese encodings, mapped to the codec reported to callers.
_JAPANESE_NAMES = {
    "cp932": "cp932",
    "shift_jis": "cp932",
    "shift_jis_2004": "shift_jis_2004",
    "shift_jisx0213": "shift_jisx0213",
    "euc_jp": "euc_jp",
    "euc_jis_2004": "euc_jis_2004",
    "euc_jisx0213": "euc_jisx0213",
    "iso2022_jp": "iso2022_jp",
}
_CLOSE_CHAOS = 0.05  # candidates this close to the best are "as good" for charset-normalizer
_SAMPLE_CHARS = 20_000

_KANA = re.compile("[\u3041-\u3096\u30a1-\u30fa\u30fc]")
_HALFWIDTH_KANA = re.compile("[\uff61-\uff9f]")
_NON_ASCII = re.compile("[^\x00-\x7f]")
# Controls other than \t \n \v \f \r, the replacement character, private use, unpaired surrogates.
_BINARYISH = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd\ue000-\uf8ff\ud800-\udfff]")


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode the bytes of a text file and return ``(text, encoding)``.

    Order: byte-order mark, ISO-2022-JP escapes, strict UTF-8 (fast, and reliable for short
    texts), Shift_JIS/CP932 or EUC-JP when the result reads as Japanese, then charset-normalizer,
    which prefers Japanese encodings among candidates that fit about equally well.
    Raises UnsupportedFileError when the bytes are not text.
    """
    decoded = _decode(data)
    if decoded is None or _looks_binary(decoded[0]):
        raise UnsupportedFileError("binary content, not text")
    return decoded


def _decode(data: bytes) -> tuple[str, str] | None:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            text = _strict(data, codec)
            if text is not None:
                return text, codec
            break
    if b"\x1b$B" in data or b"\x1b$@" in data:
        text = _strict(data, "iso2022_jp")
        if text is not None:
            return text, "iso2022_jp"
    if b"\x00" in data:
        utf16 = _bomless_utf16(data)
        if utf16 is not None:
            return utf16
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":  # a file cut inside its last character
            return data[: exc.start].decode("utf-8"), "utf-8"
    japanese = _japanese(data)
    if japanese is not None:
        return japanese
    return _detect(data)


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _bomless_utf16(data: bytes) -> tuple[str, str] | None:
    """UTF-16 without a BOM: NUL bytes sit almost only on one side of each byte pair."""
    even_nuls = data[0::2].count(0)
    odd_nuls = data[1::2].count(0)
    pairs = len(data) // 2
    if pairs == 0:
        return None
    if odd_nuls > 0.3 * pairs and even_nuls < 0.05 * pairs:
        codec = "utf-16-le"
    elif even_nuls > 0.3 * pairs and odd_nuls < 0.05 * pairs:
        codec = "utf-16-be"
    else:
        return None
    text = _strict(data, codec)
    return (text, codec) if text is not None else None


def _japanese(data: bytes) -> tuple[str, str] | None:
    """Shift_JIS (as CP932, its Windows superset) or EUC-JP, if the bytes read as Japanese.

    Kana are the signal: each encoding misread as the other yields half-width katakana or fails,
    and Chinese or Korean bytes read as Japanese yield almost no kana.
    """
    best: tuple[float, str, str] | None = None
    for codec in _JAPANESE_CODECS:
        text = _strict(data, codec)
        if text is None:
            continue
        sample = text[:_SAMPLE_CHARS]
        non_ascii = len(_NON_ASCII.findall(sample))
        if non_ascii == 0:
            continue
        kana = len(_KANA.findall(sample)) / non_ascii
        halfwidth = len(_HALFWIDTH_KANA.findall(sample)) / non_ascii
        if kana >= 0.2 and halfwidth <= 0.1 and (best is None or kana > best[0]):
            best = (kana, text, codec)
    return (best[1], best[2]) if best else None


def _detect(data: bytes) -> tuple[str, str] | None:
    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        return None
    chosen = best
    if best.encoding not in _JAPANESE_NAMES:
        for match in matches:
            if match.encoding in _JAPANESE_NAMES and match.chaos <= best.chaos + _CLOSE_CHAOS:
                chosen = match
                break
    codec = _JAPANESE_NAMES.get(chosen.encoding, chosen.encoding)
    # Report the common name when the plain codec decodes the bytes the same way.
    if codec in ("euc_jis_2004", "euc_jisx0213") and _strict(data, "euc_jp") is not None:
        codec = "euc_jp"
    elif codec in ("shift_jis_2004", "shift_jisx0213") and _strict(data, "cp932") is not None:
        codec = "cp932"
    text = _strict(data, codec)
    return (text, codec) if text is not None else (str(chosen), chosen.encoding)


def _looks_binary(text: str) -> bool:
    sample = text[:_SAMPLE_CHARS]
    if not sample:
        return False
    bad = len(_BINARYISH.findall(sample))
    return bad > 0.05 * len(sample) or "\x00" in sample


# Markdown: only the markup that hurts search is removed; the line structure is kept.
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+|$)(.*?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)
_REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*\S+.*$\n?", re.MULTILINE)
_RULE = re.compile(r"^[ \t]*(?:[-*_=][ \t]*){3,}$\n?", re.MULTILINE)  # also setext underlines
_TABLE_RULE = re.compile(
    r"^[ \t]*\|?(?:[ \t]*:?-+:?[ \t]*\|)+[ \t]*(?::?-+:?[ \t]*)?$\n?", re.MULTILINE
)
_QUOTE_MARKER = re.compile(r"^ {0,3}(?:>[ \t]?)+", re.MULTILINE)
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.DOTALL)
# Spans never cross the next opening ("[", "<", "**"): a scan from each opening that never
# closes must stop early, else a 40 KB line of "[a" or "**a " takes seconds (quadratic).
_IMAGE = re.compile(r"!\[([^\[\]]*)\]\((?:[^()\n]|\([^()\n]*\))*\)")
_INLINE_LINK = re.compile(r"\[([^\[\]]+)\]\((?:[^()\n]|\([^()\n]*\))*\)")
_REFERENCE_LINK = re.compile(r"!?\[([^\[\]]+)\]\[[^\[\]]*\]")
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^<>\s]+)>")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_STRONG = re.compile(r"(\*\*|__)(?=\S)((?:(?!\1).)+?)(?<=\S)\1")


# Slide-deck transcripts: "Slide 12 text" lines (the slide's text follows), or slides numbered
# "  12. " from 1 on, as slide-sharing sites export them.
_SLIDE_LABEL = re.compile(r"^Slide (\d+) text[ \t]*\r?\n(?:[ \t]*\r?\n)*(.+)$", re.MULTILINE)
_NUMBERED_SLIDE = re.compile(r"^ {2}(\d+)\. (.+(?:\r?\n {4}.*)*)", re.MULTILINE)
_MIN_SLIDES = 3
_SLIDE_TITLE_CHARS = 40  # a slide's first words stand for its title
_ANCHOR_CHARS = 16
_MIN_FOOTER_WORDS = 3  # fewer shared opening words are a common topic, not a footer
_PAGE_NUMBER = re.compile(r"^\d{1,3} ")  # the page number a slide's text may open with


def slide_headings(text: str) -> list[Heading]:
    """One heading per slide of a transcript (its first words, after a footer repeated on most
    slides), so that chunks keep to a slide and carry its title; [] for other text."""
    for pattern in (_SLIDE_LABEL, _NUMBERED_SLIDE):
        slides = list(pattern.finditer(text))
        numbers = [int(m.group(1)) for m in slides]
        if len(slides) < _MIN_SLIDES or numbers != list(
            range(numbers[0], numbers[0] + len(slides))
        ):
            continue
        firsts = [_PAGE_NUMBER.sub("", m.group(2).strip()).split() for m in slides]
        repeated = _repeated_opening(firsts)
        headings = []
        for match, words in zip(slides, firsts, strict=True):
            if words[: len(repeated)] == repeated:
                words = words[len(repeated) :]
            title = " ".join(words)[:_SLIDE_TITLE_CHARS]
            # Where the slide starts ("Slide 12 text", "12. 13 Copyright…"), not its title.
            anchor = match.group(0).strip()[:_ANCHOR_CHARS]
            if title:
                headings.append(Heading(1, title, anchor=anchor))
        return headings
    return []


def _repeated_opening(lines: list[list[str]]) -> list[str]:
    """The longest run of opening words that most lines share: a footer ("Copyright 2023 …")
    that extraction put first."""
    best: list[str] = []
    for length in range(1, 25):
        counts = Counter(tuple(words[:length]) for words in lines if len(words) > length)
        if not counts:
            break
        opening, count = counts.most_common(1)[0]
        if count * 2 < len(lines):
            break
        best = list(opening)
    return best if len(best) >= _MIN_FOOTER_WORDS else []


_MAX_TEXT_TITLE_CHARS = 60  # a longer first line is a sentence or a paragraph, not a title


def text_title(text: str) -> str | None:
    """The first non-empty line of a plain text, spaces collapsed, when it reads as a title:
    at most ``_MAX_TEXT_TITLE_CHARS`` long and holding a letter (not a rule of symbols or a
    number); None otherwise. Only that line is read, however long the text."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        line = " ".join(text[start:end].split())
        if line:
            plausible = len(line) <= _MAX_TEXT_TITLE_CHARS and any(ch.isalpha() for ch in line)
            return line if plausible else None
        start = end + 1
    return None


def markdown_title(text: str) -> str | None:
    """Text of the first level-1 ATX heading (``# Title``) outside code blocks."""
    for line, is_code in _blocks_by_line(text):
        if not is_code and line.lstrip(" ").startswith("# "):
            title = _clean_inline(_HEADING.sub(r"\1", line)).strip()
            if title:
                return title
    return None


def markdown_headings(text: str) -> list[Heading]:
    """ATX headings (``## Section``) outside code blocks, with their level."""
    headings: list[Heading] = []
    for line, is_code in _blocks_by_line(text):
        stripped = line.lstrip(" ")
        if is_code or not stripped.startswith("#"):
            continue
        match = _HEADING.match(line.rstrip("\r\n"))
        if match:
            title = _clean_inline(match.group(1)).strip()
            if title:
                headings.append(Heading(len(stripped) - len(stripped.lstrip("#")), title))
    return headings


def strip_markdown(text: str) -> str:
    """Markdown source → readable text: link URLs, image syntax, HTML comments and tags, heading
    and quote markers, rules and fences removed; heading, link, image-alt and code text kept."""
    out: list[str] = []
    prose: list[str] = []
    for line, is_code in _blocks_by_line(text):
        if is_code:
            if prose:
                out.append(_clean_prose("".join(prose)))
                prose = []
            out.append(line)
        else:
            prose.append(line)
    if prose:
        out.append(_clean_prose("".join(prose)))
    return "".join(out)


def _blocks_by_line(text: str) -> list[tuple[str, bool]]:
    """Lines (with their endings) flagged as code-block content; fence lines become empty."""
    lines: list[tuple[str, bool]] = []
    fence: str | None = None
    for line in text.splitlines(keepends=True):
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
            lines.append(("\n", False))
        elif fence is not None and match and match.group(1).startswith(fence[0] * len(fence)):
            fence = None
            lines.append(("\n", False))
        else:
            lines.append((line, fence is not None))
    return lines


def _clean_prose(text: str) -> str:
    text = _COMMENT.sub("", text)
    text = _REFERENCE_DEFINITION.sub("", text)
    text = _RULE.sub("", text)
    text = _TABLE_RULE.sub("", text)
    text = _HEADING.sub(r"\1", text)
    text = _QUOTE_MARKER.sub("", text)
    parts: list[str] = []
    last = 0
    for match in _CODE_SPAN.finditer(text):
        parts.append(_clean_inline(text[last : match.start()]))
        parts.append(match.group(2))
        last = match.end()
    parts.append(_clean_inline(text[last:]))
    return "".join(parts)


def _clean_inline(text: str) -> str:
    text = _IMAGE.sub(r"\1", text)
    text = _INLINE_LINK.sub(r"\1", text)
    text = _REFERENCE_LINK.sub(r"\1", text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _TAG.sub("", text)
    return _STRONG.sub(r"\2", text)
