"""The serving policy for originals and the signed links, without a server (fast)."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.api.file_links import LINK_TTL_S, signed_file_url, valid_file_link
from app.api.originals import original_response
from ingest.names import BadFileName, upload_source
from retriever.records import DocumentInfo

pytestmark = pytest.mark.unit


def document(mime: str, source: str, content_hash: str) -> DocumentInfo:
    now = datetime.now(UTC)
    return DocumentInfo(1, "c", source, "t", mime, content_hash, 1, 1, "ready", None, 1, now, now)


@pytest.mark.parametrize(
    ("mime", "data", "content_type", "disposition"),
    [
        ("application/pdf", b"%PDF-1.4", "application/pdf", "inline"),
        ("text/plain", "猫".encode(), "text/plain; charset=utf-8", "inline"),
        ("text/markdown", b"# x", "text/plain; charset=utf-8", "inline"),
        ("text/html", b"<p>x</p>", "text/html; charset=utf-8", "inline"),
        ("image/svg+xml", b"<svg onload=alert(1)>", "application/octet-stream", "attachment"),
        ("application/xml", b"<x/>", "application/octet-stream", "attachment"),
        ("application/xhtml+xml", b"<html/>", "application/octet-stream", "attachment"),
        ("text/javascript", b"alert(1)", "application/octet-stream", "attachment"),
        ("", b"<script>alert(1)</script>", "application/octet-stream", "attachment"),
        ("text/plain", b"\x00\x01\x02binary", "application/octet-stream", "attachment"),
        (
            "text/plain",
            "Москва — столица России, крупнейший город страны.".encode("cp1251"),
            "text/plain; charset=windows-1251",
            "inline",
        ),
    ],
)
def test_every_original_is_sandboxed(
    tmp_path: Path, mime: str, data: bytes, content_type: str, disposition: str
) -> None:
    path = tmp_path / "original"
    path.write_bytes(data)
    response = original_response(document(mime, "/x/name.ext", f"{mime}-{data!r}"), path)
    headers = response.headers
    assert headers["content-type"] == content_type
    assert headers["content-disposition"].startswith(disposition)
    assert headers["content-security-policy"].startswith("sandbox;")
    assert "allow-" not in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


def test_signed_links() -> None:
    keys = ["k1", "鍵"]
    url, expires = signed_file_url(keys, 7, now=1000.0)
    path, query = url.split("?")
    assert expires == 1000 + LINK_TTL_S
    assert valid_file_link(keys, path, query.encode(), now=1000.0)
    assert valid_file_link(["鍵", "k1"], path, query.encode(), now=1000.0)  # order is irrelevant
    assert not valid_file_link(["k1"], path, query.encode(), now=1000.0)  # keys changed
    assert not valid_file_link(keys, path, query.encode(), now=expires + 1.0)
    assert not valid_file_link(keys, "/v1/documents/8/file", query.encode(), now=1000.0)
    assert not valid_file_link(keys, path, (query + "&expires=1").encode(), now=1000.0)
    assert not valid_file_link([], path, query.encode(), now=1000.0)
    assert signed_file_url([], 7, now=1000.0)[0] == "/v1/documents/7/file"


@pytest.mark.parametrize("name", ["a\x00b.txt", "a\nb.txt", "dir\x1b/x.txt", "x" * 256])
def test_bad_file_names(name: str) -> None:
    with pytest.raises(BadFileName):
        upload_source(name)


def test_good_file_names() -> None:
    assert upload_source("議事録 2024年（最終版）.pdf") == "議事録 2024年（最終版）.pdf"
    assert upload_source("docs/a/readme.md") == "docs/a/readme.md"
    assert upload_source("x" * 255) == "x" * 255
