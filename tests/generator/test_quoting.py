"""Quotes: the passage pieces an extractive answer may quote, and where each lies."""

import pytest

from generator.quoting import is_heading, quotes

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
