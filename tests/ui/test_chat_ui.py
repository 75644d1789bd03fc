"""The chat UI in a real browser (Debian's Chromium via Playwright) against a real `kotae serve`.

KOTAE_UI_SCREENSHOTS=1 also writes docs/screenshot-{desktop,phone}.png and their -dark twins.
"""

import base64
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ui.ui_support import FESTIVAL_TITLE, ROOT, Corpus, UiPage, require_playwright

expect = require_playwright().expect

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SCREENSHOTS = os.environ.get("KOTAE_UI_SCREENSHOTS") == "1"
ANSWER_TIMEOUT = 60_000
FINISHED = ".msg-assistant:not(.streaming)"


def screenshot(page: Any, name: str) -> None:
    """docs/NAME.png in the light scheme and docs/NAME-dark.png in the dark one."""
    if not SCREENSHOTS:
        return
    for scheme, suffix in (("dark", "-dark"), ("light", "")):
        page.emulate_media(color_scheme=scheme)
        path = ROOT / "docs" / f"{name}{suffix}.png"
        page.screenshot(path=str(path), animations="disabled", caret="initial")


def drop_file(page: Any, path: Path, mime: str) -> None:
    """Drags `path` over the page and drops it on the drop zone, as a user's file manager does."""
    page.evaluate(
        """({name, data, mime}) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            window.__drop = new DataTransfer();
            window.__drop.items.add(new File([bytes], name, {type: mime}));
            document.getElementById("dropzone").dispatchEvent(new DragEvent("dragenter",
                {bubbles: true, cancelable: true, dataTransfer: window.__drop}));
        }""",
        {"name": path.name, "data": base64.b64encode(path.read_bytes()).decode(), "mime": mime},
    )
    expect(page.locator("#drop-overlay")).to_be_visible()
    page.evaluate(
        """() => {
            const zone = document.getElementById("dropzone");
            for (const kind of ["dragover", "drop"]) {
                zone.dispatchEvent(new DragEvent(kind,
                    {bubbles: true, cancelable: true, dataTransfer: window.__drop}));
            }
        }"""
    )
    expect(page.locator("#drop-overlay")).to_be_hidden()


def ask(page: Any, question: str, index: int) -> Any:
    """Types `question`, sends it with Enter and returns the finished answer (the index-th)."""
    box = page.locator("#question")
    box.fill(question)
    box.press("Enter")
    expect(box).to_have_value("")
    expect(page.locator(".msg-user").nth(index)).to_have_text(question)
    answer = page.locator(".msg-assistant").nth(index)
    expect(answer).not_to_have_class(re.compile(r"\bstreaming\b"), timeout=ANSWER_TIMEOUT)
    return answer


