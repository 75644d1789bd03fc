"""Abstention signals: names a question gives that no passage holds, versions (file names
count), and coverage measured only against passages in the question's language."""

import pytest

from generator.evidence import evidence_signals, named_exactly, too_weak
from generator.records import Passage

pytestmark = pytest.mark.unit


def passage(
    text: str, title: str = "", source: str = "", score: float = 0.9, document: int | None = None
) -> Passage:
    return Passage(text, title, None, score, source, document)


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
    # One unrelated Japanese passage among English ones says nothing about the English ones.
    question = "PostgreSQLでは名前は最大何バイトまで使えますか？"
    assert evidence_signals(question, [p, unrelated]).coverage is None
    assert not weak(question, p, unrelated)


def test_a_low_score_abstains():
    assert weak("東京タワーの高さは？", passage("東京タワーの高さは333メートル。", score=0.7))


class Documents:
    """Documents' chunk texts by id, searched as Corpus.texts_containing does (case aside)."""

    def __init__(self, texts: dict[int, list[str]]) -> None:
        self.texts = texts
        self.asked: list[tuple[list[int], str]] = []

    def __call__(self, document_ids, fragment: str) -> list[str]:
        self.asked.append((list(document_ids), fragment))
        return [
            t for d in document_ids for t in self.texts.get(d, []) if fragment.lower() in t.lower()
        ]


def test_a_name_the_passages_document_holds_elsewhere_counts_as_held():
    documents = Documents({1: ['CELL("FORMAT"; A1)', "LibreOffice Calc のセル"], 2: ["Writer"]})
    question = "Calc の CELL 関数で FORMAT を指定すると何が返りますか？"
    found = passage("FORMAT: 数の 00.000% は P3 を返します。", "CELL", document=1)
    assert evidence_signals(question, [found]).missing_names == ("Calc",)
    assert evidence_signals(question, [found], documents).missing_names == ()
    assert documents.asked == [([1], "calc")]
    # Another document's mention is no help, nor is a passage without a document.
    elsewhere = passage("FORMAT: 数の 00.000% は P3 を返します。", "CELL", document=2)
    assert evidence_signals(question, [elsewhere], documents).missing_names == ("Calc",)
    assert evidence_signals(question, [passage("CELL FORMAT P3")], documents).missing_names == (
        "Calc",
    )


def test_names_missing_from_the_documents_still_abstain():
    documents = Documents({1: ["エラーコード 5410 は…", "-xelatex を使う", "メモリは 8 GB"]})
    for question in (
        "LibreOffice のエラーコード 541 は何を意味しますか？",  # 5410 is not 541
        "upmendex の -x オプションは何をするものですか？",  # nor -xelatex -x
    ):
        signals = evidence_signals(question, [passage("関係のない文。", document=1)], documents)
        assert signals.missing_names, question
    # A unit asked in must be in a passage, beside the number: the document's "8 GB" is not.
    question = "快適に使うには最低何GBのメモリが必要ですか？"
    signals = evidence_signals(question, [passage("メモリについて。", document=1)], documents)
    assert signals.missing_names == ("GB",)


def test_a_question_naming_too_many_missing_things_looks_none_up():
    documents = Documents({1: ["alpha beta gamma delta epsilon zeta eta theta iota"]})
    question = "alpha beta gamma delta epsilon zeta eta theta iota のどれが既定ですか？"
    signals = evidence_signals(question, [passage("関係のない文。", document=1)], documents)
    assert len(signals.missing_names) == 9 and documents.asked == []
