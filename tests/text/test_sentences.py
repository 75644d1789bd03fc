"""The one sentence splitter (its rules decide where ingested chunks end)."""

import random

import pytest

from tests.text.random_text import random_text
from text.sentences import list_marker_end, split_fragments, split_sentences


def sentences_of(text: str) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text)]


@pytest.mark.unit
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "これはペンです。あれは「本」です！本当？ はい。",
            ["これはペンです。", "あれは「本」です！", "本当？", "はい。"],
        ),
        ("彼は「行く。」と言った。次の文。", ["彼は「行く。」", "と言った。", "次の文。"]),
        ("括弧（注記。）の後。", ["括弧（注記。）", "の後。"]),
        (
            "The value is 3.5 today. See e.g. the U.S. report by Dr. Smith. Next! Why? Fine.",
            [
                "The value is 3.5 today.",
                "See e.g. the U.S. report by Dr. Smith.",
                "Next!",
                "Why?",
                "Fine.",
            ],
        ),
        ('He said "Stop." Then he left.', ['He said "Stop."', "Then he left."]),
        (
            "Visit https://example.com/?q=1&x=2 now. Done.",
            ["Visit https://example.com/?q=1&x=2 now.", "Done."],
        ),
        ("すごい!次はGPT-4.0の話。", ["すごい!", "次はGPT-4.0の話。"]),
        ("である.次にこれを見る.", ["である.", "次にこれを見る."]),  # full-width period after NFKC
        ("1. Introduction to models. 2. Methods", ["1. Introduction to models.", "2. Methods"]),
        (
            "見出し\n本文はここから始まります。\n- 一つ目\n- 二つ目\n・三つ目\n"
            "(4) 四つ目\n\n次の段落",
            [
                "見出し\n本文はここから始まります。",
                "- 一つ目",
                "- 二つ目",
                "・三つ目",
                "(4) 四つ目",
                "次の段落",
            ],
        ),
        ("短い見出し\n\n本文", ["短い見出し", "本文"]),  # blank lines always break
        (
            "スライドの一行目には句読点のない説明文です\n二行目\n三行目\n"
            "This English line has no punctuation at all\nok",
            [
                "スライドの一行目には句読点のない説明文です",  # long enough to end at the newline
                "二行目\n三行目\nThis English line has no punctuation at all",
                "ok",
            ],
        ),
        ("自己紹介 • 現職:講師 • 書籍の翻訳", ["自己紹介", "• 現職:講師", "• 書籍の翻訳"]),
        ("  \n\n  ", []),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert sentences_of(text) == expected


def assert_spans_cover(text: str, spans: list[tuple[int, int]]) -> None:
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        assert not text[start].isspace() and not text[end - 1].isspace()
        assert not text[previous_end:start].strip(), "non-space text between sentences"
        previous_end = end
    assert not text[previous_end:].strip()


@pytest.mark.unit
def test_split_sentences_covers_random_text() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        text = random_text(rng, rng.randrange(40))
        assert_spans_cover(text, split_sentences(text))


@pytest.mark.unit
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "X3の主な仕様\n・ 重さ 320グラム ・ 保証期間 2年",
            ["X3の主な仕様", "重さ 320グラム", "保証期間 2年"],
        ),
        ("ソラマメ・ルーターです。次の文。", ["ソラマメ・ルーターです。", "次の文。"]),
        (
            "自己紹介 • 現職:講師\n\n---\nThe end. Done",
            ["自己紹介", "現職:講師", "The end.", "Done"],
        ),
        ("見出し\n本文です", ["見出し", "本文です"]),  # every line on its own
    ],
)
def test_split_fragments(text: str, expected: list[str]) -> None:
    assert [text[start:end] for start, end in split_fragments(text)] == expected


@pytest.mark.unit
@pytest.mark.parametrize(
    ("line", "text"),
    [
        ("- 重さ 320グラム", "重さ 320グラム"),
        ("・ 保証 2年", "保証 2年"),
        ("•no space", "no space"),
        ("1. First item", "First item"),
        ("(2) 二つ目", "二つ目"),
        ("1.5 is a number", "1.5 is a number"),
        ("-5 degrees", "-5 degrees"),
        ("plain text", "plain text"),
    ],
)
def test_list_marker_end(line: str, text: str) -> None:
    assert line[list_marker_end(line) :] == text
