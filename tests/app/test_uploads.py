"""Uploads through a real `kotae serve` (SQLite and PostgreSQL): identity, duplicates, originals.

Distinct files stay distinct documents, the same content is stored once and said so, a
deleted document's original leaves the disk, and unused originals are swept.
"""

import hashlib
import os
import time

import httpx
import pytest

from ingest.blobs import BlobStore
from ingest.names import BadFileName, upload_source
from tests.conftest import create_postgres_database, start_server, stop_server, wait_job

pytestmark = pytest.mark.integration

MAX_FILE = 200_000
OLD = time.time() - 2 * 3600
ORPHAN_OLD = b"an upload whose job never came"
ORPHAN_FRESH = b"an upload being queued right now"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory):
    env = {"KOTAE_MAX_FILE_BYTES": str(MAX_FILE), "OMP_NUM_THREADS": "1"}
    if request.param == "postgresql":
        env["KOTAE_DATABASE_URL"] = create_postgres_database()
    data_dir = tmp_path_factory.mktemp(f"uploads-{request.param}")
    # Left-overs of an earlier run: the worker sweeps the old one at start-up.
    blobs = BlobStore(data_dir / "blobs")
    old = blobs.path(blobs.put(ORPHAN_OLD))
    os.utime(old, (OLD, OLD))
    blobs.put(ORPHAN_FRESH)
    started = start_server(data_dir, env)
    started.blobs = blobs  # type: ignore[attr-defined]
    yield started
    stop_server(started)


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.base_url, timeout=60) as c:
        yield c


def upload(client: httpx.Client, files: list[tuple[str, bytes]], collection: str) -> httpx.Response:
    parts = [("files", (name, data, "text/plain")) for name, data in files]
    return client.post("/v1/documents", files=parts, data={"collection": collection})


def ingest(client: httpx.Client, files: list[tuple[str, bytes]], collection: str) -> dict:
    response = upload(client, files, collection)
    assert response.status_code == 202, response.text
    return wait_job(client, response.json()["job_id"])


def documents(client: httpx.Client, collection: str) -> dict[str, dict]:
    listed = client.get("/v1/documents", params={"collection": collection}).json()["documents"]
    return {d["source"]: d for d in listed}


def test_same_base_name_in_two_folders_is_two_documents(client):
    a, b = b"Folder A: the ferry leaves at seven.", b"Folder B: the bus leaves at nine."
    job = ingest(client, [("docs/a/readme.md", a), ("docs/b/readme.md", b)], "folders")
    assert job["status"] == "done", job
    assert [(f["name"], f["status"]) for f in job["files"]] == [
        ("docs/a/readme.md", "added"),
        ("docs/b/readme.md", "added"),
    ]
    docs = documents(client, "folders")
    assert set(docs) == {"docs/a/readme.md", "docs/b/readme.md"}
    assert client.get(f"/v1/documents/{docs['docs/a/readme.md']['id']}/file").content == a
    assert client.get(f"/v1/documents/{docs['docs/b/readme.md']['id']}/file").content == b
    # The same path again is that document, updated, not a third one.
    again = ingest(client, [("docs/a/readme.md", a + b" And at eight.")], "folders")
    assert again["files"][0]["status"] == "updated"
    assert again["files"][0]["document_id"] == docs["docs/a/readme.md"]["id"]
    assert len(documents(client, "folders")) == 2


def test_names_that_would_collide_are_refused_and_lose_nothing(client):
    ingest(client, [("kept.txt", b"Stored before the bad uploads.")], "names")
    before = documents(client, "names")
    for files in (
        [("../x.txt", b"one"), ("x.txt", b"two")],  # '..' is refused, never dropped
        [("/y.txt", b"one"), ("y.txt", b"two")],  # the same name once made safe
        [("z.txt", b"one"), ("z.txt", b"two")],
    ):
        response = upload(client, files, "names")
        assert response.status_code == 400, (files, response.text)
        assert response.json()["error"]["type"] == "bad_request"
        assert response.json()["error"]["message"]
    # httpx escapes control characters in file names; a hostile client does not.
    raw = (
        b'--B\r\nContent-Disposition: form-data; name="files"; filename="bad\x01name.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\ncontrol character\r\n--B--\r\n"
    )
    response = client.post(
        "/v1/documents", content=raw, headers={"Content-Type": "multipart/form-data; boundary=B"}
    )
    assert response.status_code == 400, response.text
    assert "control" in response.json()["error"]["message"]
    assert documents(client, "names") == before


