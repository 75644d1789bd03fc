"""Answer-type bonuses on hand-written cases: identifiers for "which option/key/file" questions."""

import pytest

from generator.answer_types import answer_type_bonus
from generator.extractive import ExtractiveAnswerer
from generator.records import Passage

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("question", "holds", "lacks"),
    [
        (
            "upmendexで見出しを行ごとに区切るにはどのオプションを使いますか？",
            "コマンドラインオプション -g を指定すると見出しが行ごとに区切られます。",
            "upmendex は日本語の索引を楽に扱えるようになっています。",
        ),
        (
            "Calcで参照を切り替えるキーはどれですか？",
            "You can switch between relative and absolute references by pressing F4.",
            "A relative reference changes when the formula is copied.",
        ),
        (
            "Which file is not signed when you sign an ODF document?",
            "The signature file META-INF/documentsignatures.xml itself is not signed.",
            "You can apply digital signatures to documents and macros.",
        ),
        (
            "オッシア譜をメインの譜の上に並べるプロパティは何ですか？",
            '\\with { alignAboveContext = "main" } で上に並べます。',
            "オッシアは音部記号と拍子記号無しで記述されます。",
        ),
    ],
)
def test_a_sentence_with_an_identifier_answers_which_thing(question, holds, lacks):
    with_identifier, without = answer_type_bonus(question, [holds, lacks])
    assert with_identifier > 0 and without == 0


def test_an_identifier_the_question_already_names_is_no_answer():
    question = "What does the --verbose option of pg_dump do?"
    (bonus,) = answer_type_bonus(question, ["Use --verbose to see progress."])
    assert bonus == 0  # "pg_dump" and "--verbose" are the question's own words


def test_questions_that_ask_for_neither_get_no_bonus():
    assert answer_type_bonus("灯籠流しはなぜ始まったのですか？", ["1897年に -g と F4"]) == [0.0]


def test_how_many_still_prefers_a_number_with_the_unit():
    low, mid, high = answer_type_bonus("職人は何人ですか？", ["職人がいます", "7つ", "職人7人"])
    assert low == 0 < mid < high


def test_the_extractive_answer_quotes_the_sentence_with_the_option():
    # The first sentence shares more words with the question; the second holds the answer.
    passage = Passage(
        "upmendex では日本語の見出しを行ごとに区切れます。\n区切るには -g を指定します。",
        "upmendex",
        1,
        0.9,
    )
    answer = ExtractiveAnswerer().answer(
        "upmendexで日本語の見出しを行ごとに区切るにはどのオプションを使いますか？", [passage]
    )
    assert "-g" in answer.text
