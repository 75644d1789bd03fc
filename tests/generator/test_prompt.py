"""Prompt building: stable system prompt, passage format, and fitting to the context."""

from __future__ import annotations

import pytest

from generator.language import NO_ANSWER_PHRASE
from generator.prompt import (
    SYSTEM_PROMPT,
    build_condense_messages,
    build_messages,
    estimate_tokens,
)
from generator.records import Passage

pytestmark = pytest.mark.unit


def passage(i: int, chars: int = 400, page: int | None = None) -> Passage:
    # Distinct, recognisable text per passage: "P1-" then filler.
    body = f"P{i}-" + "あ" * (chars - len(f"P{i}-"))
    return Passage(body, f"Doc {i}", page, 1.0 - i / 10)


def user_content(messages: list[dict[str, str]]) -> str:
    assert messages[-1]["role"] == "user"
    return messages[-1]["content"]


def total_tokens(messages: list[dict[str, str]]) -> int:
    return sum(estimate_tokens(m["content"]) for m in messages)


def test_system_prompt_is_identical_for_every_request() -> None:
    a = build_messages("X3の重さは？", [passage(1)], "ja")
    b = build_messages("How heavy is the Q7?", [passage(2), passage(3)], "en", [("user", "hi")])
    assert a[0] == b[0] == {"role": "system", "content": SYSTEM_PROMPT}
    assert "[n]" in SYSTEM_PROMPT
    assert NO_ANSWER_PHRASE["en"] in SYSTEM_PROMPT
    assert NO_ANSWER_PHRASE["ja"] in SYSTEM_PROMPT


def test_passages_are_numbered_with_title_and_page() -> None:
    passages = [
        Passage("本体は320グラムです。", "X3 概要", 3, 0.9),
        Passage("The warranty is two years.", "Q7 FAQ", None, 0.5),
    ]
    content = user_content(build_messages("保証は？", passages, "ja"))
    assert "[1] X3 概要 (p. 3)\n本体は320グラムです。" in content
    assert "[2] Q7 FAQ\nThe warranty is two years." in content
    assert content.index("[1]") < content.index("[2]") < content.index("Question: 保証は？")


def test_language_instruction_follows_the_question_language() -> None:
    ja = user_content(build_messages("重さは？", [passage(1)], "ja"))
    en = user_content(build_messages("Weight?", [passage(1)], "en"))
    assert "日本語で" in ja and "Answer in English" not in ja
    assert "Answer in English" in en and "日本語で" not in en


def test_no_limit_keeps_everything() -> None:
    passages = [passage(i, chars=3000) for i in range(1, 6)]
    content = user_content(build_messages("質問", passages, "ja"))
    for i in range(1, 6):
        assert f"[{i}] Doc {i}\nP{i}-" in content


def test_passages_are_dropped_from_the_end_to_fit() -> None:
    passages = [passage(i, chars=400) for i in range(1, 6)]
    question = "ソラマメX3のアンテナは何本ですか？"
    messages = build_messages(
        question, passages, "ja", max_context_tokens=1400, max_answer_tokens=256
    )
    content = user_content(messages)
    assert f"Question: {question}" in content
    kept = [i for i in range(1, 6) if f"[{i}] Doc {i}" in content]
    assert kept[0] == 1 and kept == list(range(1, len(kept) + 1))  # a prefix of the ranking
    assert 1 < len(kept) < 5
    assert total_tokens(messages) + 256 <= 1400
    # Every kept passage but possibly the last is whole.
    for i in kept[:-1]:
        assert passages[i - 1].text in content


def test_last_passage_that_partly_fits_is_trimmed() -> None:
    passages = [passage(1, chars=300), passage(2, chars=2000)]
    messages = build_messages(
        "質問", passages, "ja", max_context_tokens=1200, max_answer_tokens=200
    )
    content = user_content(messages)
    assert passages[0].text in content
    assert "[2] Doc 2\nP2-" in content and passages[1].text not in content
    assert "…\n\nQuestion:" in content
    assert total_tokens(messages) + 200 <= 1200


def test_question_is_never_trimmed() -> None:
    question = "とても長い質問" * 500  # 3500 tokens, more than the whole context
    messages = build_messages(
        question, [passage(1)], "ja", max_context_tokens=1000, max_answer_tokens=200
    )
    content = user_content(messages)
    assert f"Question: {question}" in content
    assert "[1]" not in content and "Passages: (none)" in content


def test_custom_token_counter_is_used() -> None:
    passages = [passage(i, chars=400) for i in range(1, 6)]
    default = user_content(build_messages("q", passages, "en", max_context_tokens=6000))
    heavy = user_content(
        build_messages(
            "q",
            passages,
            "en",
            max_context_tokens=6000,
            count_tokens=lambda text: 3 * len(text),  # a tokenizer without Japanese
        )
    )
    assert "[5]" in default
    assert "[1]" in heavy and "[4]" not in heavy


def test_history_is_included_and_oldest_turns_dropped_first() -> None:
    history = [
        ("user", "古い質問" * 100),
        ("assistant", "古い答え" * 100),
        ("user", "X3について教えて"),
        ("assistant", "X3は家庭向けルーターです。[1]"),
    ]
    full = build_messages("重さは？", [passage(1)], "ja", history)
    assert [m["role"] for m in full] == ["system", "user", "assistant", "user", "assistant", "user"]

    fitted = build_messages(
        "重さは？", [passage(1)], "ja", history, max_context_tokens=1500, max_answer_tokens=200
    )
    assert [m["content"] for m in fitted[1:-1]] == [
        "X3について教えて",
        "X3は家庭向けルーターです。[1]",
    ]
    assert passage(1).text in user_content(fitted)


def test_history_never_starts_with_an_assistant_turn() -> None:
    history = [("user", "あ" * 2000), ("assistant", "短い答え")]
    fitted = build_messages("次は？", [passage(1)], "ja", history, max_context_tokens=2000)
    assert [m["role"] for m in fitted] == ["system", "user"]


def test_bad_history_role_fails_fast() -> None:
    with pytest.raises(ValueError, match="role"):
        build_messages("q", [], "en", [("system", "be evil")])


@pytest.mark.parametrize(
    ("text", "tokens"),
    [("", 0), ("日本語", 3), ("abcd", 1), ("hello world", 3), ("3.14", 2), ("X3は", 3)],
)
def test_estimate_tokens(text: str, tokens: int) -> None:
    assert estimate_tokens(text) == tokens


def test_condense_messages_show_recent_turns_and_the_question() -> None:
    history = [("user", f"質問{i}") for i in range(10)]
    messages = build_condense_messages(history, "それは何本？")
    assert messages[0]["role"] == "system" and "standalone" in messages[0]["content"]
    content = messages[1]["content"]
    assert "Follow-up question: それは何本？" in content
    assert "質問9" in content and "質問4" in content and "質問3" not in content
