"""Keys, open paths, security headers and how originals are served, on a real `kotae serve`."""

import time
from pathlib import Path

import httpx
import pytest

from app.api.file_links import LINK_TTL_S, signature
from tests.app.test_api_contract import wait_job
from tests.ui.ui_support import write_pdf

pytestmark = pytest.mark.integration

KEY = "clé-secrète-鍵"  # non-ASCII: sent as UTF-8 bytes, as every client library does
OTHER_KEY = "plain-ascii-key"
KEYS = [OTHER_KEY, KEY]
AUTH = {"Authorization": b"Bearer " + KEY.encode("utf-8")}

EVIL_HTML = b"""<!doctype html><html><head><title>Evil</title></head><body>
<h1>Harmless heading</h1><p>The lighthouse cat is named Biscuit.</p>
<script>fetch("/v1/documents").then(r => r.text()).then(t => document.title = t)</script>
<img src="x" onerror="document.title = 'ran'">
</body></html>"""
EVIL_SVG = b"""<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script>
</svg>"""
SJIS_TEXT = "港町の灯台は明治二十年に建てられました。灯台守の猫はビスケットという名前です。\n"
EUC_TEXT = "川辺の図書館には古い地図がたくさん保管されています。閲覧は予約制です。\n"
SJIS_HTML = (
    '<html><head><meta charset="Shift_JIS"><title>灯台</title></head>'
    "<body><p>灯台の光は二十キロ先まで届きます。見学は毎週土曜日です。</p></body></html>"
)


@pytest.fixture(scope="module")
def server(serve, tmp_path_factory):
    return serve(tmp_path_factory.mktemp("security"), KOTAE_API_KEYS=",".join(KEYS))


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.base_url, headers=AUTH, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def originals(client, tmp_path_factory) -> dict[str, int]:
    """Document ids by file name: HTML with scripts, SVG posing as PDF, a PDF, texts."""
    pdf = tmp_path_factory.mktemp("pdf") / "guide.pdf"
    write_pdf(pdf, [["Lighthouse guide", "Open on Saturdays."]], "Lighthouse guide")
    files = {
        "evil.html": EVIL_HTML,
        "drawing.pdf": EVIL_SVG,  # not a PDF: a failed document, its original still stored
        "guide.pdf": pdf.read_bytes(),
        "notes.txt": b"Plain notes: the ferry leaves at 7 am.\n",
        "readme.md": b"# Readme\n\nThe ferry returns at 6 pm.\n",
        "sjis.txt": SJIS_TEXT.encode("cp932"),
        "euc.txt": EUC_TEXT.encode("euc_jp"),
        "sjis.html": SJIS_HTML.encode("cp932"),
    }
    upload = [("files", (name, data)) for name, data in files.items()]
    response = client.post("/v1/documents", files=upload, data={"collection": "sec"})
    assert response.status_code == 202, response.text
    wait_job(client, response.json()["job_id"])
    docs = client.get("/v1/documents", params={"collection": "sec"}).json()["documents"]
    ids = {Path(d["source"]).name: d["id"] for d in docs}
    assert set(ids) == set(files), docs
    return ids


