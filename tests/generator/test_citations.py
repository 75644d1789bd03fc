"""Citation markers: parsing, cleaning, sentence attachment, and support checks."""

from __future__ import annotations

import random

import pytest

from generator.citations import SentenceRelease, parse_citations, verify
from generator.records import Passage

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("answer", "clean", "numbers"),
    [
        ("It has four antennas [1].", "It has four antennas [1].", (1,)),
        ("It has four antennas [1, 3].", "It has four antennas [1][3].", (1, 3)),
        ("It has four antennas [2-4].", "It has four antennas [2][3][4].", (2, 3, 4)),
        ("It has four antennas [2][1][2].", "It has four antennas [2][1][2].", (2, 1)),
        ("アンテナは4本です［１］。", "アンテナは4本です[1]。", (1,)),
        ("アンテナは4本です【２，３】。", "アンテナは4本です[2][3]。", (2, 3)),
        ("アンテナは4本です[1、2]。", "アンテナは4本です[1][2]。", (1, 2)),
        ("It has four antennas [3 – 4].", "It has four antennas [3][4].", (3, 4)),
    ],
)
def test_marker_forms(answer: str, clean: str, numbers: tuple[int, ...]) -> None:
    text, sentences = parse_citations(answer, n_passages=4)
    assert text == clean
    assert len(sentences) == 1
    assert sentences[0][1] == numbers
    assert "[" not in sentences[0][0] and "［" not in sentences[0][0]


def test_numbers_naming_no_passage_are_dropped() -> None:
    text, sentences = parse_citations("A fact [1, 7]. Another fact [9]. Zero [0].", n_passages=3)
    assert text == "A fact [1]. Another fact. Zero."
    assert sentences == [("A fact.", (1,)), ("Another fact.", ()), ("Zero.", ())]


def test_huge_range_is_not_expanded() -> None:
    _, sentences = parse_citations("Claim [1-500].", n_passages=3)
    assert sentences == [("Claim.", (1,))]


def test_marker_after_japanese_full_stop_belongs_to_previous_sentence() -> None:
    text, sentences = parse_citations(
        "本体は320グラムです。[1]保証期間は2年です。[2][3]", n_passages=3
    )
    assert text == "本体は320グラムです。[1]保証期間は2年です。[2][3]"
    assert sentences == [("本体は320グラムです。", (1,)), ("保証期間は2年です。", (2, 3))]


def test_marker_after_latin_period_belongs_to_previous_sentence() -> None:
    _, sentences = parse_citations("It weighs 320 g. [2] The warranty is 2 years.[1]", 2)
    assert sentences == [("It weighs 320 g.", (2,)), ("The warranty is 2 years.", (1,))]


def test_marker_line_on_its_own_cites_the_sentence_above() -> None:
    _, sentences = parse_citations("It weighs 320 g.\n[1][2]\nIt is blue [2].", 2)
    assert sentences == [("It weighs 320 g.", (1, 2)), ("It is blue.", (2,))]


def test_decimals_abbreviations_and_list_numbers_do_not_split() -> None:
    _, sentences = parse_citations(
        "Speed is 2.4 Gbps, e.g. in the lab [1]. See p. 3 [2].\n1. First item [1]", 2
    )
    assert [s for s, _ in sentences] == [
        "Speed is 2.4 Gbps, e.g. in the lab.",
        "See p. 3.",
        "First item",
    ]


def test_bullets_and_newlines_split_sentences() -> None:
    answer = "主な仕様:\n- 重さ 320グラム [1]\n・ 保証 2年 [2]\n* Colour: blue [1]"
    _, sentences = parse_citations(answer, 2)
    assert sentences == [
        ("主な仕様:", ()),
        ("重さ 320グラム", (1,)),
        ("保証 2年", (2,)),
        ("Colour: blue", (1,)),
    ]


def test_question_and_exclamation_marks_split() -> None:
    _, sentences = parse_citations("本当？はい！そうです[1]。Really? Yes! [2]", 2)
    assert [s for s, _ in sentences] == ["本当？", "はい！", "そうです。", "Really?", "Yes!"]
    assert sentences[-1][1] == (2,)


def test_headings_tables_code_and_rules_are_not_sentences() -> None:
    answer = (
        "# 料金 [2]\n"
        "自転車は1時間300円です。\n"
        "| 項目 | 値 |\n"
        "| :--- | ---: |\n"
        "| **返却** | 19時 [1] |\n"
        "| 保証 | なし |\n"
        "---\n"
        "~~~\n"
        "x = 1 [1]. This is code.\n"
        "~~~\n"
        "> **注意:** `予約`は不要です [1]。\n"
        "19.\n"
        "(2)\n"
        "2023年です [1]。"
    )
    _, sentences = parse_citations(answer, 2)
    assert sentences == [
        ("自転車は1時間300円です。", (2,)),  # the heading's marker is handed on
        ("返却 19時", (1,)),
        ("注意: 予約は不要です。", (1,)),
        ("2023年です。", (1,)),
    ]


def test_an_unclosed_fence_leaves_the_rest_out_and_a_longer_fence_closes_it() -> None:
    _, sentences = parse_citations("Hello [1].\n````\n```\nnot prose\n````\nBye [1].", 1)
    assert sentences == [("Hello.", (1,)), ("Bye.", (1,))]
    _, sentences = parse_citations("Hello [1].\n```\nnot prose [1].", 1)
    assert sentences == [("Hello.", (1,))]


