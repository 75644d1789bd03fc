"""Conversations and feedback over REST, against a real `kotae serve` on loopback with two API
keys; ends with feedback exported by `kotae feedback export` and scored by `kotae eval`."""

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.app.sample_docs import FESTIVAL_JA, LIBRARY_EN
from tests.conftest import ROOT, sse_events, wait_job

pytestmark = pytest.mark.integration

KEYS = ("key-alice", "key-bob")
BIKES_EN = "Rental bikes at the station cost 300 yen per hour and must be back by 7 pm.\n"


@pytest.fixture(scope="module")
def server(serve, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("conversations")
    server = serve(data_dir, KOTAE_API_KEYS=",".join(KEYS))
    server.data_dir = data_dir
    return server


def client_for(server, key: str) -> httpx.Client:
    return httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=120
    )


@pytest.fixture(scope="module")
def alice(server):
    with client_for(server, KEYS[0]) as c:
        yield c


@pytest.fixture(scope="module")
def bob(server):
    with client_for(server, KEYS[1]) as c:
        yield c


@pytest.fixture(scope="module")
def corpus(alice):
    files = [
        ("files", ("matsuri.txt", FESTIVAL_JA.encode(), "text/plain")),
        ("files", ("library.md", LIBRARY_EN.encode(), "text/markdown")),
        ("files", ("bikes.txt", BIKES_EN.encode(), "text/plain")),
    ]
    response = alice.post("/v1/documents", files=files, data={"collection": "town"})
    job = wait_job(alice, response.json()["job_id"])
    assert [f["status"] for f in job["files"]] == ["added"] * 3, job
    return {f["name"]: f["document_id"] for f in job["files"]}


