"""Shared by the browser tests: Chromium's flags, the test documents, the page record."""

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",  # containers often have a 64 MB /dev/shm
]

# A made-up town and its lantern festival: every fact the tests ask about is here.
FESTIVAL_TITLE = "川凪町の灯籠流し"  # kawanagi.txt's first line, its title
FESTIVAL_TEXT = f"""{FESTIVAL_TITLE}

川凪町は山あいにある人口およそ4800人の小さな町です。町の中央を流れる白糸川では、毎年8月16日の夜に灯籠流しが行われます。

灯籠流しは1897年に始まり、今年で128回目を迎えました。当日は町の子どもたちが作った紙の灯籠、およそ2300個が白糸川に浮かべられます。

祭りの実行委員長は酒井みどりさんで、ボランティアは延べ160人が参加します。雨の場合、灯籠流しは翌日の8月17日に延期されます。
"""

# The paper workshop that supplies the lanterns: two PDF pages, the key fact on page 2.
WORKSHOP_PAGES = [
    [
        "和紙工房こより屋のご案内",
        "",
        "こより屋は川凪町で三代続く和紙の工房です。",
        "創業は1952年で、白糸川の水で楮の紙をすいています。",
        "工房の見学は火曜日から土曜日まで受け付けています。",
    ],
    [
        "灯籠流しとのつながり",
        "",
        "こより屋は灯籠流しの灯籠に使う和紙をすべて納めています。",
        "毎年7月に職人7人が約2600枚の和紙をすき上げます。",
        "余った和紙は町の小学校で書き初めに使われます。",
    ],
]
WORKSHOP_TITLE = "和紙工房こより屋"


@dataclass(frozen=True)
class Corpus:
    text: Path
    pdf: Path
    pdf_title: str


@dataclass
class UiPage:
    """A page plus the uncaught script errors it raised (a test asserts there are none)."""

    page: Any
    errors: list[str] = field(default_factory=list)


def write_pdf(path: Path, pages: list[list[str]], title: str) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiMin-W3"))
    pdf = canvas.Canvas(str(path), pagesize=A4)
    pdf.setTitle(title)
    for lines in pages:
        pdf.setFont("HeiseiMin-W3", 13)
        y = 780.0
        for line in lines:
            pdf.drawString(60, y, line)
            y -= 24
        pdf.showPage()
    pdf.save()


def require_playwright() -> Any:
    """playwright.sync_api; a skip where it is missing, a failure on CI (which must run these)."""
    try:
        from playwright import sync_api
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("playwright is not installed: pip install playwright", allow_module_level=True)
    return sync_api
