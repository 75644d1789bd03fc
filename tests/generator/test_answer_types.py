"""Answer-type bonuses on hand-written cases: identifiers for "which option/key/file" questions."""

import pytest

from generator.answer_types import answer_tokens, answer_type_bonus, asked_kinds
from generator.extractive import ExtractiveAnswerer
from generator.records import Passage
from text.normalize import fold

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
    assert answer_type_bonus("What is the license of version 2?", ["1897 BSD"]) == [0.0]


def test_how_many_still_prefers_a_number_with_the_unit():
    low, mid, high = answer_type_bonus("職人は何人ですか？", ["職人がいます", "7つ", "職人7人"])
    assert low == 0 < mid < high


@pytest.mark.parametrize(
    "question",
    [
        "In jlreq, what length does one Q unit stand for?",
        "What weight can the shelf hold?",
        "What is the minimum LuaTeX version required?",
        "What's the maximum number of columns?",
    ],
)
def test_what_length_or_weight_asks_for_a_quantity(question):
    number, none = answer_type_bonus(question, ["Q,H:0.25mm と解釈されます.", "一行の長さ."])
    assert number > none == 0


@pytest.mark.parametrize(
    "question", ["既定の入力言語は何語ですか？", "警告は何色で表示されますか？"]
)
def test_nani_before_a_kind_asks_which_not_how_many(question):
    # 何語 is "which language", not a count: a heading's "2.2.2" earns nothing.
    assert answer_type_bonus(question, ["2.2.2 入力ファイル", "入力言語はオランダ語です"]) == [0, 0]


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


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("upTeXで使うjfm（和文フォントメトリック）のエンコーディング名は何ですか？", ["encoding"]),
        (
            "オッシア譜を並べるプロパティで、\\with 節でしか変えられないものは何ですか？",
            ["property"],
        ),
        ("日本語の組版はどのパッケージが受け持ちますか？", ["package"]),
        ("If I don't give upmendex the -t option, which file does the log go to?", ["file"]),
        ("Which Japanese font family is used by default?", ["name"]),
        # A condition ends the noun phrase: this asks for a value, not a function's name.
        ("CELL関数で情報の種類にFORMATを指定すると、このセルでは何が返りますか？", []),
        ("ファイルをどのように保存しますか？", []),
    ],
)
def test_the_kind_asked_for_is_the_thing_named_next_to_the_question_word(question, kinds):
    assert asked_kinds(fold(question)) == kinds


@pytest.mark.parametrize(
    ("question", "right", "wrong"),
    [
        (  # the unit in the other language
            "PostgreSQLでは名前は最大何バイトまで使えますか？",
            "identifier length | 63 bytes | can be increased by recompiling",
            "オリジナルpTeXでは2文字のうち上位。",
        ),
        (  # an identifier written next to the word for the thing asked
            "BXJSクラスで用紙サイズの自動設定を止めるには、どのオプションを指定しますか？",
            "この処理を無効にするには nopapersize オプションを指定すればよい。",
            "\\documentclass 命令を次のように書く。",
        ),
        (  # a symbol the question does not already name
            "Scheme式に注釈を入れたいとき、% の代わりに使う記号は何ですか？",
            "Scheme 形式のコメントはセミコロン (;) で始まります。",
            "LilyPond 形式のコメントはパーセント記号 (%) で始まります。",
        ),
        (  # keys as LibreOffice's help writes them (Mac and PC names run together)
            "段組みの途中から次の段へ送るには、どのキーを押しますか？",
            "CommandCtrl + Shift + Enter",
            "段組み構成のテキストにおける改段",
        ),
        (  # a file extension inside Japanese text
            "If I don't give upmendex the -t option, which file does the log go to?",
            "入力ファイルの拡張子を.ilgとしたもの",
            "-t log log ファイルをログファイルと見なします。",
        ),
    ],
)
def test_the_sentence_with_the_fact_asked_for_gets_the_larger_bonus(question, right, wrong):
    high, low = answer_type_bonus(question, [right, wrong])
    assert high > low


def test_an_encoding_question_prefers_an_encoding_name_to_a_file_name():
    question = "upTeXで使うjfmのエンコーディング名は何ですか？"
    encoding, file = answer_type_bonus(
        question, ["エンコーディング名は JY2, JT2 とする。", "jfm-jis.lua は jis.tfm に相当する。"]
    )
    assert encoding > file


def test_when_inside_a_question_is_no_date_question():
    question = "Which file is not signed when you sign an ODF document?"
    (bonus,) = answer_type_bonus(question, ["It was signed in 2019."])
    assert bonus == 0


def test_answer_tokens_are_the_candidate_answers_the_question_does_not_name():
    question = "bxjsarticle を pdfLaTeX で使うとき、日本語の組版はどのパッケージが受け持ちますか？"
    tokens = answer_tokens(
        question, "pdfLaTeX の場合、日本語処理パッケージとして bxcjkjatype を使う。"
    )
    assert "bxcjkjatype" in tokens and "pdflatex" not in tokens
    assert answer_tokens("何層ですか？", "12層と96層") == {"12", "96"}


def test_a_latin_unit_after_nani_asks_for_a_quantity():
    question = "\\fontsize{9pt}{15pt} と書くと、和文の文字は何ptで組まれますか？"
    with_unit, quoted = answer_type_bonus(
        question, ["和文フォントのサイズは 8.1pt となります", "「実際の全角幅」を表す命令"]
    )
    assert with_unit > quoted == 0


def test_an_english_word_beside_the_thing_asked_is_no_name():
    question = "Which error code does LibreOffice Calc show when a formula refers to itself?"
    grammar, code = answer_type_bonus(
        question,
        ["Returned if the value results in an error.", "Not a valid reference (Err:524)"],
    )
    assert code > grammar == 0


@pytest.mark.parametrize(
    ("question", "states", "other"),
    [
        (  # asked by name, no identifier or quantity asked: the default alone decides
            "convert-ly のログレベルは既定で何ですか？",
            "取り得る値は PROGRESS (デフォルト), NONE, WARNING, ERROR です。",
            "convert-ly --to=2.14.1 myfile.ly",
        ),
        (  # implied, over a Japanese manual stating it without the word
            "If I don't give upmendex the -t option, which file does the log go to?",
            "指定がない場合は入力ファイルの拡張子を.ilgとしたものに出力されます。",
            "TeXの.log ファイルを参照することもできます。",
        ),
        (  # a quantity asked for as a default
            "行送りを何も指定しなかった場合、行送りは和文文字サイズの何倍ですか？",
            "デフォルトは jafontsize の 1.7 倍.",
            "版面の幅は紙幅の 0.75 倍.",
        ),
    ],
)
def test_a_question_for_the_default_prefers_a_sentence_stating_one(question, states, other):
    stated, not_stated = answer_type_bonus(question, [states, other])
    assert stated > not_stated


def test_a_default_stated_is_no_answer_to_another_question():
    question = "upmendex の -t オプションは何を指定しますか？"
    assert len(set(answer_type_bonus(question, ["既定は -t log", "-t log を指定する"]))) == 1
