"""Is a page's text readable, or the mojibake of a broken text layer?

A PDF whose fonts map their glyphs to the wrong code points (CJK fonts embedded by some TeX
toolchains) extracts as a soup of Greek, Coptic, combining marks, IPA and a dozen Indic, Arabic
and South-East Asian scripts with unassigned code points among them; other extractors emit glyph
names (``/g7990``, ``/uni30A2``) or ``(cid:123)``. Indexed, such text comes back as hits.

Real text in a foreign script keeps to one script per word (Greek words in a Greek page,
Cyrillic ones in a Russian one) and holds no unassigned code points; mojibake mixes scripts
inside its words. A page is unreadable when damage signs and the letters of mixed-script words
make up a large share of its characters beyond ASCII and a small share of all of them: a clean
Japanese page has none, a Greek page or an English one with some maths keeps each word in one
script, and an English page with a few broken ligatures or private-use bullets has too few.
"""

import re
import unicodedata
from dataclasses import dataclass

# What readable pages in the languages we serve are made of; only characters outside these
# ranges are looked at one by one.
_PLAIN_RANGES = (
    "\\s!-~"  # whitespace and printable ASCII
    "\u00a0-\u024f"  # Latin-1 supplement, Latin Extended-A and -B
    "\u1e00-\u1eff"  # Latin Extended Additional (Vietnamese)
    "\u2000-\u2bff"  # punctuation, symbols, arrows, maths, box drawing, shapes, dingbats
    "\u2e80-\u2fdf"  # CJK and Kangxi radicals
    "\u3000-\u30ff"  # CJK punctuation, hiragana, katakana
    "\u3100-\u9fff"  # bopomofo, CJK strokes, enclosed and compatibility forms, ideographs
    "\uac00-\ud7a3"  # Hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\ufe30-\ufe4f"  # CJK compatibility forms
    "\uff00-\uffef"  # half- and full-width forms
    "\U0001d400-\U0001d7ff"  # mathematical letters
    "\U00020000-\U0003134f"  # CJK extensions B-G
)
_SUSPECT_RUN = re.compile(f"[^{_PLAIN_RANGES}]+")
_GLYPH_NAMES = re.compile(r"/(?:g\d+|uni[0-9A-Fa-f]{4,6}|glyph\d+)\b|\(cid:\d+\)")
# Some scripts have two names in the Unicode character names.
_SAME_SCRIPT = {"COPTIC": "GREEK"}
_BROKEN = frozenset({"Cn", "Co", "Cs"})  # unassigned, private-use, surrogate

# Damage must make up this share of a page's characters beyond ASCII...
UNREADABLE_SHARE_OF_NON_ASCII = 0.3
# ...and this share of all its characters (other than whitespace).
UNREADABLE_SHARE_OF_CHARS = 0.02


@dataclass(frozen=True)
class Readability:
    """What a page's characters look like (whitespace is not counted; glyph names and CID
    references count as characters beyond ASCII, each of their characters once).

    ``damaged`` counts characters real text never holds: unassigned, private-use or surrogate
    code points and U+FFFD (unless alone, or alone in a word of ASCII letters: a bullet, a
    broken ligature), combining marks with no letter to sit on, glyph names and CID references.
    ``mixed`` counts the letters of scripts other than Latin and CJK in words that mix two such
    scripts, or one with CJK: real words keep to one script.
    """

    chars: int
    non_ascii: int
    damaged: int
    mixed: int

    @property
    def damage(self) -> int:
        return self.damaged + self.mixed

    @property
    def readable(self) -> bool:
        return (
            self.damage == 0
            or self.damage < UNREADABLE_SHARE_OF_NON_ASCII * self.non_ascii
            or self.damage < UNREADABLE_SHARE_OF_CHARS * self.chars
        )


def assess(text: str) -> Readability:
    """Score ``text`` (one page); an empty or blank text is readable (it holds nothing)."""
    glyph_chars = sum(len(m) for m in _GLYPH_NAMES.findall(text))
    if glyph_chars:
        text = _GLYPH_NAMES.sub(" ", text)
    chars = glyph_chars + sum(1 for c in text if not c.isspace())
    non_ascii = glyph_chars + sum(1 for c in text if not c.isascii() and not c.isspace())
    if not _SUSPECT_RUN.search(text):
        return Readability(chars, non_ascii, glyph_chars, 0)
    damaged = glyph_chars
    mixed = 0
    for word in _words(text):
        damaged += _damaged(word)
        mixed += _mixed(word)
    return Readability(chars, non_ascii, damaged, mixed)


def is_readable(text: str) -> bool:
    return assess(text).readable


def _words(text: str) -> list[str]:
    """Runs of letters and marks (broken code points included: mojibake has them in words)."""
    words: list[str] = []
    start = None
    for i, c in enumerate(text):
        in_word = unicodedata.category(c)[0] in "LM" or _is_broken(c)
        if in_word and start is None:
            start = i
        elif not in_word and start is not None:
            words.append(text[start:i])
            start = None
    if start is not None:
        words.append(text[start:])
    return words


def _damaged(word: str) -> int:
    broken = sum(1 for c in word if _is_broken(c))
    if broken == 1 and all(c.isascii() or _is_broken(c) for c in word):
        broken = 0  # a bullet, or a ligature (ﬁ) that lost its code point
    if _is_combining(word[0]):
        broken += 1  # a combining mark needs a letter to sit on
    return broken


def _mixed(word: str) -> int:
    foreign: dict[str, int] = {}
    cjk = False
    for c in word:
        if _SUSPECT_RUN.match(c) is None:
            cjk = cjk or ord(c) >= 0x2E80
        elif not _is_broken(c) and not _is_combining(c):
            script = _script(c)
            foreign[script] = foreign.get(script, 0) + 1
    if len(foreign) > 1 or (foreign and cjk):
        return sum(foreign.values())
    return 0


def _is_broken(c: str) -> bool:
    return unicodedata.category(c) in _BROKEN or c == "\ufffd"


def _is_combining(c: str) -> bool:
    return unicodedata.category(c) == "Mn" and unicodedata.name(c, "").startswith("COMBINING")


def _script(c: str) -> str:
    """The script a letter belongs to, by the first word of its Unicode name."""
    word = unicodedata.name(c, "UNNAMED").split(" ", 1)[0]
    return _SAME_SCRIPT.get(word, word)