def test_upload_ask_cite_follow_up_and_delete(
    open_page: Callable[..., UiPage], ui_server: str, corpus: Corpus
) -> None:
    ui = open_page(1280, 800)
    page = ui.page
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator("#docs-title")).to_have_text("文書")

    # One file through the picker, one dropped: two jobs, followed to the end.
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="ファイルを選択").click()
    chooser.value.set_files(str(corpus.text))
    drop_file(page, corpus.pdf, "application/pdf")
    expect(page.locator("#jobs .job")).to_have_count(2)
    expect(page.locator("#jobs .job[data-status=done]")).to_have_count(2, timeout=180_000)
    # "unchanged" when another test of this session uploaded the same bytes first.
    expect(page.locator(".job-file:is(.file-added, .file-unchanged)")).to_have_count(2)
    expect(page.locator(".job-file .file-status").last).to_have_text(re.compile("追加|変更なし"))
    docs = page.locator("#doc-list .doc")
    expect(docs.filter(has_text=FESTIVAL_TITLE)).to_have_count(1)
    expect(docs.filter(has_text=corpus.pdf_title)).to_have_count(1)
    expect(page.locator("#collection option")).to_have_text(["すべてのコレクション", "default"])

    # A question answered from the text file, streamed, with a citation chip.
    question = "灯籠流しでは灯籠がいくつ川に浮かべられますか？"
    with page.expect_response("**/v1/ask") as response:
        first = ask(page, question, 0)
    assert response.value.headers["content-type"].startswith("text/event-stream")
    expect(first.locator(".msg-content")).to_contain_text("2300")
    expect(first.locator(".badge-mode")).to_have_text("抽出型")
    chip = first.locator(".msg-content button.chip").first
    expect(chip).to_have_attribute("aria-label", re.compile(FESTIVAL_TITLE))

    # The chip is a button: Enter opens the source panel with the cited span marked.
    chip.focus()
    page.keyboard.press("Enter")
    panel = page.locator("#source-panel")
    expect(panel).to_be_visible()
    expect(chip).to_have_attribute("aria-expanded", "true")
    expect(panel.locator("#source-title")).to_have_text(FESTIVAL_TITLE)
    expect(panel.locator("#source-meta")).to_contain_text("1 ページ")
    expect(panel.locator("mark")).to_contain_text("2300")
    expect(panel.locator(".passage")).to_contain_text("川凪町は山あいにある")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(chip).to_be_focused()

    # Copy puts the answer and its sources on the clipboard.
    first.get_by_role("button", name="回答をコピー").click()
    expect(first.locator(".copy-status")).to_have_text("コピーしました")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "2300" in copied and f"[1] {FESTIVAL_TITLE}" in copied

    # A follow-up carries the conversation so far.
    with page.expect_request("**/v1/ask") as request:
        second = ask(page, "雨の場合はどうなりますか？", 1)
    body = request.value.post_data_json
    assert body["stream"] is True
    assert "collection" not in body  # "all collections"
    assert body["history"][0] == {"role": "user", "content": question}
    assert body["history"][1]["role"] == "assistant"
    assert "2300" in body["history"][1]["content"]
    assert "[1]" not in body["history"][1]["content"]  # markers point at old passages
    expect(second.locator(".msg-content")).to_contain_text("8月17日")
    second.locator(".msg-content button.chip").first.click()
    expect(panel.locator("mark")).to_contain_text("8月17日")
    screenshot(page, "screenshot-desktop")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()

    # A fact from page 2 of the PDF: the panel links to the original at that page.
    third = ask(page, "こより屋の職人は何人ですか？", 2)
    expect(third.locator(".msg-content")).to_contain_text("7人")
    third.locator(".msg-content button.chip").first.click()
    expect(panel.locator("#source-title")).to_have_text(corpus.pdf_title)
    expect(panel.locator("mark")).to_contain_text("職人7人")
    link = panel.locator("#source-links a")
    expect(link).to_have_text("原本の 2 ページを開く")
    href = link.get_attribute("href")
    assert href is not None and re.fullmatch(r"/v1/documents/\d+/file#page=2", href)
    original = page.request.get(ui_server + href.split("#")[0])
    assert original.status == 200
    assert original.headers["content-type"] == "application/pdf"
    panel.get_by_role("button", name="出典を閉じる").click()
    expect(panel).to_be_hidden()

    # Delete asks first: Esc keeps the document, Delete removes it.
    row = docs.filter(has_text=corpus.pdf_title)
    delete = row.get_by_role("button", name=f"{corpus.pdf_title} を削除")
    delete.click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(corpus.pdf_title)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(row).to_have_count(1)
    delete.click()
    dialog.get_by_role("button", name="削除", exact=True).click()
    expect(row).to_have_count(0)
    expect(docs.filter(has_text=FESTIVAL_TITLE)).to_have_count(1)
    titles = [d["title"] for d in httpx.get(f"{ui_server}/v1/documents").json()["documents"]]
    assert corpus.pdf_title not in titles

    # New chat empties the conversation.
    page.get_by_role("button", name="新しいチャット").click()
    expect(page.locator(".msg")).to_have_count(0)
    expect(page.locator("#welcome")).to_be_visible()
    expect(page.locator("#question")).to_be_focused()
    assert ui.errors == []


