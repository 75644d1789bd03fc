"""Answerer: abstention, generation with checked citations, fallback, streaming, condensing."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from generator.answerer import Answerer, heuristic_condense
from generator.errors import GeneratorResponseError
from generator.extractive import ExtractiveAnswerer
from generator.language import abstention_message
from generator.openai_client import OpenAIGenerator
from generator.records import Answer, Passage
from tests.generator.fake_openai_server import FakeOpenAIServer

pytestmark = pytest.mark.unit

PASSAGES = [
    Passage(
        "ソラマメX3は家庭向けの無線ルーターです。本体には4本のアンテナが内蔵されています。",
        "ソラマメX3 製品概要",
        1,
        0.9,
    ),
    Passage("設定はアプリ「マメナビ」から行います。", "ソラマメX3 設定ガイド", 4, 0.8),
    Passage("X3の主な仕様\n・ 重さ 320グラム ・ 保証期間 2年", "仕様スライド", 7, 0.7),
]
QUESTION = "ソラマメX3のアンテナは何本ですか？"
EXTRACTIVE_TEXT = "本体には4本のアンテナが内蔵されています。[1]"


def run(
    url: str | None,
    call: str,
    *args: Any,
    timeout: float = 5.0,
    **answerer_kwargs: Any,
) -> Any:
    """Build an Answerer (with a generator at ``url``) in a fresh loop and run one method."""

    async def main() -> Any:
        gen = OpenAIGenerator(url, timeout=timeout, retry_backoff=0.01) if url else None
        answerer = Answerer(gen, ExtractiveAnswerer(), **answerer_kwargs)
        try:
            if call == "stream_answer":
                return [item async for item in answerer.stream_answer(*args)]
            return await getattr(answerer, call)(*args)
        finally:
            if gen is not None:
                await gen.aclose()

    return asyncio.run(main())


def ask(url: str | None, question: str = QUESTION, **kwargs: Any) -> Answer:
    answer = run(url, "answer", question, PASSAGES, **kwargs)
    assert isinstance(answer, Answer)
    return answer


def test_without_generator_the_answer_is_extractive() -> None:
    answer = ask(None)
    assert (answer.mode, answer.text, answer.warnings) == ("extractive", EXTRACTIVE_TEXT, ())


def test_weak_evidence_abstains_without_calling_the_server(fake_server: FakeOpenAIServer) -> None:
    answer = ask(fake_server.base_url("weak"), min_score=0.95)
    assert answer.abstained
    assert answer.text == abstention_message("ja")
    assert (answer.mode, answer.cited) == ("generative", ())
    assert fake_server.chat_requests("weak") == []

    none = run(None, "answer", "How heavy is it?", [])
    assert none.abstained and none.text == abstention_message("en")


def test_a_version_no_passage_names_abstains_without_calling_the_server(
    fake_server: FakeOpenAIServer,
) -> None:
    # The passages are about the X3: a question about the X5 must not be answered from them,
    # however well everything else matches.
    answer = ask(fake_server.base_url("x5"), question="ソラマメX5のアンテナは何本ですか？")
    assert answer.abstained and answer.text == abstention_message("ja")
    assert fake_server.chat_requests("x5") == []
    assert not ask(None, question="ソラマメ X-3 のアンテナは何本？").abstained  # another spelling


def test_a_question_about_nothing_abstains_outside_a_conversation(
    fake_server: FakeOpenAIServer,
) -> None:
    # The tokenizer finds no search term in "何ですか？" or "??": the passages retrieved for
    # them are noise, and quoting one would be a guess.
    from retriever.tokenizer import JapaneseTokenizer

    terms = JapaneseTokenizer().tokenize
    for question in ("何ですか？", "??", "What is it?"):
        answer = ask(fake_server.base_url("nothing"), question=question, search_terms=terms)
        assert answer.abstained, question
        streamed = run(None, "stream_answer", question, PASSAGES, search_terms=terms)
        assert streamed[-1].abstained, question
    assert fake_server.chat_requests("nothing") == []
    # In a conversation the earlier turns say what "it" is: the generator is asked.
    fake_server.replies["followup"] = "4本です。[1]"
    history = [("user", QUESTION), ("assistant", EXTRACTIVE_TEXT)]
    followup = run(
        fake_server.base_url("followup"),
        "answer",
        "それは何ですか？",
        PASSAGES,
        history,
        search_terms=terms,
    )
    assert not followup.abstained
    # A question with words to search for is answered as before.
    assert not ask(None, search_terms=terms).abstained


def test_generated_answer_keeps_valid_citations(fake_server: FakeOpenAIServer) -> None:
    fake_server.replies["gen"] = (
        "本体には4本のアンテナが内蔵されています。[1][7] 重さは320グラムです［３］。"
    )
    answer = ask(fake_server.base_url("gen"))

    assert answer.text == "本体には4本のアンテナが内蔵されています。[1] 重さは320グラムです[3]。"
    assert (answer.mode, answer.language, answer.abstained) == ("generative", "ja", False)
    assert answer.cited == (1, 3)
    assert [(s.passages, s.supported) for s in answer.sentences] == [((1,), True), ((3,), True)]
    assert answer.warnings == ()
    # Each citation points at the passage sentence that supports it.
    spans = {n: answer.cited_span(n) for n in answer.cited}
    assert spans[1] is not None and spans[3] is not None
    assert (
        PASSAGES[0].text[spans[1][0] : spans[1][1]] == "本体には4本のアンテナが内蔵されています。"
    )
    assert PASSAGES[2].text[spans[3][0] : spans[3][1]] == "重さ 320グラム"

    body = fake_server.chat_requests("gen")[-1]
    user = body["messages"][-1]["content"]
    assert "[1] ソラマメX3 製品概要 (p. 1)" in user and f"Question: {QUESTION}" in user
    assert body["max_tokens"] == 512 and body["stream"] is False


def test_unsupported_sentences_are_flagged(fake_server: FakeOpenAIServer) -> None:
    fake_server.replies["unsupported"] = (
        "アンテナは4本です。[1] ソラマメX3は火星探査機にも搭載されています。[1]"
    )
    answer = ask(fake_server.base_url("unsupported"))
    assert [s.supported for s in answer.sentences] == [True, False]
    assert answer.warnings == ("2文のうち1文は、引用された箇所で裏付けを確認できませんでした。",)
    assert not answer.abstained


def test_answer_citing_nothing_can_be_replaced_by_the_extractive_one(
    fake_server: FakeOpenAIServer,
) -> None:
    fake_server.replies["uncited"] = "The capital of Peru is Lima. It has 4 antennas."
    kept = ask(fake_server.base_url("uncited"))
    assert kept.mode == "generative" and kept.cited == ()
    assert not any(s.supported for s in kept.sentences)

    replaced = ask(fake_server.base_url("uncited"), fallback_when_unsupported=True)
    assert (replaced.mode, replaced.text) == ("extractive", EXTRACTIVE_TEXT)
    assert replaced.warnings == (
        "生成された回答は文書で裏付けられなかったため、文書から抜き出した文で答えています。",
    )


def test_model_saying_the_documents_dont_say_abstains(fake_server: FakeOpenAIServer) -> None:
    fake_server.replies["dontsay"] = "The documents don't say."
    answer = ask(fake_server.base_url("dontsay"), "What colour is the X3?")
    assert answer.abstained
    assert answer.text == abstention_message("en")
    assert answer.mode == "generative"


def test_history_reaches_the_prompt(fake_server: FakeOpenAIServer) -> None:
    fake_server.replies["history"] = "4本です。[1]"
    history = [("user", "ソラマメX3について教えて"), ("assistant", "家庭向けルーターです。[1]")]
    run(fake_server.base_url("history"), "answer", "アンテナは何本？", PASSAGES, history)
    roles = [m["role"] for m in fake_server.chat_requests("history")[-1]["messages"]]
    assert roles == ["system", "user", "assistant", "user"]


@pytest.mark.parametrize("mode", ["down", "slow", "error500"])
def test_unreachable_slow_or_failing_server_falls_back(
    fake_server: FakeOpenAIServer, refused_url: str, mode: str
) -> None:
    url = refused_url if mode == "down" else fake_server.base_url(mode)
    answer = ask(url, timeout=0.3)
    assert (answer.mode, answer.text) == ("extractive", EXTRACTIVE_TEXT)
    (warning,) = answer.warnings
    assert warning.startswith("回答生成サーバーを利用できないため")
    assert url in warning


def test_rejected_request_is_raised_not_hidden(fake_server: FakeOpenAIServer) -> None:
    with pytest.raises(GeneratorResponseError, match="HTTP 400"):
        ask(fake_server.base_url("reject400"))


def test_prompt_too_long_for_the_server_is_retried_smaller(
    fake_server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fake_server, "max_prompt_chars", 2500)
    fake_server.replies["toolong"] = "4本です。[1]"
    body = "X3の" + "アンテナ" * 150  # names the X3 the question asks about
    passages = [Passage(f"P{i}:{body}", f"Doc {i}", None, 0.9) for i in range(1, 6)]
    before = len(fake_server.chat_requests("toolong"))
    answer = run(fake_server.base_url("toolong"), "answer", QUESTION, passages)

    assert answer.text == "4本です。[1]"
    assert len(fake_server.chat_requests("toolong")) == before + 2  # rejected, then accepted
    first, second = fake_server.chat_requests("toolong")[-2:]
    first_user, second_user = first["messages"][-1]["content"], second["messages"][-1]["content"]
    assert len(second_user) < len(first_user)
    assert QUESTION in second_user and "[1] Doc 1" in second_user and "[5] Doc 5" not in second_user


def test_stream_yields_checked_sentences_then_the_answer(fake_server: FakeOpenAIServer) -> None:
    reply = "本体には4本のアンテナが内蔵されています。[1][9]設定は[0]アプリから行います[2-50]。"
    fake_server.replies["stream"] = reply
    items = run(fake_server.base_url("stream"), "stream_answer", QUESTION, PASSAGES)

    *pieces, final = items
    assert isinstance(final, Answer)
    # A sentence at a time (the model sent 4-character pieces), invalid numbers dropped.
    assert pieces == [
        "本体には4本のアンテナが内蔵されています。[1]",
        "設定はアプリから行います[2]。",  # a range over 20 is read as its two ends
    ]
    assert "".join(pieces) == final.text
    assert final.mode == "generative" and final.cited == (1, 2)
    assert fake_server.chat_requests("stream")[-1]["stream"] is True


def test_streamed_and_non_streamed_answers_agree(fake_server: FakeOpenAIServer) -> None:
    fake_server.replies["agree"] = (
        "- 本体には4本の[999]アンテナがあります。[1]\n- 重さは320グラムです [0]。\n"
        "It is set up in an app [1-50]. Really [3]!"
    )
    *pieces, final = run(fake_server.base_url("agree"), "stream_answer", QUESTION, PASSAGES)
    whole = ask(fake_server.base_url("agree"))
    assert final == whole
    assert "".join(pieces) == whole.text
    assert not any(bad in p for p in pieces for bad in ("[999]", "[0]", "[1-50]", "[50]"))
    assert whole.warnings  # the sentences citing nothing valid are flagged


def test_stream_falls_back_when_the_server_is_down(refused_url: str) -> None:
    items = run(refused_url, "stream_answer", QUESTION, PASSAGES)
    assert items[0] == EXTRACTIVE_TEXT
    final = items[1]
    assert len(items) == 2 and isinstance(final, Answer)
    assert final.mode == "extractive" and refused_url in final.warnings[0]


def test_stream_broken_mid_answer_ends_with_the_extractive_answer(
    fake_server: FakeOpenAIServer,
) -> None:
    fake_server.replies["crash"] = "本体には4本のアンテナが内蔵されています。[1]"
    *pieces, final = run(fake_server.base_url("crash"), "stream_answer", QUESTION, PASSAGES)
    assert pieces == [EXTRACTIVE_TEXT]  # the unfinished sentence was never let out
    assert isinstance(final, Answer)
    assert final.mode == "extractive" and final.text == EXTRACTIVE_TEXT
    assert final.warnings and "was lost" in final.warnings[0]


def test_stream_ending_in_another_answer_adds_it_after_what_was_shown(
    fake_server: FakeOpenAIServer,
) -> None:
    # The "crash" server sends two 4-character pieces, then drops the connection: one
    # sentence is out by then.
    fake_server.replies["crash"] = "X3。[1]この本体には4本のアンテナがあります。[1]"
    *pieces, final = run(fake_server.base_url("crash"), "stream_answer", QUESTION, PASSAGES)
    assert isinstance(final, Answer) and final.mode == "extractive"
    assert pieces == ["X3。[1]", "\n\n" + EXTRACTIVE_TEXT]


def test_stream_of_text_citing_nothing_ends_with_the_fallback(
    fake_server: FakeOpenAIServer,
) -> None:
    fake_server.replies["uncited"] = "It is a router [7]. It is nice."
    *pieces, final = run(
        fake_server.base_url("uncited"),
        "stream_answer",
        QUESTION,
        PASSAGES,
        fallback_when_unsupported=True,
    )
    assert isinstance(final, Answer) and final.mode == "extractive"
    assert pieces == ["It is a router. ", "It is nice.", "\n\n" + EXTRACTIVE_TEXT]


def test_stream_of_the_model_abstaining_ends_abstained(fake_server: FakeOpenAIServer) -> None:
    fake_server.replies["nodata"] = "The documents don't say."
    *pieces, final = run(fake_server.base_url("nodata"), "stream_answer", QUESTION, PASSAGES)
    assert isinstance(final, Answer) and final.abstained
    assert pieces == ["The documents don't say."]  # no second abstention after it


def test_stream_without_generator_sends_the_whole_text_once() -> None:
    items = run(None, "stream_answer", QUESTION, PASSAGES)
    assert items[0] == EXTRACTIVE_TEXT
    assert isinstance(items[1], Answer) and items[1].text == EXTRACTIVE_TEXT


HISTORY: Sequence[tuple[str, str]] = (
    ("user", "ソラマメX3のアンテナについて教えて"),
    ("assistant", "本体に内蔵されています。[1]"),
)


def test_condense_without_history_returns_the_question(fake_server: FakeOpenAIServer) -> None:
    assert run(fake_server.base_url("nohistory"), "condense", "それは何本？", ()) == "それは何本？"
    assert fake_server.chat_requests("nohistory") == []


def test_condense_heuristic_adds_salient_terms_of_the_last_user_turn() -> None:
    assert run(None, "condense", "それは何本？", HISTORY) == "それは何本？ ソラマメX3 アンテナ"
    english = [("user", "Tell me about the Quill Q7 battery"), ("assistant", "It lasts.")]
    assert heuristic_condense("How long does it last?", english) == (
        "How long does it last? Quill Q7 battery"
    )


def test_condense_uses_the_generator(fake_server: FakeOpenAIServer) -> None:
    fake_server.replies["condense"] = "Standalone question: 「ソラマメX3のアンテナは何本？」\n"
    url = fake_server.base_url("condense")
    assert run(url, "condense", "それは何本？", HISTORY) == "ソラマメX3のアンテナは何本？"
    user = fake_server.chat_requests("condense")[-1]["messages"][-1]["content"]
    assert "ソラマメX3のアンテナについて教えて" in user and "それは何本？" in user


def test_condense_echoing_the_question_uses_the_heuristic(fake_server: FakeOpenAIServer) -> None:
    fake_server.replies["echo"] = "それは何本?"
    expected = "それは何本？ ソラマメX3 アンテナ"
    assert run(fake_server.base_url("echo"), "condense", "それは何本？", HISTORY) == expected


def test_condense_falls_back_to_the_heuristic_when_down(refused_url: str) -> None:
    assert (
        run(refused_url, "condense", "それは何本？", HISTORY) == "それは何本？ ソラマメX3 アンテナ"
    )


# A streamed answer in the shape small instruct models like to write: a heading, a table with
# a header and a separator, code, emphasis, a lone enumerator and a bullet.
MARKDOWN_REPLY = """## ソラマメX3の仕様

