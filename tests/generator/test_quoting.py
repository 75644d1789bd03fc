"""Quotes: the passage pieces an extractive answer may quote, and where each lies."""

import pytest

from generator.quoting import defines, is_heading, is_table_row, lines_wrapped_by_width, quotes

pytestmark = pytest.mark.unit


def test_short_lines_join_and_keep_their_span() -> None:
    text = "容量\n32GB\nメモリは8GBです。"
    (first, second) = quotes(text, min_chars=6, max_chars=240)
    assert first.text == "容量 32GB"  # a space where the passage has a line break
    assert text[first.start : first.end] == "容量\n32GB"
    assert text[second.start : second.end] == second.text == "メモリは8GBです。"


def test_long_fragments_are_cut_and_each_piece_maps_back() -> None:
    text = "  " + ", ".join(f"item{i}" for i in range(40)) + "\n・ tail item here"
    pieces = quotes(text, min_chars=6, max_chars=60)
    assert len(pieces) > 2
    for piece in pieces:
        assert text[piece.start : piece.end] == piece.text
        assert len(piece.text) <= 60


@pytest.mark.parametrize(
    ("line", "path", "heading"),
    [
        (
            "2.2.2 入力ファイルに取り組む",
            "学習マニュアル: 2.2.2 入力ファイルに取り組む › 2.2.2 入力ファイルに取り組む",
            True,
        ),
        ("Resource Consumption.", "PostgreSQL › Resource Consumption", True),
        ("ＣＥＬＬ", "情報関数 › CELL", True),  # compared folded
        ("入力ファイルに取り組む", "2.2.2 入力ファイルに取り組む", False),  # part of one: text
        ("The default is 128 MB.", "Resource Consumption", False),
        ("", "Resource Consumption", False),
    ],
)
def test_a_heading_is_a_part_of_the_heading_path(line: str, path: str, heading: bool) -> None:
    assert is_heading(line, path) is heading


PDF_PAGE = (
    "基底フォントサイズの既定値は 10 pt(bxjsslide クラスのみ 36 pt)である。ただし、基底フォントの\n"
    "実際の大きさは用紙サイズとともに調整される。\n"
    "• 短い項目\n"
    "• 次の項目\n"
)


def test_a_wide_line_that_stops_mid_sentence_goes_on_into_the_next() -> None:
    pieces = [q.text for q in quotes(PDF_PAGE, 6, 240, wrapped_lines=True)]
    assert "ただし、基底フォントの実際の大きさは用紙サイズとともに調整される。" in pieces
    assert pieces[0].endswith("である。")  # a sentence end is no wrap
    # Each span still maps back to the page: no character of the quote is made up.
    for q in quotes(PDF_PAGE, 6, 240, wrapped_lines=True):
        pairs = zip(q.offsets, q.text, strict=True)
        assert all(PDF_PAGE[o] == ch or (ch, PDF_PAGE[o]) == (" ", "\n") for o, ch in pairs)
    english = (
        "The default is typically 128 megabytes (128MB), but might be less if your kernel\n"
        "settings will not support it.\n"
    )
    assert [q.text for q in quotes(english, 6, 240, wrapped_lines=True)] == [
        "The default is typically 128 megabytes (128MB), but might be less if your kernel "
        "settings will not support it."
    ]


# A two-column page: every line is about 40 columns wide, well under a full page's 60.
TWO_COLUMN_PAGE = (
    "このクラスには三つのオプションがあり,そ\n"
    "れぞれ次のように働きます。まず,draft\n"
    "は図を枠だけにして組版を速くします。次\n"
    "に final は図を実際に読み込みます。最後\n"
    "に lua は,このクラスが動作するエンジ\n"
    "ンを pTeX から LuaTeX に変更します。そ\n"
    "れは出力の見た目には影響しません。\n"
    "• 一つめの箇条書きの項目\n"
    "• 二つめの箇条書きの項目\n"
)


def test_a_narrow_column_wraps_at_its_own_width() -> None:
    pieces = [q.text for q in quotes(TWO_COLUMN_PAGE, 6, 240, wrapped_lines=True)]
    joined = "に lua は,このクラスが動作するエンジンを pTeX から LuaTeX に変更します。"
    assert joined in "".join(pieces)
    assert not any("エンジ" in p and not p.endswith("。") for p in pieces)
    # List items still stand alone.
    assert pieces[-2:] == ["一つめの箇条書きの項目", "二つめの箇条書きの項目"]
    # A few short lines say nothing of a page's width: they stay lines.
    short = "StarCoder のコード生成モデルは\n80 以上の言語を学習した\n"
    assert len(quotes(short, 6, 240, wrapped_lines=True)) == 2


def test_lines_are_their_own_pieces_where_they_are_not_wrapped() -> None:
    # HTML, DOCX: a line is a paragraph, a table row or a line of code.
    pieces = [q.text for q in quotes(PDF_PAGE, 6, 240)]
    assert "ただし、基底フォントの" in pieces[1] and not pieces[1].endswith("調整される。")
    code = "$ git bisect start HEAD origin --    # HEAD is bad, origin is good\n$ git bisect run\n"
    assert len(quotes(code, 6, 240)) == 2
    # Short lines (slide bullets, headings) and list items never continue.
    slide = "StarCoder\n15.5Bパラメータのコード生成モデル\n• 80以上の言語\n"
    assert [q.text for q in quotes(slide, 6, 240, wrapped_lines=True)] == [
        q.text for q in quotes(slide, 6, 240)
    ]


@pytest.mark.parametrize(
    ("source", "wrapped"),
    [("manual.pdf", True), ("README.TXT", True), ("page.html", False), ("a.docx", False)],
)
def test_which_files_are_laid_out_by_width(source: str, wrapped: bool) -> None:
    assert lines_wrapped_by_width(source) is wrapped


@pytest.mark.parametrize(
    ("text", "defined"),
    [
        ('-g 日本語の頭文字の区切りを "あかさた・・・わ" にします。', True),
        ("shared_buffers (integer)", True),
        ("‘--output’ オプションで出力先を指定します。", True),
        ("デフォルトでは、letter_head とコマンドラインオプション '-g' の設定に従う。", False),
    ],
)
def test_a_definition_opens_with_the_name_it_defines(text: str, defined: bool) -> None:
    assert defines(text, {"-g", "shared_buffers", "--output"}) is defined


def test_a_table_row_has_cells() -> None:
    assert is_table_row("columns per table | 1,600 |")
    assert not is_table_row("a|b without spaced cells")