def test_upload_errors_are_shown_per_file(open_page: Callable[..., UiPage], tmp_path: Path) -> None:
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"not really a PDF")
    too_big = tmp_path / "huge.txt"
    too_big.write_text("大きすぎるファイルの代わり", encoding="utf-8")

    def refuse_big(route: Any) -> None:
        # A real 413 needs a file over the server's limit (100 MB); the envelope is the same.
        is_big = route.request.method == "POST" and b"huge.txt" in (
            route.request.post_data_buffer or b""
        )
        if not is_big:
            route.continue_()
            return
        error = {
            "error": {
                "type": "payload_too_large",
                "message": "huge.txt is over the 100 MB per-file limit",
            }
        }
        route.fulfill(status=413, content_type="application/json", body=json.dumps(error))

    ui = open_page(before=lambda page: page.route("**/v1/documents", refuse_big))
    page = ui.page
    page.locator("#file-input").set_input_files(str(broken))
    job = page.locator("#jobs .job").first
    # Its only file failed, so the job did: nothing was ingested.
    expect(job).to_have_attribute("data-status", "failed", timeout=120_000)
    expect(job.locator(".job-status")).to_have_text("失敗")
    row = job.locator(".job-file.file-failed")
    expect(row.locator(".file-status")).to_have_text("失敗")
    expect(row.locator(".file-error")).to_contain_text("PDF")
    failed_doc = page.locator("#doc-list .doc.doc-failed", has_text="broken")
    expect(failed_doc.locator(".doc-error")).to_be_visible()

    page.locator("#file-input").set_input_files(str(too_big))
    refused = page.locator("#jobs .job").first
    expect(refused).to_have_attribute("data-status", "failed")
    expect(refused).to_contain_text("huge.txt is over the 100 MB per-file limit")
    assert ui.errors == []


def assert_no_horizontal_scroll(page: Any) -> None:
    sizes = page.evaluate(
        """() => {
            const log = document.getElementById("messages");
            return {page: document.documentElement.scrollWidth, body: document.body.scrollWidth,
                    view: window.innerWidth, log: log.scrollWidth, logView: log.clientWidth};
        }"""
    )
    assert sizes["page"] <= sizes["view"] and sizes["body"] <= sizes["view"], sizes
    assert sizes["log"] <= sizes["logView"], sizes


@pytest.mark.usefixtures("festival_uploaded")
def test_phone_width(open_page: Callable[..., UiPage]) -> None:
    ui = open_page(390, 844)
    page = ui.page
    assert_no_horizontal_scroll(page)

    # The documents panel is a drawer here: closed at first, Esc closes it again.
    toggle = page.locator("#docs-toggle")
    expect(page.locator("#docs-panel")).to_be_hidden()
    toggle.click()
    expect(page.locator("#docs-panel")).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#doc-list .doc").first).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#docs-panel")).to_be_hidden()
    expect(toggle).to_be_focused()

    # Shift+Enter is a new line, not a send.
    box = page.locator("#question")
    box.click()
    page.keyboard.type("一行目")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("二行目")
    expect(box).to_have_value("一行目\n二行目")
    expect(page.locator(".msg-user")).to_have_count(0)

    # Questions go to the chosen collection.
    page.locator("#collection").select_option("default")
    with page.expect_request("**/v1/ask") as request:
        answer = ask(page, "灯籠流しは毎年いつ行われますか？", 0)
    assert request.value.post_data_json["collection"] == "default"
    expect(answer.locator(".msg-content")).to_contain_text("8月16日")
    assert_no_horizontal_scroll(page)

    # The source panel is a full-width sheet; Esc closes it and the chip gets the focus back.
    chip = answer.locator(".msg-content button.chip").first
    chip.click()
    panel = page.locator("#source-panel")
    expect(panel).to_be_visible()
    expect(panel.locator("mark")).to_contain_text("8月16日")
    box_ = panel.bounding_box()
    assert box_ is not None and box_["width"] == 390 and box_["y"] > 0
    assert_no_horizontal_scroll(page)
    screenshot(page, "screenshot-phone")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(chip).to_be_focused()
    assert ui.errors == []


def test_api_key_is_asked_for_and_sent(open_page: Callable[..., UiPage]) -> None:
    key = "ui-test-key"
    seen: list[str | None] = []

    def guard(route: Any) -> None:
        # The shared server is open; this stands in for one started with KOTAE_API_KEYS.
        auth = route.request.headers.get("authorization")
        seen.append(auth)
        if auth == f"Bearer {key}":
            route.continue_()
        else:
            error = {"error": {"type": "unauthorized", "message": "missing or invalid API key"}}
            route.fulfill(status=401, content_type="application/json", body=json.dumps(error))

    ui = open_page(locale="en-US", before=lambda page: page.route("**/v1/**", guard))
    page = ui.page
    dialog = page.locator("#key-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("API key required")
    expect(page.locator("#key-input")).to_be_focused()

    page.locator("#key-input").fill("wrong-key")
    page.keyboard.press("Enter")
    expect(page.locator("#key-error")).to_be_visible()  # asked again, saying why
    page.locator("#key-input").fill(key)
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.locator("#doc-list .doc").first).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('kotae.apiKey')") == key
    # The page loads its documents and its chats at once: both wait for the one dialog.
    assert seen[0] is None and "Bearer wrong-key" in seen
    assert seen[-1] == f"Bearer {key}"
    assert ui.errors == []


