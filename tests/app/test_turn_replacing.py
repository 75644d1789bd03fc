"""Regenerate and edit-and-resend (`replaces_turn_id`) and taking feedback back, over REST,
against a real `kotae serve` with two API keys and a real HTTP generator that can be made to
refuse: the replaced turn goes only when the new answer is saved."""

from collections.abc import Iterator

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.conftest import sse_events, wait_job
from tests.generator.fake_openai_server import FakeOpenAIServer, running

pytestmark = pytest.mark.integration

KEYS = ("key-alice", "key-bob")
FESTIVAL_JA = "みなと町の夏祭りでは約3200発の花火が打ち上げられます。屋台は45店が並びます。\n"


class SwitchableGenerator(FakeOpenAIServer):
    """Answers like the fake server, or, while `refusing`, rejects every chat (a 400, which
    Kotae reports as a 502 with no extractive fallback)."""

    def __init__(self) -> None:
        super().__init__()
        self.refusing = False
        self.replies["ok"] = "祭りでは約3200発の花火が打ち上げられます。[1]"

    async def _chat(self, request: Request) -> Response:
        if self.refusing:
            return JSONResponse({"object": "error", "message": "refused", "code": 400}, 400)
        return await super()._chat(request)


@pytest.fixture(scope="module")
def generator() -> Iterator[SwitchableGenerator]:
    with running(SwitchableGenerator()) as fake:
        yield fake


@pytest.fixture(scope="module")
def server(serve, tmp_path_factory, generator):
    data_dir = tmp_path_factory.mktemp("replacing")
    return serve(
        data_dir, KOTAE_API_KEYS=",".join(KEYS), KOTAE_GENERATOR_URL=generator.base_url("ok")
    )


@pytest.fixture(scope="module")
def clients(server) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    alice, bob = (
        httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {k}"}, timeout=120
        )
        for k in KEYS
    )
    with alice, bob:
        files = [("files", ("matsuri.txt", FESTIVAL_JA.encode(), "text/plain"))]
        job = wait_job(alice, alice.post("/v1/documents", files=files).json()["job_id"])
        assert job["status"] == "done", job
        yield alice, bob


def ask(client: httpx.Client, question: str, cid: str = "new", **extra) -> httpx.Response:
    return client.post("/v1/ask", json={"question": question, "conversation_id": cid, **extra})


def turns(client: httpx.Client, cid: str) -> list[tuple[int, str]]:
    detail = client.get(f"/v1/conversations/{cid}").json()
    return [(t["id"], t["question"]) for t in detail["turns"]]


