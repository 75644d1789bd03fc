"""The extractive answer quotes the sentence with the fact asked for (a number with its unit,
the option, key, encoding or symbol), not the heading or the sentence beside it: hand-written
passages in the shape of real manuals, through the real splitter and the bundled model's
sentence similarity, as the app answers."""

from __future__ import annotations

import pytest

from generator.extractive import ExtractiveAnswerer
from generator.records import Passage
from retriever.e5_convert import build_e5_small
from retriever.embedder import SentenceEmbedder
from retriever.sentence_similarity import SentenceSimilarity

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def extractive(model_cache_dir) -> ExtractiveAnswerer:
    embedder = SentenceEmbedder(build_e5_small(model_cache_dir / "multilingual-e5-small"), "cpu")
    return ExtractiveAnswerer(sentence_scorer=SentenceSimilarity(embedder))


def top_sentence(extractive: ExtractiveAnswerer, question: str, passages: list[Passage]) -> str:
    answer = extractive.answer(question, passages)
    assert not answer.abstained
    return next(s.text for s in answer.sentences if s.support == 1.0)


def test_which_option_quotes_the_option_not_the_sentence_with_more_shared_words(extractive):
    passage = Passage(
        "BXJS クラスでは geometry パッケージを読み込んでいる。\n"
        "papersize オプションは既定で有効になっていて、出力用紙サイズはクラスオプションで"
        "指定したものに自動設定される。\nこの処理を無効にするには nopapersize オプションを"
        "指定すればよい。\nなお、pdfLaTeX では hyperref パッケージの設定が必要である。",
        "BXjscls パッケージ",
        12,
        0.9,
    )
    question = (
        "BXJSクラスで、出力PDFの用紙サイズがクラスオプションに合わせて自動設定されるのを"
        "止めたいです。何を指定しますか？"
    )
    assert "nopapersize" in extractive.answer(question, [passage]).text


def test_a_which_package_question_skips_the_heading(extractive):
    passage = Passage(
        "2.5 LuaLaTeX の場合\nエンジン指定が lualatex の場合、日本語処理パッケージとして "
        "LuaTeX-ja を利用する。",
        "BXjscls パッケージ",
        3,
        0.9,
    )
    question = "LuaLaTeX の場合、日本語の処理はどのパッケージが受け持ちますか？"
    assert "LuaTeX-ja を利用する" in top_sentence(extractive, question, [passage])


def test_a_key_in_a_shortcut_table_is_read_with_its_description(extractive):
    passage = Passage(
        "任意改ページ\n\nCommandCtrl + Shift + Enter\n\n段組み構成のテキストにおける改段\n\n"
        "OptionAlt + Enter\n\nリストの内側に番号付けしないで段落を挿入する。",
        "LibreOffice Writer のショートカットキー",
        None,
        0.9,
    )
    question = "Writerで段組みのテキストを改段するには、どのキーを押しますか？"
    assert top_sentence(extractive, question, [passage]) == "CommandCtrl + Shift + Enter"


def test_the_value_on_the_line_after_its_definition_goes_with_it(extractive):
    passage = Passage(
        "size=⟨real⟩ ルビ文字の親文字に対する大きさ.\n既定値は 0.5.\n"
        "intergap=⟨real⟩ ルビと親文字の間の空き.",
        "luatexja-ruby.sty",
        4,
        0.9,
    )
    question = "ルビ文字の親文字に対する大きさは既定でどのくらいですか？"
    assert "0.5" in extractive.answer(question, [passage]).text


def test_the_fact_about_the_thing_named_beats_the_same_fact_about_another(extractive):
    # Same sentence but for the code; only the second passage's title names upTeX.
    passages = [
        Passage("横組用のエンコーディング名は JY3 とする。", "LuaTeX-ja パッケージ", 20, 0.9),
        Passage("横組用のエンコーディング名は JY2 とする。", "texlive-ja_uptex_doc", None, 0.85),
    ]
    question = "upTeXで使う和文フォントのエンコーディング名は何ですか？"
    assert "JY2" in top_sentence(extractive, question, passages)


def test_a_second_sentence_offers_another_answer_not_the_same_name_again(extractive):
    passage = Passage(
        "pdfLaTeX と CJK パッケージを利用した日本語組版の支援。\n"
        "本パッケージは、日本語組版に適した CJK パッケージの設定を提供する。\n"
        "エンジン指定が pdflatex の場合、日本語組版のパッケージとして bxcjkjatype を使う。",
        "BXcjkjatype",
        None,
        0.9,
    )
    question = "bxjsarticle を pdfLaTeX で使うとき、日本語の組版はどのパッケージが受け持ちますか？"
    answer = extractive.answer(question, [passage], max_sentences=2)
    assert "bxcjkjatype" in answer.text


def test_a_question_for_the_default_quotes_the_sentence_stating_it(extractive):
    # An option list as index tools' manuals write it; the question never says "default".
    passage = Passage(
        "-s sty sty ファイルをスタイルファイルと見なします。\n"
        "-t log log ファイルをログファイルと見なします。\n"
        "指定がない場合は最初の入力ファイルの拡張子を .ilg としたものに出力されます。\n"
        "また、TeX の .log ファイルを参照することにより odd や even といった指定も可能です。",
        "mkindex - 索引整形ツール",
        None,
        0.9,
    )
    question = "mkindex で -t オプションを指定しないと、ログはどのファイルに出力されますか？"
    assert ".ilg" in top_sentence(extractive, question, [passage])