def sse(event: str, data: object) -> str:
    return f"event: {event}\r\ndata: {json.dumps(data, ensure_ascii=False)}\r\n\r\n"


def test_replayed_answers_render_safely(open_page: Callable[..., UiPage]) -> None:
    """Answers the bundled server does not give on demand (generative with Markdown and an
    unverified citation; an abstention), replayed to check rendering, escaping and styling."""
    answer = (
        '**Lanterns** are made by *hand* [1]. <img src=x onerror="window.pwned=1">\n\n'
        "- first `item`\n- second, see [docs](javascript:alert(1)) and [site](https://example.org)\n\n"
        "```\n<b>not bold</b>\n```"
    )
    passage = "Lanterns are folded by hand. Each holds a candle."
    final = {
        "answer": answer,
        "citations": [
            {
                "n": 1,
                "chunk_id": 9,
                "document_id": 1,
                "source": "notes.md",
                "title": "Notes",
                "page": 3,
                "char_start": 0,
                "char_end": 28,
                "text": passage,
                "highlight_start": 0,
                "highlight_end": 28,
                "supported": False,
            }
        ],
        "abstained": False,
        "mode": "generative",
        "language": "en",
        "warnings": ["1 citation was dropped"],
        "unsupported_sentences": ["Lanterns are made by hand."],
        "query": "q",
        "passages": [],
    }
    tokens = [sse("token", {"text": part}) for part in (answer[:40], answer[40:])]
    abstention = {
        **final,
        "answer": "The documents do not say.",
        "citations": [],
        "abstained": True,
        "warnings": [],
        "unsupported_sentences": [],
        "passages": [
            {
                "n": 1,
                "chunk_id": 9,
                "document_id": 1,
                "title": "Notes",
                "source": "notes.md",
                "page": 3,
                "text": passage,
                "score": 0.21,
            },
            {
                "n": 2,
                "chunk_id": 4,
                "document_id": 1,
                "title": "Notes",
                "source": "notes.md",
                "page": 1,
                "text": "Candles are bought in May.",
                "score": 0.12,
            },
        ],
    }
    streams = [
        "".join(tokens) + sse("final", final),
        sse("token", {"text": abstention["answer"]}) + sse("final", abstention),
    ]

    def replay(route: Any) -> None:
        body = streams.pop(0)
        route.fulfill(status=200, headers={"content-type": "text/event-stream"}, body=body)

    ui = open_page(locale="en-US", before=lambda page: page.route("**/v1/ask", replay))
    page = ui.page
    reply = ask(page, "How are the lanterns made?", 0)
    content = reply.locator(".msg-content")
    expect(content.locator("strong")).to_have_text("Lanterns")
    expect(content.locator("em")).to_have_text("hand")
    expect(content.locator("li")).to_have_count(2)
    expect(content.locator("pre code")).to_have_text("<b>not bold</b>")
    expect(content).to_contain_text('<img src=x onerror="window.pwned=1">')
    assert content.locator("img, b, script").count() == 0
    assert content.locator("a[href^='javascript']").count() == 0
    expect(content.get_by_role("link", name="site")).to_have_attribute(
        "href", "https://example.org"
    )
    assert page.evaluate("window.pwned") is None
    expect(reply.locator(".badge-mode")).to_have_count(0)
    expect(reply.locator(".warnings")).to_contain_text("1 citation was dropped")
    expect(reply.locator(".unsupported")).to_contain_text("Lanterns are made by hand.")
    chip = content.locator("button.chip")
    expect(chip).to_have_class(re.compile(r"chip-unverified"))
    chip.click()
    expect(page.locator("#source-meta")).to_contain_text("not verified")
    expect(page.locator("#source-passage mark")).to_have_text("Lanterns are folded by hand.")
    page.keyboard.press("Escape")

    # An abstention: a muted card with an icon, no chips, the closest passages clickable.
    muted = ask(page, "What is the capital of Mars?", 1)
    expect(muted).to_have_class(re.compile(r"\babstained\b"))
    expect(muted.locator(".abstain-head")).to_have_text("Not enough evidence")
    expect(muted.locator(".abstain-head svg")).to_have_count(1)
    expect(muted.locator(".msg-content")).to_contain_text("The documents do not say.")
    expect(muted.locator("button.chip")).to_have_count(0)
    closest = muted.locator(".closest .passage-card")
    expect(closest).to_have_count(2)
    closest.nth(1).click()
    panel = page.locator("#source-panel")
    expect(panel.locator("#source-eyebrow")).to_have_text("Passage 2")
    expect(panel.locator("#source-passage")).to_have_text("Candles are bought in May.")
    expect(panel.locator("mark")).to_have_count(0)
    expect(panel.locator("#source-meta")).to_contain_text("page 1")
    assert ui.errors == []


