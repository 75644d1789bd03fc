"""Japanese-first tokenizer for the keyword index (fugashi + unidic-lite).

The same function runs on documents and on queries, so every normalization here applies to
both sides: NFKC, lower-casing, lemmas for known words, and one rule for Latin/number terms.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from importlib.metadata import version

import fugashi
import unidic_lite

from text.normalize import unwrap_cjk_lines

# Latin letters (ASCII plus Latin-1/Extended-A/B, without × and ÷) and digits.
_LATIN = "0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
# A Latin/number term: alphanumeric runs joined by . - _ (so "gpt-4", "15.5b", "v1.2.3",
# "node.js" stay whole) or by a thousands separator ("12,288"), with an optional trailing
# ++ or # ("c++", "c#").
_LATIN_TERM = re.compile(
    rf"[{_LATIN}]+(?:(?:[._\-]|(?<=\d),(?=\d{{3}}(?!\d)))[{_LATIN}]+)*(?:\+\+|#)?"
)
_LATIN_ONLY = re.compile(rf"[{_LATIN}]+")
_JOINERS = re.compile(r"[_\-]")

# Function words that carry little meaning in English queries and documents; dropping them
# also keeps the longest postings lists out of every English query. Question words,
# auxiliaries and pronouns are among them: in a mostly Japanese collection "what" and "does"
# are rare, so a question's "what" scored like a keyword. Single letters stay ("-t", "-s").
_EN_STOPWORDS = frozenset(
    {"a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "is"}
    | {"it", "its", "of", "on", "or", "that", "the", "this", "to", "was", "were", "which", "with"}
    | {"what", "how", "when", "where", "who", "whom", "whose", "why", "much", "many", "very"}
    | {"do", "does", "did", "can", "could", "would", "should", "will", "shall", "may", "might"}
    | {"must", "been", "being", "am", "i", "me", "my", "you", "your", "we", "our", "they"}
    | {"them", "their", "he", "him", "his", "she", "her", "if", "than", "then", "so", "there"}
    | {"these", "those", "into", "don", "doesn", "isn", "aren", "didn", "won"}
)
# Formal nouns (lemma form) that appear in nearly every Japanese sentence: こと, もの, ため;
# the question numerals 何 / 幾 (いく), いくら, いくつ, the bare counter つ and さ, which makes
# nouns of adjectives (長さ, 大きさ: the adjective stays a term). The numerals are
# in every question that asks how many and in almost no passage, so they scored as a rare
# word shared with FAQ headings ("これは何?") rather than with the answer.
_JA_STOP_LEMMAS = frozenset({"事", "物", "為", "何", "幾", "幾ら", "幾つ", "つ", "さ"})
# Formal nouns written in kana, as grammar ("入力するとき", "使うところ"); 時 and 所 in kanji
# stay words (実行時, 省略時).
_JA_STOP_KANA = frozenset({"とき", "ところ", "わけ", "はず", "ほう", "まま"})
# Bumped when the rules here change which words are terms (1: before it was recorded). With the
# dictionary it names the terms (JapaneseTokenizer.name): a keyword index built under another
# name is rebuilt from SQL when opened.
_RULES_VERSION = 2

# Parts of speech (unidic pos1) kept as content words; everything else (助詞, 助動詞,
# 補助記号, 空白, 代名詞, 連体詞, 接続詞, 感動詞, 副詞) is dropped.
_KEEP_POS1 = frozenset({"名詞", "動詞", "形容詞", "形状詞", "接頭辞", "接尾辞", "記号"})
# feature_raw prefixes of the commonest dropped tokens, tested before splitting the features.
_DROP_PREFIXES = ("助詞", "助動詞", "補助記号", "空白")
# pos2 values dropped within kept pos1: auxiliary-like verbs/adjectives (する, いる, ある,
# なる, できる, ない, よい) and 形状詞 stems of auxiliaries (よう, そう).
_DROP_POS2 = frozenset({"非自立可能", "助動詞語幹"})
# Suffixes kept: noun-like (数, 率, 者, 性) and na-adjective-like (的).
_KEEP_SUFFIX_POS2 = frozenset({"名詞的", "形状詞的"})
# Content words worth translating: nouns, verbs, adjectives; not numbers, affixes or symbols.
_CONTENT_POS1 = frozenset({"名詞", "動詞", "形容詞", "形状詞"})
_NOT_CONTENT_POS2 = frozenset({"数詞"}) | _DROP_POS2
_ORIGIN = re.compile(r"[a-z][a-z .'-]*")
# "How many <unit>" read as one noun: 何 and a kanji or katakana unit (何分 "how many minutes").
_QUESTION_COUNTER = re.compile(r"何[\u3400-\u9fffァ-ヶー]+")


def latin_terms(text: str) -> list[str]:
    """Index terms for the Latin/number parts of already NFKC-normalized ``text``.

    Each term is emitted whole and lower-cased ("gpt-4", "15.5b", "llama2", "c++"), plus,
    when it has hyphens or underscores, once more without them ("gpt4"), so "GPT4" and
    "GPT-4" meet. Terms are not split into letter/digit parts: on the dev set that made
    "GPT" match every "GPT-3"/"GPT-4" and lowered MRR@10 from 0.80 to 0.77. English
    stopwords are dropped and plurals folded ("models" -> model).
    """
    return [term for _, term in _latin_terms_at(text)]


def _latin_terms_at(text: str) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for match in _LATIN_TERM.finditer(text):
        whole = match.group().lower().replace(",", "")
        if whole in _EN_STOPWORDS:
            continue
        forms = [whole]
        joined = _JOINERS.sub("", whole)
        if joined and joined != whole:
            forms.append(joined)
        for form in forms:
            out.append((match.start(), _s_stem(form) if form.isalpha() else form))
    return out


def _s_stem(word: str) -> str:
    """Harman's "S" stemmer (JASIS 1991): fold English plurals so "models" matches "model"."""
    if len(word) <= 3 or not word.isascii():
        return word
    if word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if word.endswith("s") and not word.endswith(("us", "ss")):
        return word[:-1]
    return word


