"""Conversations, feedback, regenerate and edit in the chat UI: Debian's Chromium via Playwright
against a real `kotae serve` (bundled model, SQLite, extractive answers)."""

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import wait_job
from tests.ui.test_chat_ui import ANSWER_TIMEOUT, ask
from tests.ui.ui_support import ROOT, UiPage, require_playwright

expect = require_playwright().expect

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# A document only these tests use (and delete): a tea shop's opening year.
TEA_TITLE = "茶房あおばの歴史"  # its first line, the document's title
TEA_TEXT = f"""{TEA_TITLE}

茶房あおばは川凪町の駅前にある喫茶店です。開店は1979年で、店主は二代目の青葉健一さんです。

名物は白糸川の水で淹れるほうじ茶で、一日におよそ90杯が出ます。
"""


def kotae(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KOTAE_DATA_DIR": str(data_dir)}
    env.update(KOTAE_GENERATOR_URL="", KOTAE_API_KEYS="")
    return subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def current_id(page: Any) -> str:
    found = page.evaluate("localStorage.getItem('kotae.conversation')")
    assert found and re.fullmatch(r"[0-9a-f]{32}", found), found
    return str(found)


def test_a_conversation_survives_a_reload_and_reopens_from_the_history(
    open_page: Callable[..., UiPage], ui_server: str, festival_uploaded: None
) -> None:
    ui = open_page(1280, 800)
    page = ui.page
    question = "灯籠流しでは灯籠がいくつ川に浮かべられますか？"
    with page.expect_request("**/v1/ask") as request:
        ask(page, question, 0)
    assert request.value.post_data_json["conversation_id"] == "new"
    conversation = current_id(page)
    with page.expect_request("**/v1/ask") as request:
        ask(page, "雨の場合はどうなりますか？", 1)
    assert request.value.post_data_json["conversation_id"] == conversation
    history = page.locator("#conv-list .conv")
    expect(history.first.locator(".conv-title")).to_have_text(question)
    expect(history.first.locator(".conv-open")).to_have_attribute("aria-current", "true")

    # A reload keeps the conversation: both answers, their chips open their passages.
    page.reload()
    messages = page.locator(".msg-assistant")
    expect(messages).to_have_count(2)
    expect(page.locator(".msg-user")).to_have_text([question, "雨の場合はどうなりますか？"])
    expect(messages.nth(0).locator(".msg-content")).to_contain_text("2300")
    messages.nth(1).locator(".msg-content button.chip").first.click()
    panel = page.locator("#source-panel")
    expect(panel.locator("mark")).to_contain_text("8月17日")
    page.keyboard.press("Escape")
    assert current_id(page) == conversation
    # The reopened history goes with the next question.
    with page.expect_request("**/v1/ask") as request:
        ask(page, "実行委員長は誰ですか？", 2)
    body = request.value.post_data_json
    assert body["conversation_id"] == conversation
    assert [turn["role"] for turn in body["history"]] == ["user", "assistant"] * 2
    assert body["history"][0]["content"] == question

    # New chat: an empty log, and the old conversation waits in the history list.
    page.get_by_role("button", name="新しいチャット").click()
    expect(page.locator(".msg")).to_have_count(0)
    assert page.evaluate("localStorage.getItem('kotae.conversation')") is None
    # Other tests may have asked the same question: rows are told apart by id.
    row = page.locator(f'#conv-list .conv[data-id="{conversation}"]')
    expect(row).to_have_count(1)
    expect(row.locator(".conv-meta")).to_contain_text("3 件の質問")
    row.locator(".conv-open").click()
    expect(page.locator(".msg-assistant")).to_have_count(3)
    page.locator(".msg-assistant").nth(0).locator(".source-card").first.click()
    expect(panel.locator("mark")).to_contain_text("2300")
    page.keyboard.press("Escape")

    # Regenerate the last answer: the same question again, its earlier turns as history; the
    # new answer replaces the saved one.
    def saved_questions() -> list[tuple[int, str]]:
        with httpx.Client(base_url=ui_server) as client:
            turns = client.get(f"/v1/conversations/{conversation}").json()["turns"]
        return [(t["id"], t["question"]) for t in turns]

    last_turn = saved_questions()[-1][0]
    last = page.locator(".msg-assistant").nth(2)
    with page.expect_request("**/v1/ask") as request:
        last.get_by_role("button", name="回答を再生成").click()
    body = request.value.post_data_json
    assert body["question"] == "実行委員長は誰ですか？" and len(body["history"]) == 4
    assert body["replaces_turn_id"] == last_turn
    expect(page.locator(".msg-assistant")).to_have_count(3)
    expect(page.locator(".msg-assistant").nth(2)).not_to_have_class(
        re.compile(r"\bstreaming\b"), timeout=ANSWER_TIMEOUT
    )
    expect(page.locator(".msg-assistant").nth(2).locator(".msg-content")).to_contain_text("酒井")
    expect(page.locator(".turn-tools")).to_have_count(1)  # the last exchange only
    # After a reload, the regenerated answer alone: the old one left the server with it.
    page.reload()
    expect(page.locator(".msg-assistant")).to_have_count(3)
    expect(page.locator(".msg-user")).to_have_text(
        [question, "雨の場合はどうなりますか？", "実行委員長は誰ですか？"]
    )
    regenerated = saved_questions()
    assert len(regenerated) == 3 and last_turn not in [t for t, _ in regenerated]
    # Edit and resend: the question comes back to the box, its exchange leaves the log.
    page.locator(".msg-assistant").nth(2).get_by_role("button", name="質問を編集して再送信").click()
    expect(page.locator("#question")).to_have_value("実行委員長は誰ですか？")
    expect(page.locator("#question")).to_be_focused()
    expect(page.locator(".msg-assistant")).to_have_count(2)
    with page.expect_request("**/v1/ask") as request:
        ask(page, "ボランティアは何人参加しますか？", 2)
    assert len(request.value.post_data_json["history"]) == 4
    assert request.value.post_data_json["replaces_turn_id"] == regenerated[-1][0]
    page.reload()
    expect(page.locator(".msg-user")).to_have_text(
        [question, "雨の場合はどうなりますか？", "ボランティアは何人参加しますか？"]
    )
    assert [q for _, q in saved_questions()][-1] == "ボランティアは何人参加しますか？"
    assert len(saved_questions()) == 3
    # A question typed after that is a new turn again, replacing nothing.
    with page.expect_request("**/v1/ask") as request:
        ask(page, "雨の場合はどうなりますか？", 3)
    assert "replaces_turn_id" not in request.value.post_data_json
    assert len(saved_questions()) == 4

    # Rename from the list; search by title finds it by its new name only.
    row.get_by_role("button", name=re.compile("名前を変更")).click()
    title_box = page.locator(".conv-rename")
    expect(title_box).to_be_focused()
    title_box.fill("灯籠流しのメモ")
    title_box.press("Enter")
    expect(history.filter(has_text="灯籠流しのメモ")).to_have_count(1)
    with httpx.Client(base_url=ui_server) as client:
        saved = client.get(f"/v1/conversations/{conversation}").json()
    assert saved["conversation"]["title"] == "灯籠流しのメモ"
    search = page.locator("#conv-search")
    search.fill("のメモ")
    expect(history).to_have_count(1)
    search.fill("存在しないタイトル")
    expect(history).to_have_count(0)
    expect(page.locator("#conv-empty")).to_have_text("そのタイトルの会話はありません。")
    search.fill("")
    expect(history.filter(has_text="灯籠流しのメモ")).to_have_count(1)

    # Delete the current conversation: gone from the list, the server and the log.
    row = history.filter(has_text="灯籠流しのメモ")
    row.get_by_role("button", name=re.compile("を削除")).click()
    expect(page.locator("#confirm-title")).to_have_text("会話を削除しますか？")
    page.locator("#confirm-ok").click()
    expect(history.filter(has_text="灯籠流しのメモ")).to_have_count(0)
    expect(page.locator(".msg")).to_have_count(0)
    with httpx.Client(base_url=ui_server) as client:
        assert client.get(f"/v1/conversations/{conversation}").status_code == 404
    page.reload()
    expect(page.locator("#welcome")).to_be_visible()
    assert ui.errors == []


def test_feedback_given_in_the_ui_is_exported_and_scored(
    open_page: Callable[..., UiPage], ui_data_dir: Path, festival_uploaded: None, tmp_path: Path
) -> None:
    ui = open_page(1280, 800)
    page = ui.page
    page.get_by_role("button", name="新しいチャット").click()
    question = "灯籠流しは何年に始まりましたか？"
    answer = ask(page, question, 0)
    # Thumbs down opens the form; the right passage is picked from the ones shown.
    answer.get_by_role("button", name="良くない回答").click()
    expect(answer.get_by_role("button", name="良くない回答")).to_have_attribute(
        "aria-pressed", "true"
    )
    form = answer.locator(".feedback-form")
    expect(form).to_be_visible()
    form.get_by_label("コメント（任意）").fill("年だけ知りたい")
    choice = form.get_by_label("正しい段落は…")
    option = choice.locator("option", has_text="1897年")
    choice.select_option(value=option.first.get_attribute("value"))
    form.get_by_label("正しい答え（短く・任意）").fill("1897年")
    form.get_by_role("button", name="フィードバックを送信").click()
    expect(answer.locator(".feedback-status")).to_have_text("フィードバックを保存しました")

    # A question the documents don't answer, confirmed by the user; one pasted passage.
    unanswerable = "町長の好きな食べ物は何ですか？"
    second = ask(page, unanswerable, 1)
    second.get_by_role("button", name="フィードバック…").click()
    second.locator(".feedback-form").get_by_label("文書には書かれていない").check()
    second.get_by_role("button", name="フィードバックを送信").click()
    expect(second.locator(".feedback-status")).to_have_text("フィードバックを保存しました")
    third = ask(page, "実行委員長は誰ですか？", 2)
    third.get_by_role("button", name="良い回答").click()
    third.get_by_role("button", name="フィードバック…").click()
    form = third.locator(".feedback-form")
    form.get_by_label("正しい段落は…").select_option(label="テキストを貼り付ける…")
    form.get_by_label("正しい段落（貼り付け）").fill("祭りの実行委員長は酒井みどりさんです")
    form.get_by_role("button", name="フィードバックを送信").click()
    expect(third.locator(".feedback-status")).to_have_text("フィードバックを保存しました")

    # Reopened, the answers show the feedback as it was saved.
    page.reload()
    reopened = page.locator(".msg-assistant")
    expect(reopened).to_have_count(3)
    expect(reopened.nth(0).get_by_role("button", name="良くない回答")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(reopened.nth(2).get_by_role("button", name="良い回答")).to_have_attribute(
        "aria-pressed", "true"
    )

    out = tmp_path / "feedback.jsonl"
    exported = kotae(ui_data_dir, "feedback", "export", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    rows = {r["q"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert {question, unanswerable, "実行委員長は誰ですか？"} <= set(rows)
    assert rows[question]["answer_any"] == ["1897年"]
    assert any("1897年" in e for e in rows[question]["evidence"])
    assert rows[unanswerable]["answerable"] is False
    assert rows["実行委員長は誰ですか？"]["evidence"] == ["祭りの実行委員長は酒井みどりさんです"]
    mine = tmp_path / "mine.jsonl"
    mine.write_text(
        "".join(json.dumps(rows[q], ensure_ascii=False) + "\n" for q in (question, unanswerable)),
        encoding="utf-8",
    )
    scored = kotae(ui_data_dir, "eval", str(mine), "--json")
    assert scored.returncode == 0, scored.stderr
    summary = json.loads(scored.stdout)
    assert summary["questions"] == 2
    assert summary["recall@5"] == 1.0
    assert summary["answers"]["fact_in_answer"] == 1.0
    assert ui.errors == []


def test_a_thumb_pressed_again_is_taken_back(
    open_page: Callable[..., UiPage], ui_server: str, festival_uploaded: None
) -> None:
    ui = open_page(1280, 800)
    page = ui.page
    page.get_by_role("button", name="新しいチャット").click()
    answer = ask(page, "灯籠流しは何年に始まりましたか？", 0)
    with httpx.Client(base_url=ui_server) as client:
        turn = client.get(f"/v1/conversations/{current_id(page)}").json()["turns"][0]
    url = f"/v1/conversations/{current_id(page)}/turns/{turn['id']}/feedback"
    up = answer.get_by_role("button", name="良い回答")
    status = answer.locator(".feedback-status")
    up.click()
    expect(status).to_have_text("フィードバックを保存しました")
    with page.expect_response(lambda r: r.request.method == "DELETE") as deleted:
        up.click()
    assert deleted.value.status == 204
    expect(up).to_have_attribute("aria-pressed", "false")
    expect(status).to_have_text("フィードバックを取り消しました")
    with httpx.Client(base_url=ui_server) as client:
        assert client.get(url).status_code == 404
    # With a comment kept, un-setting the thumb keeps the comment and drops the rating.
    up.click()
    expect(status).to_have_text("フィードバックを保存しました")
    answer.get_by_role("button", name="フィードバック…").click()
    answer.get_by_label("コメント（任意）").fill("年が分かった")
    answer.get_by_role("button", name="フィードバックを送信").click()
    expect(status).to_have_text("フィードバックを保存しました")
    with page.expect_response(lambda r: r.request.method == "PUT") as put:
        up.click()
    assert put.value.status == 200
    expect(up).to_have_attribute("aria-pressed", "false")
    with httpx.Client(base_url=ui_server) as client:
        kept = client.get(url).json()["feedback"]
    assert kept["rating"] is None and kept["comment"] == "年が分かった"
    page.reload()
    reopened = page.locator(".msg-assistant").first
    expect(reopened.get_by_role("button", name="良い回答")).to_have_attribute(
        "aria-pressed", "false"
    )
    assert ui.errors == []


def test_the_source_panel_after_a_delete(
    open_page: Callable[..., UiPage], ui_server: str, tmp_path: Path
) -> None:
    with httpx.Client(base_url=ui_server, timeout=30) as client:
        files = [("files", ("aoba.txt", TEA_TEXT.encode()))]
        response = client.post("/v1/documents", files=files, data={"collection": "tea"})
        response.raise_for_status()
        assert wait_job(client, response.json()["job_id"], timeout=120)["status"] == "done"
    ui = open_page(1280, 800)
    page = ui.page
    page.get_by_role("button", name="新しいチャット").click()
    page.locator("#collection").select_option("tea")
    panel = page.locator("#source-panel")

    # The library opens a document: its details, its passages, its original.
    page.locator("#doc-list .doc", has_text=TEA_TITLE).locator("button.doc-body").click()
    expect(panel.locator("#source-eyebrow")).to_have_text("文書")
    expect(panel.locator("#source-meta")).to_contain_text("aoba.txt")
    expect(panel.locator("#source-meta")).to_contain_text("tea")
    expect(panel.locator(".doc-chunk-list")).to_contain_text("1979")
    expect(panel.locator(".doc-chunk").first.locator(".doc-chunk-page")).to_have_text("1 ページ")
    expect(panel.locator(".passage")).to_be_hidden()
    expect(panel.locator("#source-links a")).to_have_attribute("href", re.compile(r"/file$"))
    # Absolute server paths (from `kotae ingest /srv/...`) show as the file name only.
    shown = page.evaluate(
        """async () => (await import("/static/js/sources.js")).displaySource(
            "/srv/kotae/corpus/manuals/a.pdf")"""
    )
    assert shown == "a.pdf"

    # A new question closes the panel; its citation opens it again on the passage.
    answer = ask(page, "茶房あおばの開店は何年ですか？", 0)
    expect(panel).to_be_hidden()
    expect(answer.locator(".msg-content")).to_contain_text("1979")
    answer.locator(".source-card").first.click()
    expect(panel.locator(".passage")).to_contain_text("1979")
    expect(panel.locator(".doc-chunks")).to_be_hidden()
    expect(panel.locator("#source-links a")).to_be_visible()

    # Deleting the document the panel shows closes the panel.
    page.locator("#doc-list .doc", has_text=TEA_TITLE).get_by_role(
        "button", name=re.compile("を削除")
    ).click()
    page.locator("#confirm-ok").click()
    expect(page.locator("#doc-list .doc", has_text=TEA_TITLE)).to_have_count(0)
    expect(panel).to_be_hidden()

    # Reopened, the citation still shows its text but says the document is gone.
    page.reload()
    card = page.locator(".msg-assistant .source-card").first
    expect(card).to_contain_text("削除済み")
    card.click()
    expect(panel.locator(".passage")).to_contain_text("1979")
    expect(panel.locator(".source-gone")).to_contain_text("削除")
    expect(panel.locator("#source-links a")).to_have_count(0)
    assert ui.errors == []


def test_a_long_conversation_reopens_at_its_end(open_page: Callable[..., UiPage]) -> None:
    """150 turns, replayed (asking 150 real questions would only slow the suite): the UI shows
    the last 100 and says that earlier ones are left out."""
    cid = "ab" * 16
    seen: list[str] = []

    def turn(i: int) -> dict[str, Any]:
        response = {
            "answer": f"答え{i}",
            "citations": [],
            "abstained": False,
            "mode": "extractive",
            "language": "ja",
            "warnings": [],
            "unsupported_sentences": [],
            "query": f"q{i}",
            "passages": [],
            "conversation_id": cid,
            "turn_id": i,
        }
        return {"id": i, "question": f"質問{i}", "response": response, "sources_gone": []}

    def replay(route: Any) -> None:
        url = route.request.url
        seen.append(url)
        offset = int(re.search(r"offset=(\d+)", url)[1]) if "offset=" in url else 0
        body = {
            "conversation": {"id": cid, "title": "長い会話", "turns": 150},
            "turns": [turn(i) for i in range(offset + 1, min(offset + 100, 150) + 1)],
        }
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    def before(page: Any) -> None:
        page.add_init_script(f"localStorage.setItem('kotae.conversation', '{cid}')")
        page.route(f"**/v1/conversations/{cid}?*", replay)

    ui = open_page(1280, 800, before=before)
    page = ui.page
    expect(page.locator(".msg-user")).to_have_count(100)
    expect(page.locator(".msg-user").last).to_have_text("質問150")
    expect(page.locator(".msg-user").first).to_have_text("質問51")
    expect(page.locator(".earlier-turns")).to_have_text(
        "これより前の 50 件の質問は表示していません。"
    )
    assert any("offset=50" in url for url in seen), seen
    assert ui.errors == []