MARKDOWN_CASES = [
    ("a **b** c", "<p>a <strong>b</strong> c</p>"),
    ("snake_case_word and _it_", "<p>snake_case_word and <em>it</em></p>"),
    ("日本語の*強調*です", "<p>日本語の<em>強調</em>です</p>"),
    ("**太字**：説明", "<p><strong>太字</strong>：説明</p>"),
    ("unclosed **bold", "<p>unclosed **bold</p>"),
    ("a * b * c", "<p>a * b * c</p>"),
    ("\\*not em\\*", "<p>*not em*</p>"),
    ("~~gone~~", "<p><del>gone</del></p>"),
    ("line1\nline2", "<p>line1<br>line2</p>"),
    ("para one\n\npara two", "<p>para one</p><p>para two</p>"),
    ("# Title", "<h3>Title</h3>"),
    ("> quote", "<blockquote><p>quote</p></blockquote>"),
    ("text\n- item", "<p>text</p><ul><li>item</li></ul>"),
    ("- a\n  - b\n- c", "<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>"),
    ("3. three\n4. four", '<ol start="3"><li>three</li><li>four</li></ol>'),
    ("`<x>`", "<p><code>&lt;x&gt;</code></p>"),
    ("```js\nlet a = 1 < 2;\n```", '<pre><code data-lang="js">let a = 1 &lt; 2;</code></pre>'),
    ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
    ("[t](javascript:x)", "<p>t</p>"),
    ("[t](//evil.example)", "<p>t</p>"),
    (
        "see https://example.org/a.",
        '<p>see <a href="https://example.org/a" target="_blank" rel="noopener noreferrer">'
        "https://example.org/a</a>.</p>",
    ),
    ("x [1, 2] y [9]", "<p>x <sup>1</sup><sup>2</sup> y [9]</p>"),
    (
        "| a | b |\n|---|:-:|\n| 1 | [2] |\n| x \\| y | **z** |",
        '<div class="table-wrap"><table><thead><tr><th>a</th><th style="text-align: center;">b'
        '</th></tr></thead><tbody><tr><td>1</td><td style="text-align: center;"><sup>2</sup>'
        '</td></tr><tr><td>x | y</td><td style="text-align: center;"><strong>z</strong></td>'
        "</tr></tbody></table></div>",
    ),
    (
        "text\n| a | b |\n| - | - |",
        '<p>text</p><div class="table-wrap"><table><thead><tr><th>a</th>'
        "<th>b</th></tr></thead><tbody></tbody></table></div>",
    ),
    ("a | b\nc | d", "<p>a | b<br>c | d</p>"),
    ("19. 売上の推移\n前年比で増加", "<p>19. 売上の推移<br>前年比で増加</p>"),
    ("text\n19. 売上", "<p>text<br>19. 売上</p>"),
    ("1. one\n\n2) two", "<ol><li>one</li></ol><p>2) two</p>"),
    ("| a | b |\n|---|", "<p>| a | b |<br>|---|</p>"),
]


def test_markdown_renderer(open_page: Callable[..., UiPage]) -> None:
    """The renderer module itself, on the cases that matter: emphasis in Japanese, lists,
    code, links only with safe schemes, [n] markers (9 has no passage: it stays text)."""
    ui = open_page()
    rendered = ui.page.evaluate(
        """async (cases) => {
            const { renderMarkdown } = await import("/static/js/markdown.js");
            const citation = (n) => n < 5 ? Object.assign(document.createElement("sup"),
                {textContent: String(n)}) : null;
            return cases.map((text) => {
                const box = document.createElement("div");
                box.append(renderMarkdown(text, { citation }));
                return box.innerHTML;
            });
        }""",
        [text for text, _ in MARKDOWN_CASES],
    )
    assert list(zip([t for t, _ in MARKDOWN_CASES], rendered, strict=True)) == MARKDOWN_CASES