def assert_error(response: httpx.Response, status: int, type_: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["message"]
    if type_:
        assert response.json()["error"]["type"] == type_


def answers_given(client: httpx.Client) -> float:
    """kotae_answers_total summed: how many answers the server has produced."""
    text = client.get("/metrics").text
    return sum(float(v) for v in re.findall(r"^kotae_answers_total\{[^}]*\} (\S+)$", text, re.M))


def ask(client, question: str, conversation_id: str = "new", **extra) -> dict:
    body = {"question": question, "collection": "town", "conversation_id": conversation_id}
    response = client.post("/v1/ask", json={**body, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def test_ask_saves_turns_that_reopen_with_their_citations(alice, corpus):
    first = ask(alice, "  花火は何発\n打ち上げられますか？ ")
    cid = first["conversation_id"]
    assert re.fullmatch(r"[0-9a-f]{32}", cid) and first["turn_id"] >= 1
    with alice.stream(
        "POST",
        "/v1/ask",
        json={"question": "屋台はいくつ並びますか？", "conversation_id": cid, "stream": True},
    ) as r:
        events = sse_events(r.iter_lines())
    final = events[-1][1]
    assert events[-1][0] == "final" and final["conversation_id"] == cid
    chat = alice.post(
        "/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "入場料は？"}], "conversation_id": cid},
    ).json()
    assert chat["conversation_id"] == cid and chat["turn_id"] > final["turn_id"]
    with alice.stream(
        "POST",
        "/v1/chat/completions",
        json={
            "messages": [{"role": "user", "content": "When did the library open?"}],
            "conversation_id": cid,
            "stream": True,
        },
    ) as r:
        chunks = [json.loads(line[6:]) for line in r.iter_lines() if line.startswith("data: {")]
    assert [c["turn_id"] is not None for c in chunks] == [False] * (len(chunks) - 1) + [True]

    detail = alice.get(f"/v1/conversations/{cid}").json()
    assert detail["conversation"]["title"] == "花火は何発 打ち上げられますか？"
    assert detail["conversation"]["turns"] == 4
    turns = detail["turns"]
    assert [t["id"] for t in turns] == [
        first["turn_id"],
        final["turn_id"],
        chat["turn_id"],
        chunks[-1]["turn_id"],
    ]
    saved = turns[0]["response"]
    assert saved == first  # as it was returned, where it was saved included
    assert "3200" in saved["citations"][0]["text"]
    assert turns[0]["model"] == "extractive" and turns[0]["top_k"] == 5
    assert turns[0]["settings"]["embedding_model"] and turns[0]["sources_gone"] == []
    assert (
        alice.get(f"/v1/conversations/{cid}", params={"offset": 3, "limit": 1}).json()["turns"][0][
            "question"
        ]
        == "When did the library open?"
    )


def test_list_rename_search_delete(alice, corpus):
    made = [alice.post("/v1/conversations", json={"title": t}).json() for t in ("旅行 100%", "x")]
    assert made[0]["turns"] == 0 and made[0]["title"] == "旅行 100%"
    listed = alice.get("/v1/conversations", params={"limit": 2}).json()
    assert [c["id"] for c in listed["conversations"]] == [made[1]["id"], made[0]["id"]]
    renamed = alice.patch(f"/v1/conversations/{made[1]['id']}", json={"title": "  new name "})
    assert renamed.json()["title"] == "new name"
    found = alice.get("/v1/conversations", params={"q": "100%"}).json()
    assert [c["id"] for c in found["conversations"]] == [made[0]["id"]] and found["total"] == 1
    assert alice.delete(f"/v1/conversations/{made[0]['id']}").status_code == 204
    assert_error(alice.get(f"/v1/conversations/{made[0]['id']}"), 404, "not_found")
    assert_error(alice.delete(f"/v1/conversations/{made[0]['id']}"), 404)


def test_another_key_sees_nothing_and_learns_nothing(alice, bob, corpus):
    mine = ask(alice, "花火は何発打ち上げられますか？")
    cid, tid = mine["conversation_id"], mine["turn_id"]
    assert cid not in [c["id"] for c in bob.get("/v1/conversations").json()["conversations"]]
    unknown = "0" * 32
    for other in (cid, unknown):  # the same answer for another key's id and a made-up one
        assert_error(bob.get(f"/v1/conversations/{other}"), 404, "not_found")
        assert_error(bob.patch(f"/v1/conversations/{other}", json={"title": "t"}), 404)
        assert_error(bob.delete(f"/v1/conversations/{other}"), 404)
        url = f"/v1/conversations/{other}/turns/{tid}/feedback"
        assert_error(bob.put(url, json={"rating": "down"}), 404)
        assert_error(bob.get(url), 404)
    before = answers_given(bob)
    refused = bob.post("/v1/ask", json={"question": "花火は？", "conversation_id": cid})
    assert_error(refused, 404, "not_found")
    with bob.stream(
        "POST", "/v1/ask", json={"question": "花火は？", "conversation_id": cid, "stream": True}
    ) as r:
        assert r.status_code == 404  # before the stream starts
    chat = bob.post(
        "/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "花火は？"}], "conversation_id": cid},
    )
    assert_error(chat, 404)
    assert answers_given(bob) == before  # refused before anything was asked
    assert bob.get("/v1/feedback").json() == {"feedback": [], "total": 0}
    assert alice.get(f"/v1/conversations/{cid}").json()["conversation"]["turns"] == 1


def test_odd_ids_and_oversized_fields_are_refused_clearly(alice, corpus):
    mine = ask(alice, "屋台はいくつ？")
    cid, tid = mine["conversation_id"], mine["turn_id"]
    for odd in ("xyz", "0" * 31, "A" * 32, "new", "0" * 5000, "%00" * 11, "%E3%81%82" * 32):
        assert_error(alice.get(f"/v1/conversations/{odd}"), 422, "invalid_request")
    assert_error(alice.get("/v1/conversations/..%2F..%2Fv1%2Fdocuments"), 404)  # no such route
    for odd in ("0", str(2**63), str(2**64), "-1", "1.5"):
        assert_error(alice.get(f"/v1/conversations/{cid}/turns/{odd}/feedback"), 422)
    other = alice.post("/v1/conversations", json={}).json()["id"]
    assert_error(
        alice.put(f"/v1/conversations/{other}/turns/{tid}/feedback", json={"rating": "up"}), 404
    )
    feedback = f"/v1/conversations/{cid}/turns/{tid}/feedback"
    for body in (
        {"comment": "x" * 2001},
        {"right_text": "x" * 4001},
        {"right_answer": "x" * 501},
        {"comment": "nul\x00"},
        {"rating": "sideways"},
        {},
        {"right_chunk_id": 2**63},
        {"right_chunk_id": 1, "right_text": "both"},
        {"not_in_documents": True, "right_answer": "42"},
    ):
        assert_error(alice.put(feedback, json=body), 422, "invalid_request")
    assert_error(alice.put(feedback, json={"right_chunk_id": 999999}), 400, "bad_request")
    for title in ("x" * 201, "   ", "a\x00b", "a\nb"):
        assert_error(alice.patch(f"/v1/conversations/{cid}", json={"title": title}), 422)
    for params in ({"q": "x" * 201}, {"q": "\x00"}, {"limit": 0}, {"limit": 101}, {"offset": -1}):
        assert_error(alice.get("/v1/conversations", params=params), 422)
    for since in ("yesterday", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"):
        assert_error(alice.get("/v1/feedback", params={"since": since}), 422)
    for ref in ("0" * 33, "NEW", "../x", 12):
        assert_error(alice.post("/v1/ask", json={"question": "q", "conversation_id": ref}), 422)
    assert alice.get(f"/v1/conversations/{cid}").json()["conversation"]["turns"] == 1


def test_concurrent_asks_append_to_one_conversation(alice, corpus):
    cid = alice.post("/v1/conversations", json={}).json()["id"]
    questions = [f"屋台はいくつ並びますか？ ({n})" for n in range(6)]
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda q: ask(alice, q, cid), questions))
    assert len({a["turn_id"] for a in answers}) == 6
    detail = alice.get(f"/v1/conversations/{cid}").json()
    assert sorted(t["question"] for t in detail["turns"]) == sorted(questions)
    assert detail["conversation"]["title"] in questions


def test_a_deleted_document_leaves_its_citations_readable(alice, corpus):
    saved = ask(alice, "How much do rental bikes cost?")
    cited = [c for c in saved["citations"] if c["document_id"] == corpus["bikes.txt"]]
    assert cited, saved
    assert alice.delete(f"/v1/documents/{corpus['bikes.txt']}").status_code == 204
    turn = alice.get(f"/v1/conversations/{saved['conversation_id']}").json()["turns"][0]
    assert cited[0]["chunk_id"] in turn["sources_gone"]
    assert turn["response"]["citations"] == saved["citations"]  # text kept as it was


def kotae(server, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", *args],
        cwd=ROOT,
        env={**os.environ, "KOTAE_DATA_DIR": str(server.data_dir)},
        capture_output=True,
        text=True,
        timeout=600,
    )


def give(client: httpx.Client, answer: dict, **feedback) -> dict:
    url = f"/v1/conversations/{answer['conversation_id']}/turns/{answer['turn_id']}/feedback"
    response = client.put(url, json=feedback)
    assert response.status_code == 200, response.text
    return response.json()


def test_feedback_is_exported_and_scored_by_kotae_eval(server, alice, bob, corpus, tmp_path):
    fireworks = ask(alice, "花火は何発打ち上げられますか？")
    library = ask(bob, "When did the Riverside Library open?")
    tower = ask(alice, "東京タワーの高さは何メートルですか？")
    stalls = ask(alice, "屋台はいくつ並びますか？")
    chosen = next(p for p in fireworks["passages"] if "3200" in p["text"])
    saved = give(alice, fireworks, rating="down", right_chunk_id=chosen["chunk_id"])
    assert saved["feedback"]["exportable"] and saved["response"] == fireworks
    # Changed: saving again replaces it.
    give(alice, fireworks, rating="up", right_chunk_id=chosen["chunk_id"], right_answer="3200")
    give(bob, library, rating="up", right_text="The Riverside Library opened in 1987")
    give(alice, tower, rating="up", not_in_documents=True)
    skipped = give(alice, stalls, rating="down", comment="the count is wrong")
    assert not skipped["feedback"]["exportable"]
    listed = alice.get("/v1/feedback", params={"collection": "town"}).json()
    assert listed["total"] == 3  # bob's is bob's
    assert [t["id"] for t in listed["feedback"]] == [
        stalls["turn_id"],
        tower["turn_id"],
        fireworks["turn_id"],
    ]
    assert listed["feedback"][2]["feedback"]["right_answer"] == "3200"

    out = tmp_path / "feedback.jsonl"
    exported = kotae(server, "feedback", "export", "--collection", "town", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert "exported 3 questions (2 with evidence, 1 unanswerable)" in exported.stderr
    assert "skipped 1: 1 thumbs down without a right passage or answer" in exported.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["q"] for r in rows] == [
        "花火は何発打ち上げられますか？",
        "When did the Riverside Library open?",
        "東京タワーの高さは何メートルですか？",
    ]
    assert rows[0]["answer_any"] == ["3200"] and rows[0]["source"] == "matsuri.txt"
    assert any("3200" in e for e in rows[0]["evidence"])
    assert rows[1]["evidence"] == ["The Riverside Library opened in 1987"]
    assert set(rows[1]) == {"id", "q", "answer_any", "evidence", "source"}
    assert set(rows[2]) == {"id", "q", "answerable"} and rows[2]["answerable"] is False

    scored = kotae(server, "eval", str(out), "--collection", "town", "--json")
    assert scored.returncode == 0, scored.stderr
    summary = json.loads(scored.stdout)
    assert summary["questions"] == 3
    assert summary["recall@5"] == 1.0 and summary["mrr@5"] > 0
    assert summary["answers"]["fact_in_answer"] == 1.0
    assert tower["abstained"] and summary["answers"]["abstained_when_unanswerable"] == 1.0

    later = kotae(server, "feedback", "export", "--since", "2999-01-01")
    assert later.returncode == 0 and later.stdout == ""
    assert "exported 0 questions" in later.stderr
    bad = kotae(server, "feedback", "export", "--since", "yesterday")
    assert bad.returncode == 2 and "yesterday" in bad.stderr
    nowhere = kotae(server, "feedback", "export", "--out", str(tmp_path / "no" / "x.jsonl"))
    assert nowhere.returncode == 2 and "cannot write" in nowhere.stderr
