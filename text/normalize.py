"""Normalization: the full clean-up of ingested pages, and the light folding for comparing."""

import re
import unicodedata

# Characters treated as CJK when deciding whether a space between two characters is an artefact
# of PDF extraction. Combining marks (U+302A-302F, U+3099/309A) are left out on purpose:
# removing a space in front of one would let a second NFKC pass compose or reorder characters,
# breaking idempotence.
_CJK = (
    "\u2e80-\u2fdf"  # CJK and Kangxi radicals (those NFKC does not map)
    "\u3000-\u3029\u3030-\u303f"  # CJK symbols and punctuation: 、。「」々〆〇
    "\u3040-\u3098\u309b-\u309f"  # Hiragana
    "\u30a0-\u30ff"  # Katakana, including ー and ・
    "\u31c0-\u31ef"  # CJK strokes
    "\u31f0-\u31ff"  # Katakana phonetic extensions
    "\u3200-\u33ff"  # enclosed CJK letters, CJK compatibility
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\ufe30-\ufe4f"  # CJK compatibility forms
    "\uff00-\uffef"  # half/full-width forms still present after NFKC
    "\U00020000-\U0003134f"  # CJK extensions B-G
)

# Line separators other than \n become \n, so that removing control characters never glues lines.
_LINE_BREAKS = re.compile(r"\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# Controls except \t and \n, zero-width characters, word joiner, soft hyphen, BOM, bidi marks,
# the combining grapheme joiner and ideographic variation selectors (葛󠄀 must match 葛); emoji
# presentation selectors (U+FE0E/FE0F) are left as they are.
_INVISIBLE = re.compile(
    r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\u00ad\u034f\u180e\u200b-\u200f\u202a-\u202e"
    r"\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000e0100-\U000e01ef]"
)
# Whitespace other than newline and plain space (NFKC already maps most exotic spaces to U+0020).
# Literal patterns are used where possible: they are several times faster than negated classes.
_ODD_SPACES = re.compile("[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_SPACE_RUNS = re.compile("  +")
_CJK_GAP = re.compile(f"(?<=[{_CJK}]) (?=[{_CJK}])")
_BLANK_LINES = re.compile("\n\n\n+")
# A line break between two CJK characters: a PDF or plain-text line wrapped inside a word.
_CJK_WRAP = re.compile(f"(?<=[{_CJK}])\n(?=[{_CJK}])")
# PDF extraction puts spaces into hyphenated identifiers: "GPT- 3", "text-embedding- 3 -small",
# "first- challenge-tabelog". A hyphen with a space after it is closed up when what follows is a
# number (and then a spaced hyphen right after that number too: "Llama- 3 - 8"), or when the
# identifier shows on one side: a digit or hyphen before ("COVID-19- related"), or a hyphen,
# slash or dot joining more after ("first- challenge-tabelog"). Suspended hyphens in prose
# ("four- and eight-byte", "A- or B-grade") and spaced dashes ("pages 3 - 5") are kept.
_HYPHEN_GAP = re.compile(
    r"(?<![\w.-])([A-Za-z0-9](?:[\w.-]*[A-Za-z0-9])?)- "
    r"(?:(\d+(?:\.\d+)?)( - (?=\d)| -(?=\w))?|([A-Za-z]\w*))",
    re.ASCII,
)
# Words after which a hyphen and space are prose: a suspended hyphen, or a dash typed as "- ".
_PROSE_WORDS = frozenset(
    {"and", "or", "nor", "to", "vs", "versus", "und", "oder", "bis", "et", "ou"}
    | {"the", "a", "an", "this", "that", "in", "of", "on", "for", "with", "is", "was"}
)
_IDENTIFIER_GOES_ON = re.compile(r"[-/.]\w", re.ASCII)
# Letters spaced out one by one ("S t a n f o r d C e n t e r"): five or more single letters, of
# both cases, so that spaced capitals ("C D E", music notes, table flags "N Y N") and lower-case
# note names ("c d e f g") stay. Words are split again where a capital follows a small letter.
_SPACED_LETTERS = re.compile(r"(?<![\w.])(?:[A-Za-z] ){4,}[A-Za-z](?![\w.])", re.ASCII)
_CAMEL_GAP = re.compile(r"(?<=[a-z])(?=[A-Z])")


def normalize_text(text: str) -> str:
    """Return ``text`` NFKC-normalized with extraction artefacts removed.

    Maps Kangxi radicals (⼤→大), math letters (𝐶→C) and full-width ASCII to their plain forms;
    removes the spaces PDF extraction puts between CJK characters ("活 用"→"活用") while keeping
    spaces between Latin words; drops zero-width and control characters (except newline and tab),
    collapses runs of spaces and tabs to one space, closes up spaced identifiers ("GPT- 3"→"GPT-3",
    "H u g g i n g F a c e"→"Hugging Face"), strips spaces around line breaks and collapses
    three or more newlines to two. Idempotent.
    """
    text = _LINE_BREAKS.sub("\n", text)
    text = _INVISIBLE.sub("", text)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = _ODD_SPACES.sub(" ", text)
    text = _SPACE_RUNS.sub(" ", text)
    text = _CJK_GAP.sub("", text)
    text = repair_identifiers(text)
    # Spaces are single at this point, so plain replacement strips them around line breaks.
    text = text.replace(" \n", "\n").replace("\n ", "\n")
    text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def repair_identifiers(text: str) -> str:
    """Close up the spaces PDF extraction leaves in identifiers; spaces are single already."""
    if " " in text:
        text = _SPACED_LETTERS.sub(_join_letters, text)
    # Closing one gap can make the next one's left side an identifier ("x- 3- c"): repeat until
    # nothing changes, so that a second normalization finds nothing more to do.
    while "- " in text:
        repaired = _HYPHEN_GAP.sub(_close_hyphen, text)
        if repaired == text:
            break
        text = repaired
    return text


def _close_hyphen(match: re.Match[str]) -> str:
    left, number, chain, word = match.groups()
    if number is not None:
        return f"{left}-{number}{'-' if chain else ''}"
    joined = _IDENTIFIER_GOES_ON.match(match.string, match.end()) is not None
    identifier = joined or any(c.isdigit() or c == "-" for c in left)
    if not identifier or word.lower() in _PROSE_WORDS:
        return match.group()
    return f"{left}-{word}"


def _join_letters(match: re.Match[str]) -> str:
    letters = match.group()
    if letters.islower() or letters.isupper():
        return letters
    return _CAMEL_GAP.sub(" ", letters.replace(" ", ""))


def unwrap_cjk_lines(text: str) -> str:
    """Join lines broken between two CJK characters ("ファ\nイル" → "ファイル").

    For what is searched (index terms, embeddings), never for stored text: PDF extraction and
    hard-wrapped plain text break lines inside Japanese words, which then match nothing.
    """
    return _CJK_WRAP.sub("", text)


def fold(text: str) -> str:
    """NFKC + lower case: folds full-width letters/digits and Kangxi radicals, for comparing."""
    return unicodedata.normalize("NFKC", text).lower()
