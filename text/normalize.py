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
# Controls except \t and \n, zero-width characters, word joiner, soft hyphen, BOM, bidi marks.
_INVISIBLE = re.compile(
    r"[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\u00ad\u180e\u200b-\u200f\u202a-\u202e"
    r"\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)
# Whitespace other than newline and plain space (NFKC already maps most exotic spaces to U+0020).
# Literal patterns are used where possible: they are several times faster than negated classes.
_ODD_SPACES = re.compile("[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_SPACE_RUNS = re.compile("  +")
_CJK_GAP = re.compile(f"(?<=[{_CJK}]) (?=[{_CJK}])")
_BLANK_LINES = re.compile("\n\n\n+")


def normalize_text(text: str) -> str:
    """Return ``text`` NFKC-normalized with extraction artefacts removed.

    Maps Kangxi radicals (⼤→大), math letters (𝐶→C) and full-width ASCII to their plain forms;
    removes the spaces PDF extraction puts between CJK characters ("活 用"→"活用") while keeping
    spaces between Latin words; drops zero-width and control characters (except newline and tab),
    collapses runs of spaces and tabs to one space, strips spaces around line breaks and collapses
    three or more newlines to two. Idempotent.
    """
    text = _LINE_BREAKS.sub("\n", text)
    text = _INVISIBLE.sub("", text)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = _ODD_SPACES.sub(" ", text)
    text = _SPACE_RUNS.sub(" ", text)
    text = _CJK_GAP.sub("", text)
    # Spaces are single at this point, so plain replacement strips them around line breaks.
    text = text.replace(" \n", "\n").replace("\n ", "\n")
    text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def fold(text: str) -> str:
    """NFKC + lower case: folds full-width letters/digits and Kangxi radicals, for comparing."""
    return unicodedata.normalize("NFKC", text).lower()
