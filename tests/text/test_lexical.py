"""Versioned names: what makes a question about "Falcon 180B" unanswerable from Falcon-40B."""

import pytest

from text.lexical import mentions_version, versioned_names

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Falcon 180Bは何兆トークン？", {("falcon", "180b")}),
        ("540BパラメータのPaLM 2は", {("palm", "2")}),
        ("llama2 と gpt-4o と GPT-3.5", {("llama", "2"), ("gpt", "4o"), ("gpt", "3.5")}),
        ("Ｆａｌｃｏｎ－１８０Ｂ", {("falcon", "180b")}),  # full-width, as PDFs give it
        ("trained on about 40 GB of text", set()),  # a lower-case word and a number
        ("AWS Dev Day 2023は何日？", set()),  # a year is not a version
        ("Flan v2のタスク数", set()),
        ("ソラマメX5とM-2とA100", {("x", "5"), ("m", "2"), ("a", "100")}),
        ("section A 2", set()),
    ],
)
def test_versioned_names(text, names):
    assert versioned_names(text) == names


def test_mentions_version_accepts_spellings_but_not_siblings():
    assert mentions_version("Falcon-180B は", "falcon", "180b")
    assert mentions_version("のfalcon180bで", "falcon", "180b")
    assert mentions_version("GPT-3.5-turbo", "gpt", "3.5")
    assert not mentions_version("Falcon-40B:RefineWeb", "falcon", "180b")
    assert not mentions_version("GPT-3.5", "gpt", "3")
    assert not mentions_version("GPT-35", "gpt", "3")