def refused(response: httpx.Response, status: int, type_: str, words: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["type"] == type_ and words in error["message"], error


def feedback_url(cid: str, tid: int) -> str:
    return f"/v1/conversations/{cid}/turns/{tid}/feedback"


def test_regenerate_and_edit_replace_the_last_turn_and_its_feedback(clients):
    alice, _ = clients
    first = ask(alice, "花火は何発ですか？").json()
    cid = first["conversation_id"]
    second = ask(alice, "屋台はいくつ？", cid).json()
    assert alice.put(feedback_url(cid, second["turn_id"]), json={"rating": "down"}).is_success

    with alice.stream(
        "POST",
        "/v1/ask",
        json={
            "question": "屋台はいくつ？",
            "conversation_id": cid,
            "replaces_turn_id": second["turn_id"],
            "stream": True,
        },
    ) as r:
        events = sse_events(r.iter_lines())
    regenerated = events[-1][1]
    assert events[-1][0] == "final" and regenerated["mode"] == "generative", events
    assert regenerated["conversation_id"] == cid
    assert turns(alice, cid) == [
        (first["turn_id"], "花火は何発ですか？"),
        (regenerated["turn_id"], "屋台はいくつ？"),
    ]
    # Its feedback went with it.
    refused(alice.get(feedback_url(cid, second["turn_id"])), 404, "not_found", "no turn")
    assert second["turn_id"] not in [t["id"] for t in alice.get("/v1/feedback").json()["feedback"]]

    edited = alice.post(
        "/v1/chat/completions",
        json={
            "messages": [{"role": "user", "content": "入場料は？"}],
            "conversation_id": cid,
            "replaces_turn_id": regenerated["turn_id"],
        },
    ).json()
    assert turns(alice, cid) == [
        (first["turn_id"], "花火は何発ですか？"),
        (edited["turn_id"], "入場料は？"),
    ]


def test_editing_the_only_question_retitles_a_conversation_titled_by_it(clients):
    alice, _ = clients
    first = ask(alice, "花火は？").json()
    cid = first["conversation_id"]
    edited = ask(alice, "花火は何発？", cid, replaces_turn_id=first["turn_id"]).json()
    assert turns(alice, cid) == [(edited["turn_id"], "花火は何発？")]
    assert alice.get(f"/v1/conversations/{cid}").json()["conversation"]["title"] == "花火は何発？"


def test_a_turn_that_cannot_be_replaced_is_refused_before_anything_is_asked(clients, generator):
    alice, bob = clients
    first = ask(alice, "花火は何発ですか？").json()
    cid = first["conversation_id"]
    second = ask(alice, "屋台はいくつ？", cid).json()
    elsewhere = ask(alice, "入場料は？").json()
    asked_before = len(generator.requests)
    not_last = ask(alice, "x", cid, replaces_turn_id=first["turn_id"])
    refused(not_last, 409, "conflict", "not the last turn")
    for response in (
        ask(alice, "x", cid, replaces_turn_id=elsewhere["turn_id"]),  # another conversation's
        ask(alice, "x", cid, replaces_turn_id=2**63 - 1),
        ask(bob, "x", cid, replaces_turn_id=second["turn_id"]),  # another key's
        alice.post(
            "/v1/chat/completions",
            json={
                "messages": [{"role": "user", "content": "x"}],
                "conversation_id": cid,
                "replaces_turn_id": first["turn_id"] + 10**9,
            },
        ),
    ):
        assert response.status_code == 404, response.text
    refused(ask(alice, "x", "new", replaces_turn_id=second["turn_id"]), 400, "bad_request", "needs")
    no_conversation = alice.post("/v1/ask", json={"question": "x", "replaces_turn_id": 1})
    refused(no_conversation, 400, "bad_request", "conversation_id")
    for bad in (0, -1, 2**63, "1; drop"):
        assert ask(alice, "x", cid, replaces_turn_id=bad).status_code == 422
    assert len(generator.requests) == asked_before
    assert [t for t, _ in turns(alice, cid)] == [first["turn_id"], second["turn_id"]]


def test_a_failed_answer_keeps_the_turn_it_would_replace(clients, generator):
    alice, _ = clients
    first = ask(alice, "花火は何発ですか？").json()
    cid, tid = first["conversation_id"], first["turn_id"]
    assert alice.put(feedback_url(cid, tid), json={"rating": "up"}).is_success
    generator.refusing = True
    try:
        whole = ask(alice, "花火は何発ですか？", cid, replaces_turn_id=tid)
        refused(whole, 502, "generator_bad_response", "refused")
        with alice.stream(
            "POST",
            "/v1/ask",
            json={
                "question": "花火は？",
                "conversation_id": cid,
                "replaces_turn_id": tid,
                "stream": True,
            },
        ) as r:
            events = sse_events(r.iter_lines())
        assert [kind for kind, _ in events][-1] == "error", events
    finally:
        generator.refusing = False
    assert turns(alice, cid) == [(tid, "花火は何発ですか？")]
    assert alice.get(feedback_url(cid, tid)).json()["feedback"]["rating"] == "up"


def test_feedback_is_taken_back(clients):
    alice, bob = clients
    answer = ask(alice, "花火は何発ですか？").json()
    url = feedback_url(answer["conversation_id"], answer["turn_id"])
    refused(alice.delete(url), 404, "not_found", "no feedback")
    assert alice.put(url, json={"rating": "up", "comment": "good"}).is_success
    assert bob.delete(url).status_code == 404  # another key's: as if it did not exist
    response = alice.delete(url)
    assert response.status_code == 204 and response.content == b""
    refused(alice.get(url), 404, "not_found", "no feedback")
    refused(alice.delete(url), 404, "not_found", "no feedback")
    detail = alice.get(f"/v1/conversations/{answer['conversation_id']}").json()
    assert detail["turns"][0]["feedback"] is None
    assert alice.delete(feedback_url("0" * 32, 1)).status_code == 404
    assert alice.delete(feedback_url(answer["conversation_id"], 0)).status_code == 422


def test_a_streamed_markdown_answer_reports_only_its_unsupported_claims(clients, generator):
    alice, _ = clients
    generator.replies["ok"] = (
        "## 夏祭りのまとめ\n\n| 項目 | 内容 |\n|---|---|\n| 花火 | **約3200発** [1] |\n"
        "| 天気 | 大雪が降ります [1] |\n| 屋台 | 45店 |\n\n```\nfireworks = 3200\n```\n\n"
        "祭りでは約3200発の花火が打ち上げられます。[1]"
    )
    try:
        with alice.stream(
            "POST", "/v1/ask", json={"question": "花火は何発ですか？", "stream": True}
        ) as r:
            events = sse_events(r.iter_lines())
    finally:
        generator.replies["ok"] = SwitchableGenerator().replies["ok"]
    final = events[-1][1]
    assert events[-1][0] == "final" and final["mode"] == "generative", events
    assert "| 屋台 | 45店 |" in final["answer"]  # shown as written
    assert final["unsupported_sentences"] == ["天気 大雪が降ります"]
    assert final["warnings"] == ["3文のうち1文は、引用された箇所で裏付けを確認できませんでした。"]