def test_same_content_under_two_names_is_one_document_and_says_so(client):
    text = b"The library opens at nine and closes at eight."
    first = ingest(client, [("library.txt", text)], "dupes")
    doc_id = first["files"][0]["document_id"]
    second = ingest(client, [("copy of library.txt", text)], "dupes")
    assert second["status"] == "done"
    dup = second["files"][0]
    assert dup["status"] == "duplicate" and dup["document_id"] == doc_id
    assert f"document {doc_id} (library.txt)" in dup["error"]
    # Within one upload too: the first copy is added, the second names it.
    both = ingest(
        client,
        [("c1.txt", b"New text about ferries."), ("c2.txt", b"New text about ferries.")],
        "dupes",
    )
    assert [f["status"] for f in both["files"]] == ["added", "duplicate"]
    assert both["files"][1]["document_id"] == both["files"][0]["document_id"]
    assert set(documents(client, "dupes")) == {"library.txt", "c1.txt"}


def test_limits_under_a_megabyte_read_humanly(client):
    response = upload(client, [("big.txt", b"a" * (MAX_FILE + 1))], "limits")
    assert response.status_code == 413
    assert "195.3 KB" in response.json()["error"]["message"]


def test_a_job_with_no_file_ingested_is_failed(client):
    only_bad = ingest(
        client, [("broken.pdf", b"<html>not a pdf</html>"), ("picture.png", b"\x89PNG")], "jobs"
    )
    assert only_bad["status"] == "failed"
    assert only_bad["error"] == "none of the 2 files could be ingested"
    partial = ingest(
        client, [("broken.pdf", b"<html>still not</html>"), ("ok.txt", b"A fine text.")], "jobs"
    )
    assert partial["status"] == "done" and partial["error"] == "1 of 2 files failed"


def test_delete_removes_the_original(client, server):
    job = ingest(client, [("secret.txt", b"A file the user wants gone for good.")], "delete")
    doc = client.get(f"/v1/documents/{job['files'][0]['document_id']}").json()
    blob = server.blobs.path(doc["content_hash"])
    assert blob.is_file()
    assert client.delete(f"/v1/documents/{doc['id']}").status_code == 204
    assert not blob.exists()


def test_an_original_two_documents_share_stays_until_the_last_goes(client, server):
    text = b"One text filed in two collections."
    one = ingest(client, [("shared.txt", text)], "share-1")["files"][0]["document_id"]
    two = ingest(client, [("shared.txt", text)], "share-2")["files"][0]["document_id"]
    blob = server.blobs.path(client.get(f"/v1/documents/{one}").json()["content_hash"])
    assert client.delete(f"/v1/documents/{one}").status_code == 204
    assert blob.is_file()
    assert client.get(f"/v1/documents/{two}/file").content == text
    assert client.delete(f"/v1/documents/{two}").status_code == 204
    assert not blob.exists()


def test_unused_originals_are_swept_when_old(server):
    blobs = server.blobs
    deadline = time.monotonic() + 30  # the sweep runs as the worker starts
    while blobs.exists(_digest(ORPHAN_OLD)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not blobs.exists(_digest(ORPHAN_OLD))
    assert blobs.exists(_digest(ORPHAN_FRESH))


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.unit
@pytest.mark.parametrize(
    ("given", "source"),
    [
        ("docs/a/readme.md", "docs/a/readme.md"),
        ("docs\\b\\readme.md", "docs/b/readme.md"),
        ("/x.txt", "x.txt"),
        ("C:\\Users\\x.txt", "Users/x.txt"),
        ("./a//b.txt", "a/b.txt"),
        ("資料/会議.txt", "資料/会議.txt"),
    ],
)
def test_upload_names_keep_folders_safely(given, source):
    assert upload_source(given) == source


@pytest.mark.unit
@pytest.mark.parametrize(
    "given",
    ["", "/", "../x.txt", "a/../b.txt", "C:..\\x", "a\x00b", "a\nb", "a\u202eb.txt", "x" * 300],
)
def test_upload_names_that_are_refused(given):
    with pytest.raises(BadFileName):
        upload_source(given)