| 項目 | 内容 |
|---|:---:|
| アンテナ | **4本** [1] |
| 重さ | 320グラム [3] |
| 設定 | アプリ |

```sh
mamenavi --setup
```

**まとめ:** 本体には4本のアンテナが内蔵されています。[1]
1.
- 設定はアプリ「マメナビ」から行います。[2]"""


def test_markdown_structure_is_not_counted_as_unsupported_sentences(
    fake_server: FakeOpenAIServer,
) -> None:
    fake_server.replies["markdown"] = MARKDOWN_REPLY
    *pieces, final = run(fake_server.base_url("markdown"), "stream_answer", QUESTION, PASSAGES)
    assert isinstance(final, Answer) and final.mode == "generative"
    assert "".join(pieces) == final.text  # the structure is still shown as written
    assert "| 設定 | アプリ |" in final.text and "mamenavi --setup" in final.text
    # Only the claims are sentences: the cited rows (their cells) and the prose.
    assert [(s.text, s.passages, s.supported) for s in final.sentences] == [
        ("アンテナ 4本", (1,), True),
        ("重さ 320グラム", (3,), True),
        ("まとめ: 本体には4本のアンテナが内蔵されています。", (1,), True),
        ("設定はアプリ「マメナビ」から行います。", (2,), True),
    ]
    assert final.warnings == ()


def test_an_unsupported_table_row_is_reported_without_its_markup(
    fake_server: FakeOpenAIServer,
) -> None:
    fake_server.replies["badrow"] = MARKDOWN_REPLY.replace(
        "320グラム [3]", "**火星探査機**に搭載 [3]"
    )
    *_, final = run(fake_server.base_url("badrow"), "stream_answer", QUESTION, PASSAGES)
    unsupported = [s.text for s in final.sentences if not s.supported]
    assert unsupported == ["重さ 火星探査機に搭載"]
    assert final.warnings == ("4文のうち1文は、引用された箇所で裏付けを確認できませんでした。",)
