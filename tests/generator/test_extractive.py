"""Extractive answers on small hand-written passages about fictional products."""

from __future__ import annotations

import pytest

from generator.extractive import ExtractiveAnswerer
from generator.language import abstention_message
from generator.records import Answer, CitedSentence, Passage, SourceSpan

pytestmark = pytest.mark.unit

JA = [
    Passage(
        "ソラマメX3は家庭向けの無線ルーターです。本体には4本のアンテナが内蔵されています。"
        "最大通信速度は毎秒2.4ギガビットです。",
        "ソラマメX3 製品概要",
        1,
        0.9,
    ),
    Passage(
        "設定はスマートフォンアプリ「マメナビ」から行います。"
        "初期パスワードは本体底面のラベルに記載されています。",
        "ソラマメX3 設定ガイド",
        4,
        0.8,
    ),
    Passage(
        "X3の主な仕様\n・ 重さ 320グラム ・ 消費電力 最大12ワット ・ 保証期間 2年",
        "仕様スライド",
        7,
        0.7,
    ),
]

EN = [
    Passage(
        "The Quill Q7 is a paper-like e-ink tablet for note taking. It weighs 380 grams and has "
        "a 10.3-inch screen. The battery lasts up to three weeks on a single charge.",
        "Quill Q7 overview",
        1,
        0.9,
    ),
    Passage(
        "To export notes, open the Share menu and choose PDF. Exports are stored in the Quill "
        "Cloud folder.",
        "Exporting",
        2,
        0.8,
    ),
    Passage(
        "How long does the battery last? It depends on the screen light.", "Quill FAQ", None, 0.7
    ),
]


@pytest.fixture
def answerer() -> ExtractiveAnswerer:
    return ExtractiveAnswerer()


@pytest.mark.parametrize(
    ("question", "text"),
    [
        ("ソラマメX3のアンテナは何本ですか？", "本体には4本のアンテナが内蔵されています。[1]"),
        (
            "初期パスワードはどこに書いてありますか",
            "初期パスワードは本体底面のラベルに記載されています。[2]",
        ),
        ("最大通信速度は？", "最大通信速度は毎秒2.4ギガビットです。[1]"),
        ("X3の重さは？", "重さ 320グラム[3]"),  # one slide bullet, not the whole line
        ("X3の保証期間は何年？", "保証期間 2年[3]"),
    ],
)
def test_japanese_questions_pick_the_answering_sentence(
    answerer: ExtractiveAnswerer, question: str, text: str
) -> None:
    answer = answerer.answer(question, JA)
    assert answer.text == text
    assert not answer.abstained
    assert (answer.mode, answer.language) == ("extractive", "ja")
    (sentence,) = answer.sentences
    assert sentence.passages == answer.cited == (int(text[-2]),)
    assert sentence.supported


@pytest.mark.parametrize(
    ("question", "text"),
    [
        ("How much does the Q7 weigh?", "It weighs 380 grams and has a 10.3-inch screen. [1]"),
        (
            "How do I export notes as PDF?",
            "To export notes, open the Share menu and choose PDF. [2]",
        ),
    ],
)
def test_english_questions_pick_the_answering_sentence(
    answerer: ExtractiveAnswerer, question: str, text: str
) -> None:
    answer = answerer.answer(question, EN)
    assert answer.text == text
    assert answer.language == "en"


def test_faq_question_is_not_quoted_as_the_answer(answerer: ExtractiveAnswerer) -> None:
    answer = answerer.answer("How long does the Q7 battery last?", EN)
    assert answer.sentences[0].text == "The battery lasts up to three weeks on a single charge."
    assert all(not s.text.endswith("?") for s in answer.sentences)


def test_sentence_after_a_faq_question_answers_it(answerer: ExtractiveAnswerer) -> None:
    faq = [Passage("Can I charge it over USB? Yes, with any USB-C charger.", "FAQ", None, 0.9)]
    answer = answerer.answer("Can I charge the tablet over USB?", faq)
    assert answer.text == "Yes, with any USB-C charger. [1]"


