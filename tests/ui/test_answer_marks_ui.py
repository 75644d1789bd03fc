"""Verification marks per sentence, tables and code blocks in a real browser, on a replayed
generative answer (the bundled server answers extractively, without tables)."""

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.ui.test_chat_ui import ask, sse
from tests.ui.ui_support import UiPage, require_playwright

expect = require_playwright().expect

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PASSAGE = "灯籠流しでは、紙の灯籠およそ2300個が白糸川に浮かべられます。"
ANSWER = (
    "## 灯籠の数\n\n"
    "灯籠は**2300個**です[2]。灯籠は金色に光ります[2]。\n\n"
    "| 項目 | 数 |\n|---|---:|\n| 灯籠 | 2300 [3] |\n| 開始 | 1897年 |\n\n"
    "```python\nprint('灯籠')\n```"
)
FINAL = {
    "answer": ANSWER,
    # Passages 2 and 3 of the answer's context are cited, passage 1 is not.
    "citations": [
        {
            "n": 2,
            "chunk_id": 3,
            "document_id": 1,
            "source": "kawanagi.txt",
            "title": "kawanagi",
            "page": 1,
            "char_start": 0,
            "char_end": len(PASSAGE),
            "text": PASSAGE,
            "highlight_start": 0,
            "highlight_end": len(PASSAGE),
            # Per source, one unsupported sentence citing [2] makes it unsupported.
            "supported": False,
        },
        {
            "n": 3,
            "chunk_id": 4,
            "document_id": 1,
            "source": "kawanagi.txt",
            "title": "kawanagi",
            "page": 2,
            "char_start": 0,
            "char_end": 20,
            "text": "前置き。灯籠の数は2300個です。後書き。",
            "highlight_start": 4,
            "highlight_end": 17,
            "supported": True,
        },
    ],
    "abstained": False,
    "mode": "generative",
    "language": "ja",
    "warnings": [],
    # As the server splits it: the heading and the table come back as "sentences" too.
    "unsupported_sentences": [
        "## 灯籠の数",
        "灯籠は金色に光ります。",
        "| 項目 | 数 |\n|---|---:|\n| 灯籠 | 2300 |\n| 開始 | 1897年 |",
        "```python\nprint('灯籠')\n```",
    ],
    "query": "q",
    "passages": [],
}


def test_marks_per_sentence_a_table_and_a_code_block(open_page: Callable[..., UiPage]) -> None:
    def replay(route: Any) -> None:
        body = sse("token", {"text": ANSWER}) + sse("final", FINAL)
        route.fulfill(status=200, headers={"content-type": "text/event-stream"}, body=body)

    ui = open_page(locale="ja-JP", before=lambda page: page.route("**/v1/ask", replay))
    page = ui.page
    reply = ask(page, "灯籠はいくつですか？", 0)
    content = reply.locator(".msg-content")

    # Only the chip of the sentence the passage does not support is marked; the verified
    # sentence and the table row citing the same source are not.
    chips = content.locator("button.chip")
    # Numbered 1..k in order of first use: passages 2 and 3 show as 1 and 2.
    expect(chips).to_have_text(["1", "1", "2"])
    expect(reply.locator(".source-list .source-num")).to_have_text(["1", "2"])
    # In the list, the source an unverified sentence cites says so; the other does not.
    cards = reply.locator(".source-list .source-card")
    expect(cards.nth(0)).to_have_class(re.compile(r"\bunverified\b"))
    expect(cards.nth(1)).not_to_have_class(re.compile(r"\bunverified\b"))
    # Hover previews the cited span; so does the keyboard focus.
    chips.nth(2).hover()
    expect(page.locator("#cite-preview")).to_have_text("灯籠の数は2300個です。")
    page.mouse.move(0, 0)
    expect(page.locator("#cite-preview")).to_be_hidden()
    chips.nth(1).focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    expect(page.locator("#cite-preview")).to_have_text(PASSAGE)
    expect(page.locator("#cite-preview")).to_be_visible()
    expect(chips.nth(0)).not_to_have_class(re.compile("chip-unverified"))
    expect(chips.nth(1)).to_have_class(re.compile("chip-unverified"))
    expect(chips.nth(2)).not_to_have_class(re.compile("chip-unverified"))
    expect(chips.nth(1)).to_have_attribute("aria-label", re.compile("出典 1.*未検証"))
    chips.nth(0).click()
    expect(page.locator("#source-meta")).not_to_contain_text("未検証")
    chips.nth(1).click()
    expect(page.locator("#source-meta")).to_contain_text("未検証")
    page.keyboard.press("Escape")
    # The not-verified list: the one sentence, as clean text; no heading, table or code.
    expect(reply.locator(".unsupported li")).to_have_text(["灯籠は金色に光ります。"])

    # The table: a header row, two body rows, the right-aligned column, the chip in a cell.
    table = content.locator("table")
    expect(table.locator("th")).to_have_text(["項目", "数"])
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("tbody tr").nth(1).locator("td")).to_have_text(["開始", "1897年"])
    assert table.locator("th").nth(1).evaluate("th => getComputedStyle(th).textAlign") == "right"
    expect(content).not_to_contain_text("|")
    expect(content.locator("h4")).to_have_text("灯籠の数")

    # The code block has its own copy button.
    expect(content.locator("pre code")).to_have_text("print('灯籠')")
    copy = content.locator(".code-copy")
    expect(copy).to_have_attribute("aria-label", "コードをコピー")
    copy.click()
    expect(copy).to_have_attribute("aria-label", "コピーしました")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == "print('灯籠')"

    # Answers that grow when they finish (chips, sources, the list) still end at the bottom.
    for index in (1, 2):
        ask(page, "もう一度お願いします。", index)
        page.wait_for_function(
            "() => { const b = document.getElementById('messages');"
            " return b.scrollHeight - b.scrollTop - b.clientHeight < 2; }",
            timeout=5_000,
        )
    assert ui.errors == []


def test_a_cited_table_row_the_server_could_not_verify_is_marked_in_its_cell(
    open_page: Callable[..., UiPage],
) -> None:
    # As the server reports it now: a cited row as its cells, without `|` or `**`; headings,
    # uncited rows and code are no sentences at all.
    citations = [{**c, "supported": c["n"] == 2} for c in FINAL["citations"]]
    final = {**FINAL, "citations": citations, "unsupported_sentences": ["灯籠 2300"]}

    def replay(route: Any) -> None:
        body = sse("token", {"text": ANSWER}) + sse("final", final)
        route.fulfill(status=200, headers={"content-type": "text/event-stream"}, body=body)

    ui = open_page(locale="ja-JP", before=lambda page: page.route("**/v1/ask", replay))
    reply = ask(ui.page, "灯籠はいくつですか？", 0)
    chips = reply.locator(".msg-content button.chip")
    expect(chips).to_have_text(["1", "1", "2"])
    expect(chips.nth(0)).not_to_have_class(re.compile("chip-unverified"))
    expect(chips.nth(1)).not_to_have_class(re.compile("chip-unverified"))
    expect(chips.nth(2)).to_have_class(re.compile("chip-unverified"))
    expect(reply.locator(".unsupported li")).to_have_text(["灯籠 2300"])
    assert ui.errors == []
