"""Fixtures for the browser tests: one real `kotae serve`, one Chromium, and the test documents.

Chromium is Debian's (`apt-get install chromium`), driven by the `playwright` package; no
browser is ever downloaded. KOTAE_CHROMIUM points at another binary.
"""

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import wait_job
from tests.ui.ui_support import (
    CHROMIUM_ARGS,
    FESTIVAL_TEXT,
    WORKSHOP_PAGES,
    WORKSHOP_TITLE,
    Corpus,
    UiPage,
    require_playwright,
    write_pdf,
)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    folder = tmp_path_factory.mktemp("ui-docs")
    text = folder / "kawanagi.txt"
    text.write_text(FESTIVAL_TEXT, encoding="utf-8")
    pdf = folder / "koyoriya.pdf"
    write_pdf(pdf, WORKSHOP_PAGES, WORKSHOP_TITLE)
    return Corpus(text=text, pdf=pdf, pdf_title=WORKSHOP_TITLE)


@pytest.fixture(scope="session")
def ui_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """KOTAE_DATA_DIR of the UI tests' server (a `kotae` command run there sees its data)."""
    return tmp_path_factory.mktemp("ui-data")


@pytest.fixture(scope="session")
def ui_server(serve: Callable[..., Any], ui_data_dir: Path) -> str:
    """Base URL of one `kotae serve` (with its in-process worker) shared by all UI tests."""
    # Extractive mode and no API keys, whatever the calling shell has set.
    server = serve(ui_data_dir, for_session=True, KOTAE_GENERATOR_URL="", KOTAE_API_KEYS="")
    return str(server.base_url)


def chromium_path() -> str:
    found = os.environ.get("KOTAE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).exists():
        message = "Chromium not found: apt-get install chromium (or set KOTAE_CHROMIUM)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


# Module scope, not session: Playwright's sync API keeps an event loop running in this thread
# while it is open, and tests elsewhere call asyncio.run(), which then fails if they run after.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = require_playwright()
    executable = chromium_path()
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser: Any, ui_server: str) -> Iterator[Callable[..., UiPage]]:
    """Factory: a fresh browser context (own sessionStorage, clipboard allowed) at the chat UI."""
    contexts: list[Any] = []

    def factory(
        width: int = 1280,
        height: int = 800,
        locale: str = "ja-JP",
        before: Callable[[Any], None] | None = None,
    ) -> UiPage:
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale=locale, device_scale_factor=1
        )
        context.set_default_timeout(15_000)
        context.grant_permissions(["clipboard-read", "clipboard-write"])
        contexts.append(context)
        page = context.new_page()
        ui = UiPage(page)
        page.on("pageerror", lambda error: ui.errors.append(str(error)))
        if before is not None:  # e.g. routes that must be in place before the first request
            before(page)
        page.goto(ui_server)
        return ui

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture
def festival_uploaded(ui_server: str, corpus: Corpus) -> None:
    """The festival text is in the corpus (uploaded through the API; a repeat is a no-op)."""
    with httpx.Client(base_url=ui_server, timeout=30) as client:
        files = [("files", (corpus.text.name, corpus.text.read_bytes()))]
        response = client.post("/v1/documents", files=files)
        response.raise_for_status()
        job = wait_job(client, response.json()["job_id"], timeout=120)
    assert job["status"] == "done", job
