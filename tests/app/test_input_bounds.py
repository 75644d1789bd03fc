"""Ids, names and message sizes are bounded before the database sees them: 4xx, never a 500.

Run on a real SQLite file and on a real PostgreSQL (KOTAE_TEST_DATABASE_URL), where NUL
characters and over-long names fail differently.
"""

import httpx
import pytest

from tests.app.test_api_contract import wait_job
from tests.conftest import create_postgres_database

pytestmark = pytest.mark.integration

TOO_BIG = 2**63
BIGGEST = 2**63 - 1


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def client(request, serve, tmp_path_factory):
    data = tmp_path_factory.mktemp(f"bounds-{request.param}")
    url = f"sqlite:///{data / 'kotae.db'}" if request.param == "sqlite" else None
    server = serve(data, KOTAE_DATABASE_URL=url or create_postgres_database(), KOTAE_API_KEYS="")
    with httpx.Client(base_url=server.base_url, timeout=60) as c:
        files = [("files", ("ferry.txt", b"The ferry leaves at 7 am and returns at 6 pm.\n"))]
        job = c.post("/v1/documents", files=files, data={"collection": "port"}).json()
        assert wait_job(c, job["job_id"])["status"] == "done"
        yield c


def assert_refused(response: httpx.Response, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    message = response.json()["error"]["message"]
    assert all(w in message for w in words), message


def multipart(filename: bytes, collection: bytes = b"port") -> tuple[bytes, dict[str, str]]:
    """A hand-built upload, so the file name's bytes reach the server exactly as given."""
    body = (
        b'--b\r\nContent-Disposition: form-data; name="collection"\r\n\r\n'
        + collection
        + b'\r\n--b\r\nContent-Disposition: form-data; name="files"; filename="'
        + filename
        + b'"\r\nContent-Type: text/plain\r\n\r\nsome text\r\n--b--\r\n'
    )
    return body, {"Content-Type": "multipart/form-data; boundary=b"}


def test_ids_beyond_64_bits(client):
    calls = (("GET", ""), ("GET", "/file"), ("GET", "/chunks"), ("DELETE", ""), ("POST", "/link"))
    for method, suffix in calls:
        refused = client.request(method, f"/v1/documents/{TOO_BIG}{suffix}")
        assert_refused(refused, 422, "document_id")
        assert client.request(method, f"/v1/documents/{BIGGEST}{suffix}").status_code == 404
        assert_refused(client.request(method, f"/v1/documents/0{suffix}"), 422)
    search = client.post("/v1/search", json={"query": "ferry", "document_ids": [TOO_BIG]})
    assert_refused(search, 422, "document_ids")
    fine = client.post("/v1/search", json={"query": "ferry", "document_ids": [BIGGEST]})
    assert fine.status_code == 200 and fine.json() == {"hits": []}


@pytest.mark.parametrize("name", ["a\x00b", "tab\there", "x" * 201, ""])
def test_bad_collection_names_everywhere(client, name):
    assert_refused(client.post("/v1/ask", json={"question": "ferry?", "collection": name}), 422)
    assert_refused(client.post("/v1/search", json={"query": "ferry", "collection": name}), 422)
    assert_refused(client.get("/v1/documents", params={"collection": name}), 422)
    chat = {"messages": [{"role": "user", "content": "ferry?"}], "collection": name}
    assert_refused(client.post("/v1/chat/completions", json=chat), 422)
    if name:  # an empty form field counts as not sent: the upload goes to "default"
        body, headers = multipart(b"ok.txt", name.encode())
        assert_refused(client.post("/v1/documents", content=body, headers=headers), 422)
    collections = {d["collection"] for d in client.get("/v1/documents").json()["documents"]}
    assert name not in collections


def test_longest_collection_name_works(client):
    name = "長" * 200
    body, headers = multipart(b"long.txt", name.encode())
    upload = client.post("/v1/documents", content=body, headers=headers)
    assert upload.status_code == 202, upload.text
    assert wait_job(client, upload.json()["job_id"])["status"] == "done"
    listed = client.get("/v1/documents", params={"collection": name}).json()["documents"]
    assert [d["source"] for d in listed] == ["long.txt"]


@pytest.mark.parametrize(
    "filename", [b"nul\x00.txt", b"bell\x07.txt", "c1\u0085.txt".encode(), b"a" * 252 + b".txt"]
)
def test_bad_file_names(client, filename):
    before = client.get("/v1/documents").json()
    body, headers = multipart(filename)
    assert_refused(client.post("/v1/documents", content=body, headers=headers), 400, "file name")
    assert client.get("/v1/documents").json() == before


def test_chat_has_the_limits_of_ask(client):
    def chat(messages):
        return client.post("/v1/chat/completions", json={"messages": messages})

    assert_refused(chat([{"role": "user", "content": "x" * 900_000}]), 422, "4000")
    assert_refused(chat([{"role": "user", "content": "x" * 4001}]), 422, "4000")
    turns = [{"role": ("user", "assistant")[i % 2], "content": "hi"} for i in range(98)]
    assert_refused(chat([*turns, {"role": "user", "content": "ferry?"}]), 422, "50")
    long_turn = [{"role": "assistant", "content": "x" * 20_001}]
    assert_refused(chat([*long_turn, {"role": "user", "content": "ferry?"}]), 422, "20000")
    allowed = [*turns[:50], {"role": "user", "content": "When does the ferry leave?"}]
    assert chat(allowed).status_code == 200