def test_quantity_questions_favour_sentences_with_numbers(answerer: ExtractiveAnswerer) -> None:
    ja = [
        Passage("アンテナは外付けのものに交換できません。", "注意事項", None, 0.9),
        Passage("アンテナは合計4つ搭載されています。", "仕様", None, 0.8),
    ]
    assert answerer.answer("アンテナはいくつありますか？", ja, max_sentences=1).cited == (2,)
    en = [
        Passage("The ports are on the back of the router.", "Layout", None, 0.9),
        Passage("The router has four ports.", "Specs", None, 0.8),
    ]
    answer = answerer.answer("How many ports does the router have?", en, max_sentences=1)
    assert answer.text == "The router has four ports. [2]"
    # Without the quantity cue the higher-ranked passage wins the tie.
    assert answerer.answer("Where are the ports?", en, max_sentences=1).cited == (1,)


def test_sentences_come_in_passage_order(answerer: ExtractiveAnswerer) -> None:
    passages = [
        Passage("ソラマメX3の保証期間は2年です。", "保証", None, 0.9),
        Passage("ソラマメX3の消費電力は最大12ワットです。", "仕様", None, 0.8),
    ]
    answer = answerer.answer("X3の消費電力と保証期間を教えて", passages)
    assert (
        answer.text
        == "ソラマメX3の保証期間は2年です。[1]ソラマメX3の消費電力は最大12ワットです。[2]"
    )
    assert answer.cited == (1, 2)


def test_repeated_sentence_from_overlapping_chunks_is_quoted_once(
    answerer: ExtractiveAnswerer,
) -> None:
    same = "本体には4本のアンテナが内蔵されています。"
    passages = [
        Passage(f"ソラマメX3の概要です。{same}", "概要", None, 0.9),
        Passage(f"{same}アンテナの向きは調整できます。", "概要", None, 0.8),
    ]
    answer = answerer.answer("アンテナは何本？", passages)
    assert [s.text for s in answer.sentences].count(same) == 1


def test_no_overlap_abstains(answerer: ExtractiveAnswerer) -> None:
    answer = answerer.answer("What is the capital of Peru?", EN)
    assert answer.abstained
    assert answer.text == abstention_message("en")
    assert answer.cited == () and answer.sentences == ()
    assert answerer.answer("天気はどうですか", []).abstained


def test_a_heading_is_never_the_answer(answerer: ExtractiveAnswerer) -> None:
    passage = Passage(
        "2.2.2 入力ファイルに取り組む\n\n音符名のためのデフォルトの入力言語はオランダ語です。",
        "学習マニュアル › 2.2.2 入力ファイルに取り組む",
        1,
        0.9,
    )
    answer = answerer.answer("入力ファイルに取り組むときの既定の言語は何語ですか？", [passage])
    assert answer.text == "音符名のためのデフォルトの入力言語はオランダ語です。[1]"
    only_heading = Passage("2.2.2 入力ファイルに取り組む", passage.title, 1, 0.9)
    assert answerer.answer("入力ファイルに取り組むには？", [only_heading]).abstained


def test_sentence_scorer_answers_across_languages() -> None:
    seen: list[tuple[str, list[str]]] = []

    def scorer(question: str, sentences: list[str]) -> list[float]:
        seen.append((question, sentences))
        return [0.9 if "グラム" in s else 0.1 for s in sentences]

    question = "How heavy is the router?"
    assert ExtractiveAnswerer().answer(question, JA).abstained  # no shared words
    answer = ExtractiveAnswerer(sentence_scorer=scorer).answer(question, JA)
    assert answer.text == "重さ 320グラム[3]"
    assert answer.language == "en"
    assert seen[0][0] == question and "重さ 320グラム" in seen[0][1]

    per_call = ExtractiveAnswerer().answer(question, JA, sentence_scorer=scorer)
    assert per_call.text == answer.text


def test_scorer_must_score_every_sentence() -> None:
    with pytest.raises(ValueError, match="score count"):
        ExtractiveAnswerer().answer("重さは？", JA, sentence_scorer=lambda q, s: [0.5])


def test_long_unpunctuated_text_is_cut_into_fragments() -> None:
    words = " ".join(f"word{i}" for i in range(200))  # ~1300 chars, no sentence end
    passage = Passage(f"{words} ports four", "Dump", None, 0.5)
    answer = ExtractiveAnswerer(max_chars=240).answer("ports four", [passage], max_sentences=1)
    assert answer.sentences[0].text.endswith("ports four")
    assert len(answer.sentences[0].text) <= 240


