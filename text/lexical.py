"""Language-light lexical features: what citation checks, extraction and highlights compare.

Japanese has no spaces, so CJK text is compared by character bigrams within runs of kanji /
katakana; hiragana (particles, verb endings) is treated as function text and skipped. Latin
text is compared by lower-cased words minus a short stop list. Both are NFKC-normalised first.
"""

from __future__ import annotations

import re
import unicodedata

from text.normalize import fold

# Kanji (incl. 々), katakana (not the middle dot ・, which separates), long-vowel mark.
_CJK_CONTENT = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005\u30a1-\u30fa\u30fc-\u30ff]+"
)
_HIRAGANA = re.compile(r"[\u3041-\u309f]+")
_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
# Question words carry no content: "何層" should match "12層" on 層.
_CJK_QUESTION_CHARS = re.compile(r"[何誰]")

_STOPWORDS_TEXT = """a an the and or but if of to in on at by for with from as into about than then
so is are was were be been being am do does did done has have had having it its this that these
those there here what which who whom whose when where why how many much can could will would shall
should may might must not no yes i you he she we they me him her us them my your his our their also
just only very more most such some any all each other"""
EN_STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def _stem(word: str) -> str:
    # Crude plural folding so "layers" meets "layer"; good enough for overlap scoring.
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss") and not word.isdigit():
        return word[:-1]
    return word


def features(text: str) -> set[str]:
    """Content features of a text: CJK bigrams (unigrams for 1-char runs) and Latin words."""
    norm = fold(text)
    feats: set[str] = set()
    for word in _WORD.findall(norm):
        word = word.replace(",", "")
        if word not in EN_STOPWORDS:
            feats.add(_stem(word))
    for run in _CJK_CONTENT.findall(_CJK_QUESTION_CHARS.sub(" ", norm)):
        feats.update(_grams(run))
    if not feats:
        # All-hiragana text would otherwise have no features at all.
        for run in _HIRAGANA.findall(norm):
            feats.update(_grams(run))
    return feats


def _grams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


# A Latin name directly followed by a version number: "Falcon 180B", "PaLM 2", "GPT-3.5".
# (Japanese letters count as word characters, so boundaries are spelled out, not \b.)
_VERSIONED_NAME = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z][A-Za-z0-9]*?)([\s\-_]*)(\d+(?:\.\d+)*[A-Za-z]*)(?![0-9.])"
)
_YEAR = re.compile(r"(?:19|20)\d\d")


def versioned_names(text: str) -> set[tuple[str, str]]:
    """(name, version) pairs such as ("falcon", "180b").

    A name is capitalised ("Falcon 180B") or joined to its number ("gpt-4", "llama2"), so
    "about 40 GB" is not one; a one-letter name must be a capital joined to it ("X5", "M-2",
    not "v2" or "A 2"); a year after a name ("Dev Day 2023") is not a version.
    """
    pairs = set()
    for name, gap, version in _VERSIONED_NAME.findall(unicodedata.normalize("NFKC", text)):
        spaced = gap != "" and gap.strip() == ""
        if _YEAR.fullmatch(version) or (spaced and name.islower()):
            continue
        if len(name) == 1 and (spaced or name.islower()):
            continue
        pairs.add((name.lower(), version.lower()))
    return pairs


def mentions_version(text: str, name: str, version: str) -> bool:
    """Does the text name that version, spelled "Falcon-180B", "falcon 180b" or "Falcon180B"?"""
    pattern = rf"(?<![a-z0-9]){re.escape(name)}[\s\-_]*{re.escape(version)}(?![0-9.]*\d)"
    return re.search(pattern, fold(text)) is not None
