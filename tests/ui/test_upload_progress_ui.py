"""A large upload in a real browser: bytes sent are shown while it travels, and a file the
server cannot read ends as failed, in the UI's language."""

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.ui.ui_support import UiPage, require_playwright

expect = require_playwright().expect

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SIZE = 4 * 1024 * 1024
BYTES_PER_SECOND = 1024 * 1024


def test_byte_progress_then_a_failed_file(open_page: Callable[..., UiPage], tmp_path: Path) -> None:
    # Not a PDF inside: the server takes the upload, then fails the file quickly.
    large = tmp_path / "large-scan.pdf"
    large.write_bytes(b"%not a pdf\n" + bytes(SIZE))
    ui = open_page(1280, 800)
    page = ui.page
    # Loopback sends 4 MB at once; a throttled upload shows the bytes as they go.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": BYTES_PER_SECOND,
        },
    )
    page.evaluate(
        """() => {
            window.__progress = [];
            new MutationObserver(() => {
                const bar = document.querySelector("#jobs .job .progress");
                const text = bar && bar.getAttribute("aria-valuetext");
                if (text && window.__progress.at(-1) !== text) window.__progress.push(text);
            }).observe(document.getElementById("jobs"),
                {subtree: true, childList: true, attributes: true});
        }"""
    )
    page.locator("#file-input").set_input_files(str(large))
    job = page.locator("#jobs .job").first
    expect(job.locator(".job-status")).to_have_text("アップロード中")
    expect(job).to_have_attribute("data-status", "failed", timeout=120_000)
    seen = page.evaluate("window.__progress")
    sent = [re.fullmatch(r"([\d.]+) MB 中 ([\d.]+) (MB|KB|B) 送信済み", s) for s in seen]
    assert all(sent), seen
    parts = [(float(m[2]) * {"MB": 1024 * 1024, "KB": 1024, "B": 1}[m[3]]) for m in sent if m]
    assert any(0 < done < SIZE for done in parts), seen  # in between, not only 0 and all
    assert parts == sorted(parts), seen

    # Failed, said so in Japanese, with a red bar and no "done".
    expect(job.locator(".job-status")).to_have_text("失敗")
    row = job.locator(".job-file.file-failed")
    expect(row.locator(".file-status")).to_have_text("失敗")
    expect(row.locator(".file-name")).to_have_text("large-scan.pdf")
    # The reason in Japanese first, the server's own words after it.
    expect(row.locator(".file-error")).to_have_text(re.compile(r"^PDF ではありません（not a PDF"))
    expect(job).not_to_contain_text("完了")
    failed_doc = page.locator("#doc-list .doc.doc-failed", has_text="large-scan")
    expect(failed_doc.locator(".doc-kind")).to_have_text("PDF")
    assert ui.errors == []