@pytest.mark.parametrize(
    ("question", "passages"),
    [
        ("ソラマメX3のアンテナは何本ですか？", JA),
        ("初期パスワードはどこに書いてありますか", JA),
        ("X3の保証期間は何年？", JA),  # a slide bullet in the middle of a line
        ("How heavy is the Q7?", EN),
        ("How do I export notes?", EN),
    ],
)
def test_recorded_span_is_the_quoted_text(
    answerer: ExtractiveAnswerer, question: str, passages: list[Passage]
) -> None:
    answer = answerer.answer(question, passages)
    assert answer.sentences
    for sentence in answer.sentences:
        (span,) = sentence.spans
        assert span.passage == sentence.passages[0]
        assert passages[span.passage - 1].text[span.start : span.end] == sentence.text
        assert answer.cited_span(span.passage) is not None


def test_recorded_span_of_joined_fragments_covers_them() -> None:
    # Short lines are quoted joined by a space; the span runs from the first to the last.
    passage = Passage("容量\n32GB\nメモリ\n8GB", "仕様", 1, 0.9)
    answer = ExtractiveAnswerer(min_chars=6).answer("メモリの容量は？", [passage])
    (sentence,) = answer.sentences
    (span,) = sentence.spans
    quoted = passage.text[span.start : span.end]
    assert quoted.split() == sentence.text.split()
    assert answer.cited_span(1) == (span.start, span.end)


def test_citation_of_two_sentences_highlights_the_strongest() -> None:
    # The context sentence comes first in the answer, but citation [1] must show the sentence
    # that answers: the strongest of those citing it.
    context = CitedSentence("こより屋は和紙の工房です。", (1,), True, 0.7, (SourceSpan(1, 0, 13),))
    fact = CitedSentence("職人は7人です。", (1,), True, 1.0, (SourceSpan(1, 14, 22),))
    answer = Answer("…", (1,), (context, fact), False, "extractive", "ja")
    assert answer.cited_span(1) == (14, 22)
    assert answer.cited_span(2) is None


@pytest.mark.parametrize("question", ["How heavy is the Q7?", "How do I export notes?"])
def test_the_best_quote_is_the_strongest(answerer: ExtractiveAnswerer, question: str) -> None:
    answer = answerer.answer(question, EN)
    supports = [s.support for s in answer.sentences]
    assert max(supports) == 1.0 and all(0 < s <= 1.0 for s in supports)


def test_a_table_row_is_read_alone_not_with_the_rows_beside_it() -> None:
    # Each row is a record of its own, its header the passage title: "field size" must not
    # borrow the next row's "columns per table" as a term borrows its description.
    passage = Passage(
        "field size | 1 GB |\n"
        "columns per table of wide types | unlimited |\n"
        "columns per table | 1,600 |",
        "Appendix K. Limits › Item | Upper Limit | Comment",
        None,
        0.9,
    )
    answer = ExtractiveAnswerer().answer("How many columns can a table have?", [passage])
    best = next(s.text for s in answer.sentences if s.support == 1.0)
    assert best == "columns per table | 1,600 |"


def test_a_key_beside_the_word_key_is_no_better_answer_than_another_key() -> None:
    # "左矢印キー" puts a key next to the word for the thing asked; the row about the table
    # is the answer all the same, and the best row already holds a key.
    shortcuts = Passage(
        "Alt+Enter | Insert a new paragraph directly before or after a table.\n"
        "The keys below move the cursor.\n"
        "Ctrl+左矢印キー | insert mode の単語の始めにジャンプ",
        "Shortcut Keys for Writer",
        None,
        0.9,
    )
    tables = Passage("Ctrl+F12 | Edit a table", "Shortcut Keys for Writer", None, 0.8)
    question = "What is the keyboard shortcut to insert or edit a table?"
    answer = ExtractiveAnswerer().answer(question, [shortcuts, tables])
    assert "Ctrl+F12" in answer.text and "左矢印" not in answer.text


def test_a_second_sentence_may_name_the_same_option_when_it_defines_it() -> None:
    settings = Passage(
        "letter_head <数値>\n"
        "日本語の見出しを行ごとに区切るかは letter_head とコマンドラインオプション '-g' に従う。",
        "mkindex › スタイルファイル",
        None,
        0.9,
    )
    options = Passage(
        "-g 日本語の見出しを頭文字の行で区切ります。\n-f 未対応の文字も出力します。",
        "mkindex › オプション",
        None,
        0.8,
    )
    question = "mkindex で日本語の見出しを行ごとに区切るにはどのオプションを使いますか？"
    answer = ExtractiveAnswerer().answer(question, [settings, options])
    assert "-g 日本語の見出しを頭文字の行で区切ります。" in answer.text