PASSAGES = [
    Passage("ソラマメX3は家庭向けの無線ルーターです。本体は320グラムです。", "X3 概要", 1, 0.9),
    Passage("The Quill Q7 tablet weighs 380 grams and has a 10.3-inch screen.", "Q7", None, 0.8),
]


def test_verify_supported_and_unsupported() -> None:
    checked = verify(
        [
            ("X3の本体は320グラムです。", (1,)),
            ("X3は火星探査機に搭載されています。", (1,)),
            ("The Q7 weighs 380 grams.", (2,)),
            ("The Q7 runs on solar power.", (2,)),
        ],
        PASSAGES,
        threshold=0.5,
    )
    assert [c.supported for c in checked] == [True, False, True, False]
    assert checked[0].support == pytest.approx(1.0)
    assert checked[2].support == pytest.approx(1.0)
    assert checked[1].support < 0.5 and checked[3].support < 0.5


def test_verify_takes_the_best_cited_passage() -> None:
    (checked,) = verify([("The Q7 weighs 380 grams.", (1, 2))], PASSAGES)
    assert checked.passages == (1, 2)
    assert checked.support == pytest.approx(1.0)


def test_uncited_sentence_is_unsupported_unless_it_abstains() -> None:
    checked = verify(
        [
            ("The Q7 weighs 380 grams.", ()),
            ("The documents don't say.", ()),
            ("提示された文書には、この質問に答える情報が見つかりませんでした。", ()),
        ],
        PASSAGES,
    )
    assert [c.supported for c in checked] == [False, True, True]


def test_threshold_decides() -> None:
    sentence = [("The Q7 weighs 380 grams on solar power in deep space.", (2,))]  # 4 of 8
    (low,) = verify(sentence, PASSAGES, threshold=0.4)
    (high,) = verify(sentence, PASSAGES, threshold=0.6)
    assert low.support == high.support == pytest.approx(0.5)
    assert low.supported and not high.supported


def test_support_scorer_can_vouch_across_languages() -> None:
    sentence = [("The X3 router is intended for homes.", (1,))]
    (lexical,) = verify(sentence, PASSAGES)
    (semantic,) = verify(sentence, PASSAGES, support_scorer=lambda s, texts: [0.8] * len(texts))
    assert not lexical.supported
    assert semantic.supported and semantic.support == pytest.approx(0.8)


def released(text: str, n_passages: int, piece_sizes: list[int]) -> list[str]:
    """What SentenceRelease lets out when ``text`` arrives in pieces of those sizes."""
    release = SentenceRelease(n_passages)
    out, i = [], 0
    for size in piece_sizes:
        out.append(release.feed(text[i : i + size]))
        i += size
    out.append(release.feed(text[i:]))
    out.append(release.close())
    return [piece for piece in out if piece]


def test_release_lets_out_whole_sentences_with_checked_markers() -> None:
    text = "It has four antennas [1, 7]. It is blue [999].\n[0][2]\n- It weighs [1-50] 3.5 kg."
    pieces = released(text, 2, [1] * len(text))
    assert pieces == [
        "It has four antennas [1]. ",
        "It is blue.\n[2]\n- ",
        "It weighs [1] 3.5 kg.",
    ]
    assert "".join(pieces) == parse_citations(text, 2)[0].strip()


def test_release_waits_for_markers_after_the_full_stop() -> None:
    release = SentenceRelease(3)
    assert release.feed("本体は320グラムです。") == ""
    assert release.feed("[") == ""
    assert release.feed("2, 9]") == ""
    assert release.feed("保証") == "本体は320グラムです。[2]"
    assert release.close() == "保証"


def test_release_never_shows_what_the_checked_answer_drops() -> None:
    """Random answers cut into random pieces: the released text is always the checked text."""
    rng = random.Random(12)
    parts = [*"ab アン本。.!?\n[]1290,-、「 ", "[1]", "[999]", "[0]", "[1-50]", " [2]", "。[1]"]
    parts += [". ", "- ", "1. ", "Dr. ", "3.5", "【２】", "[\n2]", "［１，３］", "\n[1]\n"]
    for _ in range(1000):
        text = "".join(rng.choice(parts) for _ in range(rng.randint(0, 25)))
        n = rng.randint(0, 3)
        sizes = [rng.randint(1, 5) for _ in range(len(text))]
        assert "".join(released(text, n, sizes)) == parse_citations(text, n)[0].strip(), text


def test_verify_records_the_supporting_passage_sentence() -> None:
    passage = PASSAGES[0]
    checked = verify(
        [("重さは320グラムです。", (1,)), ("A tablet weighs 380 grams.", (1, 2))], PASSAGES
    )
    (span,) = checked[0].spans
    assert (span.passage, passage.text[span.start : span.end]) == (1, "本体は320グラムです。")
    assert [s.passage for s in checked[1].spans] == [1, 2]
    q7 = PASSAGES[1].text
    assert q7[checked[1].spans[1].start : checked[1].spans[1].end] == q7  # one sentence
    whole = checked[1].spans[0]  # nothing in common with passage 1: the whole passage
    assert (whole.start, whole.end) == (0, len(passage.text))


def test_uncited_sentence_records_no_span() -> None:
    (checked,) = verify([("The documents don't say.", ())], PASSAGES)
    assert checked.spans == ()
