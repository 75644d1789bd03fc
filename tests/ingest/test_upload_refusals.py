"""Through a real server: hostile and mislabelled uploads fail per file with a reason, and a zip
bomb leaves the server's memory alone."""

from pathlib import Path

import httpx
import pytest

from tests.conftest import wait_job
from tests.ingest import archives

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MAX_TEXT_CHARS = 20_000
MEMORY_BOUND_MB = 300
HTML = b"<!DOCTYPE html><html><body><p>Not a PDF at all.</p></body></html>"


def upload(client: httpx.Client, files: list[tuple[str, bytes]]) -> dict[str, dict]:
    response = client.post("/v1/documents", files=[("files", (name, data)) for name, data in files])
    assert response.status_code == 202, response.text
    job = wait_job(client, response.json()["job_id"])
    return {f["name"]: f for f in job["files"]}


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


@pytest.fixture(scope="module")
def server(serve, tmp_path_factory):  # type: ignore[no-untyped-def]
    return serve(tmp_path_factory.mktemp("refusals"), KOTAE_MAX_TEXT_CHARS=str(MAX_TEXT_CHARS))


@pytest.fixture(scope="module")
def client(server):  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=server.base_url, timeout=60) as c:
        yield c


def test_zip_bombs_fail_with_their_reason_in_bounded_memory(server, client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A first file loads the model, so that the peak measured after it is the bombs' alone.
    warm = upload(client, [("warm.docx", archives.word_document(core_title=None))])
    assert warm["warm.docx"]["status"] == "added"
    before = peak_rss_mb(server.process.pid)
    files = upload(
        client,
        [
            ("bomb.docx", archives.docx_bomb(tmp_path / "bomb.docx").read_bytes()),
            ("many.docx", archives.many_entries(10_000)),
            ("nested.docx", archives.nested_zip()),
            ("padded.docx", archives.high_ratio()),
        ],
    )
    assert {name: (f["status"], f["error"]) for name, f in files.items()} == {
        "bomb.docx": ("failed", "DOCX refused: word/document.xml decompresses to over 200 MB"),
        "many.docx": ("failed", "DOCX refused: over 5000 entries in the archive"),
        "nested.docx": ("failed", "DOCX refused: word/media/inner.zip is a nested archive"),
        "padded.docx": (
            "failed",
            "DOCX refused: customXml/padding.xml expands over 100 times (a zip bomb?)",
        ),
    }
    assert peak_rss_mb(server.process.pid) - before < MEMORY_BOUND_MB
    assert client.get("/healthz").status_code == 200


def test_mislabelled_untitled_and_oversized_files(client) -> None:  # type: ignore[no-untyped-def]
    long_text = ("検索拡張生成の説明文です。" * 2000).encode()  # 26,000 characters
    files = upload(
        client,
        [
            ("page.pdf", HTML),
            ("untitled.docx", archives.word_document("第一章はじめに", core_title=None)),
            ("long.txt", long_text),
            # 6,000 characters that NFKC turns into 24,000 (㍿ → 株式会社): checked once normalized
            ("squares.txt", ("㍿" * 6000).encode()),
        ],
    )
    assert files["page.pdf"]["status"] == "failed"
    assert files["page.pdf"]["error"] == (
        'not a PDF: the file starts with "<!DOCTYPE html><html><bo…", which looks like HTML'
    )
    assert files["long.txt"]["status"] == "failed"
    assert files["long.txt"]["error"] == (
        "text file refused: its text is over the limit of 20,000 characters"
    )
    assert files["squares.txt"]["status"] == "failed"
    assert files["squares.txt"]["error"] == files["long.txt"]["error"]
    document = client.get(f"/v1/documents/{files['untitled.docx']['document_id']}").json()
    assert document["title"] == "第一章はじめに"  # not python-docx's "Word Document"
