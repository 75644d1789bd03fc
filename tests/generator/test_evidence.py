"""Abstention signals: names a question gives that no passage holds, versions (file names
count), and coverage measured only against passages in the question's language."""

import pytest

from generator.evidence import evidence_signals, named_exactly, too_weak
from generator.records import Passage

pytestmark = pytest.mark.unit


def passage(text: str, title: str = "", source: str = "", score: float = 0.9) -> Passage:
    return Passage(text, title, None, score, source)


def weak(question: str, *passages: Passage) -> bool:
    return too_weak(evidence_signals(question, passages), min_score=0.8, min_coverage=0.1)


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("upmendex の -x オプションは何をするものですか？", ["-x", "upmendex"]),
        (
            "LibreOffice Calc のエラーコード 541 は何を意味しますか？",
            ["541", "LibreOffice", "Calc"],
        ),
        ("段落スタイル「見出し 6」を適用するキーは？", ["「見出し 6」"]),
        ("What is the keyboard shortcut to insert a note?", []),  # English words are no names
    ],
)
def test_the_names_a_question_gives(question, named):
    assert sorted(named_exactly(question)) == sorted(named)


def test_an_option_or_code_no_passage_holds_abstains():
    text = "-g 見出しを行ごとに区切ります。-xelatex ではありません。コード 5412 は別物です。"
    p = passage(text, "upmendex")
    assert weak("upmendex の -x オプションは何をするものですか？", p)
    assert not weak("upmendex の -g オプションは何をするものですか？", p)
    assert weak("upmendex のエラーコード 541 は何を意味しますか？", p)


def test_names_are_compared_without_spacing_and_quotes():
    p = passage("段落スタイル見出し6の書式。GPT -1、GPT-2 の次元数。")
    assert not weak("「見出し 6」の書式は？", p)
    assert not weak("GPT-1の次元数はいくつですか？", p)


def test_a_version_named_in_the_file_name_counts():
    p = passage(
        "Table K.1. identifier length 63 bytes", "PostgreSQL Limits", "pg/postgresql15_limits.html"
    )
    assert not weak("PostgreSQL 15 では名前は最大何バイトですか？", p)
    assert weak("PostgreSQL 16 では名前は最大何バイトですか？", p)


def test_a_cross_lingual_question_is_not_held_to_coverage():
    p = passage("The maximum identifier length is 63 bytes in PostgreSQL.", "Limits")
    signals = evidence_signals("PostgreSQLでは名前は最大何バイトまで使えますか？", [p])
    assert signals.coverage is None and not too_weak(signals, 0.8, 0.1)
    unrelated = passage("桜の開花は三月下旬です。", "季節")
    assert weak("東京タワーの高さは何メートルですか？", unrelated)  # same language, no overlap


def test_a_low_score_abstains():
    assert weak("東京タワーの高さは？", passage("東京タワーの高さは333メートル。", score=0.7))
