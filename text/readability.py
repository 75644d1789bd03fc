"""Is a page's text readable, or the mojibake of a broken text layer?

A PDF whose fonts map their glyphs to the wrong code points (common with CJK fonts embedded by
older TeX toolchains) extracts as a soup of Greek, Coptic, combining marks, IPA and a dozen
Indic, Arabic and South-East Asian scripts, with unassigned code points among them; other tools
emit glyph names (``/g7990``, ``/uni30A2``) or ``(cid:123)``. Indexed, such text comes back as
search hits that nobody can read.

Real text in a non-Latin script is written in one script at a time (Greek in a Greek page,
Cyrillic in a Russian one) and leaves nothing unassigned; mojibake scatters its letters over
many scripts. The score counts signs that real text never has and letters outside the page's
dominant foreign script.
"""

import re
import unicodedata
from dataclasses import dataclass

# What readable pages in our languages are made of, checked first with one regular expression:
# most pages hold nothing else, and only the rest is looked at character by character.
_PLAIN = re.compile(
    "["
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
    "]+"
)
# The complement of _PLAIN, character by character.
_SUSPECT = re.compile("[^" + _PLAIN.pattern[1:-2] + "]+")
_GLYPH_NAMES = re.compile(r"/(?:g\d+|uni[0-9A-Fa-f]{4,6}|glyph\d+|[Gg]\d{2,})\b|\(cid:\d+\)")
_REPLACEMENT = "\ufffd"
# Scripts whose blocks broken CJK font maps land in, merged where one script has two names.
_SAME_SCRIPT = {"COPTIC": "GREEK"}
# A page at least this damaged is unreadable. Real pages score 0 or close to it: a stray
# private-use bullet or an unassigned code point in an otherwise clean page stays far below.
UNREADABLE_SHARE = 0.2


@dataclass(frozen=True)
class Readability:
    """What a page's characters look like.

    ``chars`` counts the characters other than whitespace; ``damaged`` those that real text
    never holds (unassigned or private-use code points, U+FFFD, combining marks with no letter
    to sit on, glyph names and CID references); ``scattered`` the letters (and marks) of
    scripts other than Latin and CJK that are not in the page's most frequent such script.
    """

    chars: int
    damaged: int
    scattered: int

    @property
    def damage(self) -> float:
        """Share of the page's characters that are damage signs or scattered letters."""
        return (self.damaged + self.scattered) / self.chars if self.chars else 0.0

    @property
    def readable(self) -> bool:
        return self.damage < UNREADABLE_SHARE


def assess(text: str) -> Readability:
    """Score ``text`` (one page); an empty or blank text is readable (it holds nothing)."""
    glyph_chars = sum(len(m) for m in _GLYPH_NAMES.findall(text))
    if glyph_chars:
        text = _GLYPH_NAMES.sub(" ", text)
    chars = sum(1 for c in text if not c.isspace()) + glyph_chars
    damaged = glyph_chars
    scripts: dict[str, int] = {}
    for run in _SUSPECT.finditer(text):
        base = text[run.start() - 1] if run.start() else " "
        # A mark on a plain letter (an accent on a Latin one) counts for no script.
        base_script: str | None = "" if _is_letter(base) else None
        for c in run.group():
            category = unicodedata.category(c)
            if category in ("Cn", "Co", "Cs") or c == _REPLACEMENT:
                damaged += 1
                base_script = None
                continue
            if category[0] not in "LM":
                base_script = None
                continue
            script = _script(c)
            if category[0] == "M" and script == "COMBINING":
                if base_script is None:
                    damaged += 1  # a combining mark must follow the letter it modifies
                    continue
                script = base_script  # an accent belongs to its letter's script
            if script:
                scripts[script] = scripts.get(script, 0) + 1
            base_script = script
    scattered = sum(scripts.values()) - max(scripts.values(), default=0)
    return Readability(chars, damaged, scattered)


def is_readable(text: str) -> bool:
    return assess(text).readable


def _is_letter(c: str) -> bool:
    return unicodedata.category(c)[0] in "LM"


def _script(c: str) -> str:
    """The script a letter belongs to, by the first word of its Unicode name."""
    word = unicodedata.name(c, "UNNAMED").split(" ", 1)[0]
    return _SAME_SCRIPT.get(word, word)
