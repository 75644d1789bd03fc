"""Extractive answers across languages: question words matched through their translations."""

from __future__ import annotations

import pytest

from generator.extractive import ExtractiveAnswerer
from generator.records import Passage
from generator.translated_terms import stems, translated_weight, translated_words

pytestmark = pytest.mark.unit

QUESTION = "共有メモリバッファに使うメモリの既定の量はどのくらいですか？"
# What the keyword bridge gives for it (JMdict glosses, loanwords, the glossary), in short.
TRANSLATIONS = {
    "共有": [("joint", "ownership"), ("sharing",)],
    "メモリー": [("memory",)],
    "バッファー": [("buffer",)],
    "既定": [("デフォルト",), ("default",)],
    "量": [("quantity",), ("amount",)],
}
MANUAL = [
    Passage(
        "Shared memory on Solaris is configured with projadd -K project.max-shm-memory=8GB. "
        "Sets the amount of memory the server uses for shared memory buffers. "
        "The default is typically 128 megabytes (128MB). "
        "A reasonable starting value on a dedicated server with 64 GB of RAM is 16 GB.",
        "Resource Consumption",
        1,
        0.8,
    )
]


def translations(question: str) -> dict[str, list[tuple[str, ...]]]:
    return TRANSLATIONS if question == QUESTION else {}


def test_a_japanese_question_quotes_the_english_sentence_with_its_words() -> None:
    alone = ExtractiveAnswerer().answer(QUESTION, MANUAL, max_sentences=1)
    bridged = ExtractiveAnswerer(translations=translations).answer(
        QUESTION, MANUAL, max_sentences=1
    )
    assert alone.abstained  # no word in common: nothing to quote
    assert not bridged.abstained
    assert bridged.text.startswith("The default is typically 128 megabytes")


def test_translations_count_half_and_only_for_words_a_sentence_lacks() -> None:
    present = stems({"default", "share", "memory", "buffer", "amount", "デフ", "フォ"})
    words = translated_words(QUESTION, translations, present)
    weights = dict.fromkeys({f for w in words for f in w.own}, 1.0)
    default = next(w for w in words if "既定" in w.own)
    assert frozenset({"default"}) in default.translations
    english = frozenset({"the", "default", "is"})
    assert translated_weight([default], english, weights) == pytest.approx(0.5)
    # A sentence that has the question's own word gains nothing from also having a translation.
    both = english | {"既定"}
    assert translated_weight([default], both, weights) == 0.0
    # "sharing" (the gloss) meets "shared" (the manual) through their stems.
    shared = next(w for w in words if "共有" in w.own)
    assert translated_weight([shared], frozenset({"shared"}), weights) == pytest.approx(0.5)
    # A translation no candidate holds is dropped ("joint ownership").
    assert all("joint" not in t for w in words for t in w.translations)


def test_translated_words_weigh_as_much_as_the_semantic_score() -> None:
    # A Japanese question meets an English manual only through translations, so its word
    # overlap is a fraction of a same-language question's. Put on one scale per question with
    # the semantic score, it still decides against a sentence that shares none of its words
    # but that the semantic score slightly prefers.
    def scorer(question: str, sentences: list[str]) -> list[float]:
        return [1.0 if "reasonable" in s else 0.7 if "default" in s else 0.0 for s in sentences]

    answerer = ExtractiveAnswerer(sentence_scorer=scorer, translations=translations)
    answer = answerer.answer(QUESTION, MANUAL, max_sentences=1)
    assert answer.text.startswith("The default is typically 128 megabytes")
