"""Small things of the chat UI in a real browser: the skip link, the question box's hint at a
short window, and the contrast of the hint and the file-type badges, light and dark."""

from collections.abc import Callable

import pytest

from tests.ui.ui_support import UiPage, require_playwright

expect = require_playwright().expect

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# WCAG contrast of the computed colour of each element against the first opaque background
# under it, both read from getComputedStyle (no hard-coded colours in the test).
CONTRASTS = """(selectors) => {
    const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
    const lum = ([r, g, b]) => {
        const f = (v) => {
            v /= 255;
            return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const background = (el) => {
        for (let node = el; node; node = node.parentElement) {
            const c = rgb(getComputedStyle(node).backgroundColor);
            if (c.length < 4 || c[3] === 1) return c.slice(0, 3);
        }
        return [255, 255, 255];
    };
    return selectors.map((selector) => {
        const el = document.querySelector(selector);
        const a = lum(rgb(getComputedStyle(el).color));
        const b = lum(background(el));
        return [selector, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
    });
}"""

BADGES = """() => {
    const list = document.getElementById("doc-list");
    for (const kind of ["pdf", "doc", "html", "md", "txt"]) {
        const li = document.createElement("li");
        li.className = "doc";
        const badge = document.createElement("span");
        badge.className = `doc-kind kind-${kind}`;
        badge.textContent = kind.toUpperCase();
        li.append(badge);
        list.append(li);
    }
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_hint_and_badges_are_readable(open_page: Callable[..., UiPage], scheme: str) -> None:
    ui = open_page(1280, 800)
    page = ui.page
    page.emulate_media(color_scheme=scheme)
    page.locator("#question").focus()
    hint = page.locator(".composer-hint")
    expect(hint).to_have_css("opacity", "1")
    # Not clipped: the whole hint is inside the chat column and the window.
    box = hint.bounding_box()
    chat = page.locator("#chat").bounding_box()
    assert box and chat
    assert box["y"] + box["height"] <= min(chat["y"] + chat["height"], 800), (box, chat)
    page.evaluate(BADGES)
    selectors = [".composer-hint"] + [f"#doc-list .kind-{k}" for k in ("pdf", "doc", "html", "md")]
    for selector, ratio in page.evaluate(CONTRASTS, selectors):
        assert ratio >= 4.5, (scheme, selector, ratio)
    assert ui.errors == []


def test_the_skip_link_goes_to_the_question_box(open_page: Callable[..., UiPage]) -> None:
    ui = open_page(1280, 800)
    page = ui.page
    page.get_by_role("button", name="新しいチャット").focus()
    skip = page.locator(".skip-link")
    expect(skip).not_to_be_in_viewport()
    skip.focus()  # the first stop of Tab on a fresh page
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("#question")).to_be_focused()
    assert ui.errors == []
