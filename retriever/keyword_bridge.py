"""A cross-lingual keyword bridge: question words translated Japanese <-> English for BM25.

Manuals mix languages (a Japanese manual quotes English paragraphs; an English question is
asked of Japanese text), and BM25 matches only the words a question spells. The bridge looks
up each content word of the question in a bilingual dictionary (and uses unidic's recorded
English source of katakana loanwords, テーブル -> table) and adds the translations that the
collection actually holds as alternatives of that word, weighted below it. A small glossary
(retriever/glossary.py) adds what a general dictionary lacks: a manual's other names for the
word's concept (既定 = デフォルト = default), counted as the word, and a concept the question
implies without naming it ("何も指定しないと": the default), counted as a translation.

- an alternative never counts more than the word itself would at the same term frequency
  (its weight is capped by the ratio of the word's IDF to the alternative's), and
- a word's alternatives do not add up: a chunk scores the best one (KeywordIndex's term
  groups), so a Japanese chunk that already holds the word gains nothing from an English
  gloss it also holds, and one common gloss cannot dominate the query.

The same translations, two per word, are appended to the question FAISS is asked with
(`translated_query`): the small multilingual embedder links the two languages weakly.
Only the question side changes; nothing is re-indexed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from itertools import pairwise
from types import MappingProxyType
from typing import Protocol

from retriever.glossary import implied_concepts, same_concept
from retriever.keyword_index import TermGroup
from retriever.tokenizer import JapaneseTokenizer, latin_terms

# Kana and CJK ideographs: a question holding any is read as Japanese.
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
# Words of English questions that are asked with, not about, which the tokenizer keeps as
# terms (its stopwords, "what", "does" and the like, have no terms to translate).
_QUESTION_WORDS = frozenset(
    {"not", "no", "here", "such", "about", "any", "some", "give", "go", "get"}
    | {"don't", "doesn't", "there's", "what's"}
)


class BilingualDictionary(Protocol):
    def english(self, headword: str) -> Sequence[str]:
        """English translations of a Japanese word, commonest first."""
        ...

    def japanese(self, english: str) -> Sequence[str]:
        """Japanese words for an English word or short phrase, commonest first."""
        ...


IdfLookup = Callable[[Iterable[str]], dict[str, float]]


class KeywordBridge:
    """Turns a question into BM25 term groups: its own terms, each with its translations."""

    def __init__(
        self,
        tokenizer: JapaneseTokenizer,
        dictionary: BilingualDictionary,
        weight: float,
        max_alternatives: int,
        glossary: bool,
    ) -> None:
        """`weight` (0 < weight <= 1) is the most a translation counts against the word it
        translates; `max_alternatives` the most translations kept per word; `glossary` adds
        the software-manual glossary's names of a word's concept (retriever/glossary.py)."""
        if not 0.0 < weight <= 1.0:
            raise ValueError(f"weight must be in (0, 1], got {weight}")
        if max_alternatives < 1:
            raise ValueError(f"max_alternatives must be >= 1, got {max_alternatives}")
        self.tokenizer = tokenizer
        self.dictionary = dictionary
        self.weight = weight
        self.max_alternatives = max_alternatives
        self.glossary = glossary
        # The dense query, BM25 and the extractive answerer each ask for a question's
        # translations: computed once (the result is shared, so it is read-only).
        self.translations = lru_cache(maxsize=1024)(self._translations)

    def _translations(self, query: str) -> Mapping[str, tuple[tuple[str, ...], ...]]:
        """Candidate translations (as index terms) per own index term of ``query``."""
        if _JAPANESE.search(query):
            found = self._english_for_japanese(query)
        else:
            found = self._japanese_for_english(query)
        return MappingProxyType({word: tuple(alts) for word, alts in found.items()})

    def translated_query(self, query: str, per_word: int) -> str:
        """The query followed by up to `per_word` of each word's translations into the other
        language, for the dense retriever: a small multilingual embedder meets a passage in the
        other language far better when the question also names its words in that language
        (dictionary query translation). Same-language synonyms are left to BM25."""
        japanese = bool(_JAPANESE.search(query))
        added: list[str] = []
        for alternatives in self.translations(query).values():
            other = [alt for alt in alternatives if _is_japanese(alt) != japanese]
            # Japanese terms are written as one word, English ones spaced.
            added.extend(" ".join(alt) if japanese else "".join(alt) for alt in other[:per_word])
        extra = " ".join(dict.fromkeys(added))
        return f"{query} {extra}" if extra else query

    def expand(self, query: str, idf: IdfLookup) -> list[TermGroup]:
        """Term groups for KeywordIndex.search_groups; `idf` gives the collection's IDF of the
        terms it holds (KeywordIndex.idf), which drops translations the collection lacks."""
        own = list(dict.fromkeys(self.tokenizer.tokenize(query)))
        candidates = self.translations(query)
        concepts = implied_concepts(query) if self.glossary else []
        implied = [self._terms(word) for concept in concepts for word in concept]
        terms = {t for alts in [*candidates.values(), implied] for alt in alts for t in alt}
        idfs = idf(terms | set(own))
        used = set(own)  # a term scores in one group only
        groups: list[TermGroup] = []
        for term in own:
            group: list[tuple[Sequence[str], float]] = [((term,), 1.0)]
            synonyms = set(map(self._terms, self._same_concept(term)))
            for alt in candidates.get(term, []):
                if len(group) > self.max_alternatives:
                    break
                if used.intersection(alt) or not all(t in idfs for t in alt):
                    continue
                # Another name of the same concept counts as the word; a translation less.
                weight = 1.0 if alt in synonyms else self.weight
                if term in idfs:  # never above the word itself at the same frequency
                    alt_idf = sum(idfs[t] for t in alt) / len(alt)
                    weight *= min(1.0, idfs[term] / alt_idf)
                group.append((alt, weight))
            used.update(t for alt, _ in group for t in alt)
            groups.append(group)
        # A concept the question asks about without naming it ("何も指定しないと": the default).
        unnamed: list[tuple[Sequence[str], float]] = [
            (alt, self.weight)
            for alt in _distinct(implied)
            if not used.intersection(alt) and all(t in idfs for t in alt)
        ]
        if unnamed:
            groups.append(unnamed)
        return groups

    def _english_for_japanese(self, query: str) -> dict[str, list[tuple[str, ...]]]:
        out: dict[str, list[tuple[str, ...]]] = {}
        for term, origin in self.tokenizer.content_words(query):
            if term in out:
                continue
            glosses = [origin] if origin else []
            glosses.extend(self.dictionary.english(term))
            english = (tuple(dict.fromkeys(latin_terms(g))) for g in glosses)
            # The glossary's names of the word's concept first: they are the manual's words.
            out[term] = _distinct([*map(self._terms, self._same_concept(term)), *english])
        return out

    def _japanese_for_english(self, query: str) -> dict[str, list[tuple[str, ...]]]:
        words = [w.lower() for w in _WORD.findall(unicodedata.normalize("NFKC", query))]
        words = [w for w in words if w not in _QUESTION_WORDS and latin_terms(w)]
        out: dict[str, list[tuple[str, ...]]] = {}
        # A two-word phrase ("keyboard shortcut") is more precise than either word.
        lookups = [(f"{a} {b}", a) for a, b in pairwise(words)] + [(w, w) for w in words]
        for phrase, word in lookups:
            terms = latin_terms(word)
            alts = out.setdefault(terms[0], [])
            forms = [phrase] if " " in phrase else [terms[0], *_nominal_forms(terms[0])]
            alts.extend(map(self._terms, self._same_concept(terms[0]) if phrase == word else ()))
            for form in forms:
                for headword in self.dictionary.japanese(form):
                    alts.append(self._terms(headword))
        return {word: _distinct(alts) for word, alts in out.items() if alts}

    def _same_concept(self, word: str) -> list[str]:
        return same_concept(word) if self.glossary else []

    def _terms(self, text: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.tokenizer.tokenize(text)))


def _is_japanese(terms: Sequence[str]) -> bool:
    return any(_JAPANESE.search(term) for term in terms)


def _nominal_forms(word: str) -> list[str]:
    """Nouns an English verb may be glossed by: JMdict glosses する-verbs as nouns (挿入
    "insertion", 編集 "editing"), so "insert" and "edit" alone would not find them."""
    if not word.isalpha() or len(word) < 4:
        return []
    stem = word[:-1] if word.endswith("e") else word
    return [stem + "ing", stem + "ion"]


def _distinct(alternatives: Iterable[tuple[str, ...]]) -> list[tuple[str, ...]]:
    return [alt for alt in dict.fromkeys(alternatives) if alt]
