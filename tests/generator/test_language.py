"""Question language detection and the fixed messages."""

from __future__ import annotations

import pytest

from generator.language import (
    NO_ANSWER_PHRASE,
    abstention_message,
    detect_language,
    fallback_warning,
    is_abstention,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("X3のアンテナは何本ですか？", "ja"),
        ("GPUメモリ", "ja"),  # katakana alone is enough
        ("東京都庁所在地", "ja"),  # Han only
        ("⼤規模モデル", "ja"),  # Kangxi radical from PDF extraction
        ("How many antennas does the X3 have?", "en"),
        ("What does 東京 mean?", "en"),  # Han must outweigh the words
        ("東京 population", "ja"),
        ("", "en"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_abstention_messages_start_with_the_no_answer_phrase() -> None:
    for lang in ("ja", "en"):
        message = abstention_message(lang)
        assert message.startswith(NO_ANSWER_PHRASE[lang])
        assert len(message) > len(NO_ANSWER_PHRASE[lang])
        assert is_abstention(message)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The documents don't say.", True),
        ("The documents don\u2019t say.", True),
        ("the documents do not say", True),
        ("提示された文書には、この質問に答える情報は見つかりませんでした。", True),
        ("The documents say it weighs 320 g.", False),
        ("情報が見つかりました。", False),
    ],
)
def test_is_abstention(text: str, expected: bool) -> None:
    assert is_abstention(text) is expected


def test_fallback_warning_is_in_the_question_language() -> None:
    assert "回答生成サーバー" in fallback_warning("ja", "detail")
    assert fallback_warning("en", "refused").endswith("(refused)")