class JapaneseTokenizer:
    """Turns Japanese/English text into index terms; safe to call from many threads.

    MeCab taggers are not thread-safe, so each thread lazily builds its own (a few ms once).
    Known Japanese words are indexed by their unidic lemma (書いた/書かれる -> 書く,
    パラメータ/パラメーター -> パラメーター), unknown words by surface. unidic's short
    units index 大規模言語モデル as 大 / 規模 / 言語 / モデル, so 言語モデル finds it.
    Latin/number text is handled by :func:`latin_terms`, not by MeCab, because unidic
    splits "GPT-4" into GPT / - / 4 and "15.5B" into 15 / . / 5 / B. ``name`` names the terms
    it makes (dictionary and rules), for indexes that must be rebuilt when they change.
    """

    def __init__(self, dicdir: str | None = None) -> None:
        self._args = "-r /dev/null -d " + (dicdir or unidic_lite.DICDIR)
        dictionary = dicdir or f"unidic-lite-{version('unidic-lite')}"
        self.name = f"{dictionary}:rules-{_RULES_VERSION}"
        self._local = threading.local()
        self._tagger()  # fail fast on a broken dictionary

    def _tagger(self) -> fugashi.Tagger:
        tagger: fugashi.Tagger | None = getattr(self._local, "tagger", None)
        if tagger is None:
            tagger = fugashi.Tagger(self._args)
            self._local.tagger = tagger
        return tagger

    def __call__(self, text: str) -> list[str]:
        return self.tokenize(text)

    def tokenize(self, text: str) -> list[str]:
        """Return the index terms of ``text`` in text order (duplicates kept: term frequency)."""
        text = unwrap_cjk_lines(unicodedata.normalize("NFKC", text))
        latin = _latin_terms_at(text)
        out: list[str] = []
        li = 0
        pos = 0
        for node in self._tagger()(text):
            surface = node.surface
            pos += len(node.white_space)
            start = pos
            pos += len(surface)
            if (surface.isascii() and surface.isalnum()) or _LATIN_ONLY.fullmatch(surface):
                continue  # covered by the Latin terms, which keep model names whole
            feature = node.feature_raw
            if feature.startswith(_DROP_PREFIXES):
                continue  # particles, auxiliaries, punctuation: most tokens, cheapest test
            term = _japanese_term(surface, feature)
            if term is None:
                continue
            while li < len(latin) and latin[li][0] < start:
                out.append(latin[li][1])
                li += 1
            out.append(term)
        out.extend(term for _, term in latin[li:])
        return out

    def content_words(self, text: str) -> list[tuple[str, str]]:
        """The Japanese content words of ``text`` (nouns, verbs, adjectives; no numbers or
        auxiliaries) as (index term, English origin or ""). unidic records where a loanword
        comes from ("テーブル-table"), so katakana words carry their English source."""
        out: list[tuple[str, str]] = []
        for node in self._tagger()(unicodedata.normalize("NFKC", text)):
            surface = node.surface
            if surface.isascii() or _LATIN_ONLY.fullmatch(surface):
                continue
            fields = node.feature_raw.split(",", 8)
            if fields[0] not in _CONTENT_POS1 or len(fields) < 8:
                continue
            if fields[1] in _NOT_CONTENT_POS2:
                continue
            term = _japanese_term(surface, node.feature_raw)
            if term is None:
                continue
            origin = fields[7].partition("-")[2].lower()
            out.append((term, origin if _ORIGIN.fullmatch(origin) else ""))
        return out


def _japanese_term(surface: str, feature_raw: str) -> str | None:
    """The index form of one MeCab token, or None for a stop token."""
    # feature_raw is much faster than fugashi's parsed namedtuple; pos fields hold no commas.
    fields = feature_raw.split(",", 8)
    pos1 = fields[0]
    pos2 = fields[1] if len(fields) > 1 else ""
    if pos1 not in _KEEP_POS1 or pos2 in _DROP_POS2:
        return None
    if pos1 == "接尾辞" and pos2 not in _KEEP_SUFFIX_POS2:
        return None
    if surface in _JA_STOP_KANA:
        return None
    if pos1 == "記号" and not surface.isalnum():
        return None  # keep letters such as α, drop → ※ and friends
    lemma = fields[7] if len(fields) > 7 and fields[7] not in ("", "*") else ""
    # unidic lemmas of loanwords carry their origin ("モデル-model"); unknown words have none.
    term = lemma.split("-", 1)[0] if lemma and not lemma.startswith("-") else surface
    if pos1 == "名詞" and _QUESTION_COUNTER.fullmatch(term):
        term = term[1:]  # 何分, 何人, 何語 as one word: the unit asked for is the content
    if term in _JA_STOP_LEMMAS:
        return None
    return term.lower()
