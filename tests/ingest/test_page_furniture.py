"""Running headers and footers are dropped from PDF pages; everything else stays."""

import os
import re
from pathlib import Path

import pytest

from ingest.loaders import load_bytes
from ingest.page_furniture import drop_running_lines
from tests.ingest.limits import LIMITS
from tests.ingest.test_loaders import make_pdf
from tests.ingest.test_unreadable_pdf import DEV_MANUALS

# Every page says something else (a running line is what repeats, digits aside).
TOPICS = ["ルーター", "アンテナ", "電源", "保証", "設定", "初期化", "ランプ", "アプリ", "更新"]


def manual_page(number: int, body: list[str]) -> str:
    """A page of a manual: its running header, its text, its page number."""
    return "\n".join(["Quill Q7 ユーザーマニュアル", *body, f"{number} / 12"])


def page_text(number: int) -> list[str]:
    topic = TOPICS[number % len(TOPICS)]
    return [f"{topic}について説明します。", f"{topic}の詳細です。", f"{topic}の注意点です。"]


@pytest.mark.unit
def test_a_header_and_a_numbered_footer_on_every_page_are_dropped() -> None:
    pages = [manual_page(n, page_text(n)) for n in range(1, 6)]
    kept = drop_running_lines(pages)
    assert kept[0] == pages[0]  # one copy stays, where it first appears
    assert kept[1] == "\n".join(page_text(2))
    assert all("ユーザーマニュアル" not in page and "/ 12" not in page for page in kept[1:])


@pytest.mark.unit
def test_a_running_line_inside_a_page_stays() -> None:
    pages = [manual_page(n, page_text(n)) for n in range(1, 5)]
    header = "Quill Q7 ユーザーマニュアル"
    inside = [*page_text(5)[:2], header, "の第 3 版は 2024 年に出ました。", *page_text(6)]
    pages.append(manual_page(5, inside))
    assert drop_running_lines(pages)[4] == "\n".join(inside)


@pytest.mark.unit
def test_short_files_short_pages_and_empty_pages_are_left_alone() -> None:
    two = [manual_page(n, page_text(n)) for n in (1, 2)]
    assert drop_running_lines(two) == two  # two pages say nothing of a running line
    # A form: every page the same few lines, all of them edges. Nothing is lost.
    form = [manual_page(n, ["氏名:", "住所:"]) for n in range(1, 6)]
    assert drop_running_lines(form) == form
    pages = [""] + [manual_page(n, page_text(n)) for n in range(1, 5)]
    kept = drop_running_lines(pages)
    assert len(kept) == 5 and kept[0] == "" and kept[2] == "\n".join(page_text(2))


@pytest.mark.unit
def test_a_real_pdf_loses_its_running_lines_and_keeps_its_title() -> None:
    pages = [
        ["Quill Q7 User Manual", f"Chapter {n}: text of page {n}.", *page_text(n), f"{n}"]
        for n in range(1, 5)
    ]
    doc = load_bytes(make_pdf(pages), "manual.pdf", LIMITS)
    assert doc.title == "Quill Q7 User Manual"  # the first line, as before
    assert ["User Manual" in page for page in doc.pages] == [True, False, False, False]
    assert "Chapter 2: text of page 2." in doc.pages[1]
    assert not any(line.strip() == "2" for line in doc.pages[1].splitlines())


@pytest.mark.integration
def test_the_dev_corpus_footer_is_dropped() -> None:
    """jpneduenumerate.pdf prints "The jpneduenumerate package Yukoh KUSAKABE" and "3/10" on
    each of its ten pages."""
    path = DEV_MANUALS / "texlive-ja_jpneduenumerate.pdf"
    if not path.is_file():
        reason = f"dev-manuals corpus not found at {DEV_MANUALS}"
        if os.environ.get("KOTAE_REQUIRE_DEV_MANUALS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    doc = load_bytes(Path(path).read_bytes(), path.name, LIMITS)
    lines = [line.strip() for line in "\n".join(doc.pages).splitlines()]
    assert lines.count("The jpneduenumerate package Yukoh KUSAKABE") == 1  # of ten
    assert len([line for line in lines if re.fullmatch(r"\d+/10", line)]) == 1
    assert any("LuaTEX" in line for line in lines)