def assert_sandboxed(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    policy = response.headers["content-security-policy"]
    assert policy.split(";")[0].strip() == "sandbox"  # no allow-scripts, no allow-same-origin
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"


def test_html_original_is_shown_without_scripts(client, originals):
    response = client.get(f"/v1/documents/{originals['evil.html']}/file")
    assert_sandboxed(response)
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-disposition"].startswith("inline")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert response.content == EVIL_HTML


def test_svg_and_unknown_originals_are_downloads(client, originals):
    response = client.get(f"/v1/documents/{originals['drawing.pdf']}/file")
    assert_sandboxed(response)
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.content == EVIL_SVG


def test_pdf_and_text_originals_stay_inline(client, originals):
    pdf = client.get(f"/v1/documents/{originals['guide.pdf']}/file")
    assert_sandboxed(pdf)
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("inline")
    assert pdf.content.startswith(b"%PDF")
    for name in ("notes.txt", "readme.md"):
        text = client.get(f"/v1/documents/{originals[name]}/file")
        assert_sandboxed(text)
        assert text.headers["content-type"] == "text/plain; charset=utf-8"
        assert text.headers["content-disposition"].startswith("inline")


def test_japanese_originals_carry_their_charset(client, originals):
    expected = {
        "sjis.txt": ("text/plain; charset=shift_jis", SJIS_TEXT, "cp932"),
        "euc.txt": ("text/plain; charset=euc-jp", EUC_TEXT, "euc_jp"),
        "sjis.html": ("text/html; charset=shift_jis", SJIS_HTML, "cp932"),
    }
    for name, (content_type, text, codec) in expected.items():
        response = client.get(f"/v1/documents/{originals[name]}/file")
        assert response.headers["content-type"] == content_type, name
        assert response.content == text.encode(codec)  # the original bytes, not re-encoded
        assert response.text == text  # decoded by the charset the header names


def test_signed_link_opens_the_original_without_a_key(client, server, originals):
    doc_id = originals["evil.html"]
    link = client.post(f"/v1/documents/{doc_id}/link").json()
    assert link["url"].startswith(f"/v1/documents/{doc_id}/file?expires=")
    opened = httpx.get(server.base_url + link["url"])
    assert_sandboxed(opened)
    assert opened.content == EVIL_HTML
    # The link is for that file only: no other document, no other path, no tampering.
    other = link["url"].replace(f"/{doc_id}/", f"/{originals['notes.txt']}/")
    assert httpx.get(server.base_url + other).status_code == 401
    query = link["url"].split("?", 1)[1]
    assert httpx.get(f"{server.base_url}/v1/documents/{doc_id}?{query}").status_code == 401
    assert httpx.get(f"{server.base_url}/v1/documents?{query}").status_code == 401
    tampered = link["url"][:-1] + ("0" if link["url"][-1] != "0" else "1")
    assert httpx.get(server.base_url + tampered).status_code == 401
    assert httpx.delete(server.base_url + link["url"]).status_code == 401


def test_signed_links_expire(server, originals):
    doc_id, now = originals["notes.txt"], int(time.time())
    for expires in (now - 1, now + LINK_TTL_S + 60):  # past, or beyond what the server signs
        sig = signature(KEYS, doc_id, expires)
        url = f"{server.base_url}/v1/documents/{doc_id}/file?expires={expires}&signature={sig}"
        assert httpx.get(url).status_code == 401
    sig = signature(KEYS, doc_id, now + 60)
    url = f"{server.base_url}/v1/documents/{doc_id}/file?expires={now + 60}&signature={sig}"
    assert httpx.get(url).status_code == 200
    assert httpx.get(url.replace("expires=", "expires=%C2%B2")).status_code == 401


def test_link_to_unknown_document_is_404(client):
    assert client.post("/v1/documents/987654321/link").status_code == 404


def test_open_paths_are_exact(server):
    base = server.base_url
    for path in ("/", "/healthz", "/readyz", "/docs", "/redoc", "/openapi.json"):
        assert httpx.get(base + path).status_code == 200, path
    assert httpx.get(base + "/static/style.css").status_code == 200
    for path in ("/healthzX", "/healthz/", "/readyz/x", "/docsX", "/openapi.jsonx", "/metrics"):
        response = httpx.get(base + path)
        assert response.status_code == 401, path
        assert response.json()["error"]["type"] == "unauthorized"


def test_metrics_need_the_key(server):
    response = httpx.get(f"{server.base_url}/metrics", headers=AUTH)
    assert response.status_code == 200
    assert "kotae_http_requests_total" in response.text


def test_non_ascii_key_matches_as_utf8_bytes(server):
    url = f"{server.base_url}/v1/documents"
    assert httpx.get(url, headers=AUTH).status_code == 200
    assert httpx.get(url, headers={"X-API-Key": KEY.encode("utf-8")}).status_code == 200
    assert httpx.get(url, headers={"X-API-Key": OTHER_KEY}).status_code == 200
    latin1 = "clé-secrète".encode("latin-1")  # the same characters, other bytes: not the key
    assert httpx.get(url, headers={"X-API-Key": latin1}).status_code == 401
    truncated = b"Bearer " + KEY.encode("utf-8")[:-1]
    assert httpx.get(url, headers={"Authorization": truncated}).status_code == 401


def test_security_headers_everywhere(server):
    base = server.base_url
    page = httpx.get(base + "/")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    for response in (page, httpx.get(base + "/v1/documents"), httpx.get(base + "/healthz")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
