"""What a question names, and the focus on sentences about it."""

import pytest

from generator.question_names import entity_focus, file_name_features
from generator.records import Passage
from text.lexical import features

pytestmark = pytest.mark.unit


def test_a_file_name_is_split_where_letters_meet_digits() -> None:
    assert {"postgresql", "15", "runtime"} <= file_name_features(
        "/corpus/postgresql15_runtime-config-resource.html"
    )
    assert file_name_features("") == set()


def focus(question: str, texts: list[str], passages: list[Passage]) -> list[float]:
    return entity_focus(question, [frozenset(features(t)) for t in texts], [0, 1], passages)


def test_a_passage_whose_file_names_the_thing_asked_about_keeps_its_sentences() -> None:
    question = "PostgreSQL 15 の共有メモリの既定値は？"
    texts = ["The default is typically 128 megabytes.", "PostgreSQL requires 48 bytes."]
    about = Passage(texts[0], "Resource Consumption", 1, 0.9, "postgresql15_runtime-config.html")
    other = Passage(texts[1], "Kernel Resources", 1, 0.9, "kernel.html")
    assert focus(question, texts, [about, other]) == [1.0, 1.0]
    # Without the file name the first passage never says "PostgreSQL": its sentence is
    # taken for another thing's fact.
    unnamed = Passage(texts[0], "Resource Consumption", 1, 0.9, "resource.html")
    assert focus(question, texts, [unnamed, other]) == [0.75, 1.0]
