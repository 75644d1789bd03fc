"""Contract tests for every endpoint, against a real `kotae serve` on loopback (extractive mode)."""

import json

import httpx
import pytest

from tests.app.sample_docs import FESTIVAL_JA, LIBRARY_EN
from tests.conftest import sse_events, wait_job

pytestmark = pytest.mark.integration

KEY = "test-key-123"
AUTH = {"Authorization": f"Bearer {KEY}"}
MAX_FILE = 200_000


@pytest.fixture(scope="module")
def server(serve, tmp_path_factory):
    return serve(
        tmp_path_factory.mktemp("api"),
        KOTAE_API_KEYS=f"other-key,{KEY}",
        KOTAE_MAX_FILE_BYTES=str(MAX_FILE),
        KOTAE_MAX_REQUEST_BYTES="20000",
    )


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.base_url, headers=AUTH, timeout=60) as c:
        yield c


def assert_envelope(response: httpx.Response, status: int, type_: str | None = None) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"]
    if type_:
        assert error["type"] == type_


@pytest.fixture(scope="module")
def uploaded(client):
    files = [
        ("files", ("matsuri.txt", FESTIVAL_JA.encode("shift_jis"), "text/plain")),
        ("files", ("library.md", LIBRARY_EN.encode(), "text/markdown")),
        ("files", ("picture.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "image/png")),
    ]
    response = client.post("/v1/documents", files=files, data={"collection": "town"})
    assert response.status_code == 202, response.text
    body = response.json()
    assert [d["name"] for d in body["documents"]] == ["matsuri.txt", "library.md", "picture.png"]
    return wait_job(client, body["job_id"])


def test_health_and_ready_are_open_metrics_need_the_key(server):
    assert httpx.get(f"{server.base_url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{server.base_url}/readyz").status_code == 200
    assert httpx.get(f"{server.base_url}/metrics").status_code == 401
    metrics = httpx.get(f"{server.base_url}/metrics", headers=AUTH)
    assert "kotae_http_requests_total" in metrics.text


def test_api_key_required(server):
    assert_envelope(httpx.post(f"{server.base_url}/v1/search", json={"query": "x"}), 401)
    wrong = httpx.post(
        f"{server.base_url}/v1/search",
        json={"query": "x"},
        headers={"Authorization": "Bearer nope"},
    )
    assert_envelope(wrong, 401, "unauthorized")
    ok = httpx.post(
        f"{server.base_url}/v1/search", json={"query": "x"}, headers={"X-API-Key": "other-key"}
    )
    assert ok.status_code == 200


def test_upload_job_reports_each_file(uploaded):
    assert uploaded["status"] == "done"
    by_name = {f["name"]: f for f in uploaded["files"]}
    assert by_name["matsuri.txt"]["status"] == "added" and by_name["matsuri.txt"]["chunks"] >= 1
    assert by_name["library.md"]["status"] == "added"
    assert by_name["picture.png"]["status"] == "skipped"
    assert "png" in by_name["picture.png"]["error"]
    assert uploaded["files_done"] == uploaded["files_total"] == 3


def test_same_file_twice_is_not_duplicated(client, uploaded):
    before = client.get("/v1/documents", params={"collection": "town"}).json()["documents"]
    files = [("files", ("matsuri.txt", FESTIVAL_JA.encode("shift_jis"), "text/plain"))]
    job = wait_job(
        client,
        client.post("/v1/documents", files=files, data={"collection": "town"}).json()["job_id"],
    )
    assert job["files"][0]["status"] == "unchanged"
    after = client.get("/v1/documents", params={"collection": "town"}).json()["documents"]
    assert [(d["id"], d["chunks"]) for d in after] == [(d["id"], d["chunks"]) for d in before]


def test_search_shape_and_filters(client, uploaded):
    hits = client.post("/v1/search", json={"query": "花火 何発", "collection": "town"}).json()[
        "hits"
    ]
    assert hits and "3200" in hits[0]["text"]
    assert set(hits[0]) >= {"chunk_id", "document_id", "source", "title", "page", "text", "score"}
    none = client.post("/v1/search", json={"query": "花火", "collection": "nowhere"}).json()
    assert none == {"hits": []}


def test_ask_json_extractive_with_citation(client, uploaded):
    body = client.post(
        "/v1/ask", json={"question": "花火は何発打ち上げられますか？", "collection": "town"}
    ).json()
    assert body["mode"] == "extractive" and not body["abstained"]
    assert "3200" in body["answer"]
    cited = body["citations"][0]
    assert "3200" in cited["text"][cited["highlight_start"] : cited["highlight_end"]]
    assert cited["page"] == 1 and cited["title"]


def test_ask_stream_sends_tokens_then_final(client, uploaded):
    with client.stream(
        "POST",
        "/v1/ask",
        json={"question": "When did the library open?", "collection": "town", "stream": True},
    ) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        events = sse_events(r.iter_lines())
    assert events[0][0] == "token" and events[-1][0] == "final"
    assert "1987" in events[-1][1]["answer"] and events[-1][1]["citations"]


def test_openai_compatible_chat(client, uploaded):
    body = client.post(
        "/v1/chat/completions",
        json={
            "model": "kotae",
            "collection": "town",
            "messages": [{"role": "user", "content": "How many books does the library hold?"}],
        },
    ).json()
    content = body["choices"][0]["message"]["content"]
    assert "48,000" in content and "Sources:" in content
    chunks = []
    with client.stream(
        "POST",
        "/v1/chat/completions",
        json={
            "model": "kotae",
            "stream": True,
            "collection": "town",
            "messages": [{"role": "user", "content": "屋台はいくつ並びますか？"}],
        },
    ) as r:
        for line in r.iter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                chunks.append(json.loads(line[6:])["choices"][0]["delta"].get("content", ""))
    assert "45" in "".join(chunks)


def test_documents_show_file_delete(client, uploaded):
    doc_id = next(f["document_id"] for f in uploaded["files"] if f["name"] == "library.md")
    doc = client.get(f"/v1/documents/{doc_id}").json()
    assert doc["status"] == "ready" and doc["mime"] == "text/markdown"
    assert client.get(f"/v1/documents/{doc_id}/file").content == LIBRARY_EN.encode()
    listed = client.get(f"/v1/documents/{doc_id}/chunks").json()
    assert listed["total"] == doc["chunks"] == len(listed["chunks"])
    assert "".join(c["text"] for c in listed["chunks"]).count("Riverside") >= 1
    assert [c["char_start"] for c in listed["chunks"]] == sorted(
        c["char_start"] for c in listed["chunks"]
    )
    rest = client.get(f"/v1/documents/{doc_id}/chunks", params={"offset": 1, "limit": 1}).json()
    assert rest["total"] == doc["chunks"] and rest["chunks"] == listed["chunks"][1:2]
    assert_envelope(client.get(f"/v1/documents/{doc_id}/chunks", params={"limit": 101}), 422)
    assert client.delete(f"/v1/documents/{doc_id}").status_code == 204
    assert_envelope(client.get(f"/v1/documents/{doc_id}/chunks"), 404, "not_found")
    assert_envelope(client.get(f"/v1/documents/{doc_id}"), 404, "not_found")
    hits = client.post("/v1/search", json={"query": "Riverside Library books"}).json()["hits"]
    assert all(h["document_id"] != doc_id for h in hits)
    assert_envelope(client.delete(f"/v1/documents/{doc_id}"), 404)


def test_bad_requests_get_the_envelope(client, server):
    bad_json = client.post(
        "/v1/ask", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_envelope(bad_json, 400, "bad_request")
    assert_envelope(client.post("/v1/ask", json={"question": ""}), 422, "invalid_request")
    assert_envelope(client.post("/v1/search", json={"query": "x", "top_k": 0}), 422)
    assert_envelope(client.get("/v1/jobs/does-not-exist"), 404, "not_found")
    assert_envelope(client.get("/v1/documents/999999"), 404, "not_found")
    assert_envelope(client.get("/v1/documents/not-a-number"), 422)
    assert_envelope(
        client.post("/v1/search", json={"query": "x" * 30000}), 413, "payload_too_large"
    )
    assert_envelope(client.get("/v1/nothing-here"), 404)


def test_oversize_and_malformed_uploads(client):
    big = [("files", ("big.txt", b"a" * (MAX_FILE + 1), "text/plain"))]
    assert_envelope(client.post("/v1/documents", files=big), 413, "payload_too_large")
    malformed = client.post(
        "/v1/documents",
        content=b'--xyz\r\nContent-Disposition: form-data; name="files"\r\n\r\nbroken',
        headers={"Content-Type": "multipart/form-data; boundary=xyz"},
    )
    assert 400 <= malformed.status_code < 500
    assert malformed.json()["error"]["message"]
    assert_envelope(client.post("/v1/documents", data={"collection": "x"}), 422)
