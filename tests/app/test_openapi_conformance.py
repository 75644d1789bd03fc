"""The OpenAPI document tells the truth: schemathesis fuzzes a real `kotae serve` (keys on, a
small corpus ingested) and every answer must match what the document declares for it."""

import subprocess
import sys

import httpx
import pytest
import schemathesis
from schemathesis import Response
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import wait_job

pytestmark = [pytest.mark.integration, pytest.mark.slow]

KEY = "conformance-key"
JSON = "application/json"
AUTH = {"Authorization": f"Bearer {KEY}"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,  # the 401's WWW-Authenticate
]
CORPUS = [
    ("library.txt", "The Riverside Library opens at 9 am and holds 48,000 books.\n"),
    ("matsuri.md", "# 夏祭り\n\nみなと町の夏祭りは毎年8月の第一土曜日に開かれます。\n"),
]


@pytest.fixture(scope="module")
def server(serve, tmp_path_factory):
    server = serve(
        tmp_path_factory.mktemp("openapi"),
        KOTAE_API_KEYS=KEY,
        KOTAE_MAX_FILE_BYTES="100000",  # fuzzed uploads stay small jobs
        KOTAE_MAX_REQUEST_BYTES="20000",
    )
    files = [("files", (name, text.encode(), "text/plain")) for name, text in CORPUS]
    with httpx.Client(base_url=server.base_url, headers=AUTH, timeout=60) as client:
        response = client.post("/v1/documents", files=files)
        assert response.status_code == 202, response.text
        job = wait_job(client, response.json()["job_id"], timeout=120)
    assert [f["status"] for f in job["files"]] == ["added", "added"], job
    return server


def run_schemathesis(base_url: str, *options: str, timeout: float = 400) -> None:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        ",".join(c.__name__ for c in CHECKS),
        "--seed",
        "1",  # the same cases each run; a failure's output says how to replay it
        "--workers",
        "1",  # Python 3.11 can fail compiling in several threads at once
        "--no-color",
        *options,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout[-12000:] + result.stderr[-3000:]


def test_fuzzed_requests_get_only_documented_answers(server):
    # Every phase (coverage, fuzzing, stateful: uploads, look-ups, deletes): ~1400 cases, ~45 s.
    run_schemathesis(server.base_url, "--header", f"Authorization: Bearer {KEY}", "-n", "100")


def test_requests_without_a_key_get_documented_401s(server):
    run_schemathesis(server.base_url, "-n", "3", "--phases", "examples,coverage,fuzzing")


@pytest.fixture(scope="module")
def schema(server):
    return schemathesis.openapi.from_url(f"{server.base_url}/openapi.json")


def call_and_check(schema, server, method: str, path: str, **case) -> Response:
    """One explicit request, so these answers are checked however the fuzzing went."""
    operation = schema[path][method]
    made = operation.Case(**case)
    response = made.call(base_url=server.base_url, headers=AUTH)
    made.validate_response(response, checks=CHECKS)
    return response


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("question", ["When does the library open?", "宇宙の年齢は?"])
def test_answers_and_their_streams_match_the_document(schema, server, stream, question):
    ask = call_and_check(
        schema, server, "POST", "/v1/ask", body={"question": question, "stream": stream}
    )
    chat = call_and_check(
        schema,
        server,
        "POST",
        "/v1/chat/completions",
        body={"messages": [{"role": "user", "content": question}], "stream": stream},
    )
    for response in (ask, chat):
        assert response.status_code == 200
        kind = response.headers["content-type"][0].split(";")[0]
        assert kind == ("text/event-stream" if stream else JSON)
    if stream:
        assert "event: final" in ask.text and chat.text.rstrip().endswith("data: [DONE]")


def test_other_answers_match_the_document(schema, server):
    documents = call_and_check(schema, server, "GET", "/v1/documents").json()["documents"]
    for doc in documents:
        original = call_and_check(
            schema,
            server,
            "GET",
            "/v1/documents/{document_id}/file",
            path_parameters={"document_id": doc["id"]},
        )
        assert original.status_code == 200
    missing = call_and_check(
        schema, server, "GET", "/v1/documents/{document_id}", path_parameters={"document_id": 99}
    )
    assert missing.status_code == 404
    huge = call_and_check(
        schema,
        server,
        "GET",
        "/v1/documents/{document_id}",
        path_parameters={"document_id": 2**64},
    )
    assert huge.status_code == 422 and huge.json()["error"]["type"] == "invalid_request"
    search = f"{server.base_url}/v1/search"
    for response, status in [
        (httpx.post(search, content=b"{", headers={**AUTH, "Content-Type": JSON}), 400),
        (httpx.post(search, json={"query": "x" * 30000}, headers=AUTH), 413),
        (httpx.post(search, json={"query": "library"}), 401),
    ]:
        assert response.status_code == status, response.text
        # A raw request, checked against what the document declares for POST /v1/search.
        schema["/v1/search"]["POST"].Case(body={}).validate_response(response, checks=CHECKS)
    assert call_and_check(schema, server, "GET", "/v1/models").json()["data"][0]["id"] == "kotae"
    assert "kotae_http_requests_total" in call_and_check(schema, server, "GET", "/metrics").text


def test_conversation_answers_match_the_document(schema, server):
    one, feedback = "/v1/conversations/{conversation_id}", "/turns/{turn_id}/feedback"
    answer = call_and_check(
        schema, server, "POST", "/v1/ask", body={"question": "When?", "conversation_id": "new"}
    ).json()
    ids = {"conversation_id": answer["conversation_id"]}
    turn = {**ids, "turn_id": answer["turn_id"]}
    ask = {"question": "When?", **ids}
    second = call_and_check(schema, server, "POST", "/v1/ask", body=ask).json()["turn_id"]
    made = call_and_check(schema, server, "POST", "/v1/conversations", body={"title": "t"})
    assert made.status_code == 201
    for method, path, params, body, status in [
        ("GET", "/v1/conversations", {}, None, 200),
        ("GET", one, ids, None, 200),
        ("PATCH", one, ids, {"title": "renamed"}, 200),
        ("GET", one + feedback, turn, None, 404),  # none given yet
        ("PUT", one + feedback, turn, {"rating": "down", "right_chunk_id": 2**40}, 400),
        ("PUT", one + feedback, turn, {"rating": "up", "right_answer": "9 am"}, 200),
        ("GET", one + feedback, turn, None, 200),
        ("GET", "/v1/feedback", {}, None, 200),
        ("DELETE", one + feedback, turn, None, 204),
        ("DELETE", one + feedback, turn, None, 404),
        ("POST", "/v1/ask", {}, {**ask, "replaces_turn_id": answer["turn_id"]}, 409),
        ("POST", "/v1/ask", {}, {**ask, "replaces_turn_id": 2**62}, 404),
        ("POST", "/v1/ask", {}, {"question": "When?", "replaces_turn_id": second}, 400),
        (
            "POST",
            "/v1/chat/completions",
            {},
            {**ids, "replaces_turn_id": second, "messages": [{"role": "user", "content": "When?"}]},
            200,
        ),
        ("DELETE", one, ids, None, 204),
        ("GET", one, ids, None, 404),
        ("GET", one, {"conversation_id": "x" * 40}, None, 422),
    ]:
        case = {"path_parameters": params} | ({"body": body} if body is not None else {})
        response = call_and_check(schema, server, method, path, **case)
        assert response.status_code == status, (method, path, response.text)
