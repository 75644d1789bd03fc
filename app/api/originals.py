"""How an uploaded original is served: never as active content of Kotae's origin.

An original is whatever someone uploaded, so it is untrusted. Every original is sent with
`Content-Security-Policy: sandbox` (an opaque origin: no scripts, no access to the app's
storage or API key, no forms or plugins) and `nosniff` (the browser must believe our type).
Only a short allow-list is shown inline: PDF (Chromium's viewer works inside the sandbox),
text and Markdown as `text/plain`, and HTML rendered without scripts and without loading
anything. Every other type (SVG, XML, DOCX, unknown) is a download.
"""

import codecs
import re
from functools import lru_cache
from pathlib import Path

from fastapi.responses import FileResponse, Response

from ingest.errors import IngestError
from ingest.html import decode_html
from ingest.text import decode_text
from retriever.records import DocumentInfo

SANDBOX = "sandbox; frame-ancestors 'none'"
# HTML is shown, but loads nothing: no scripts (sandbox), no images or styles from anywhere
# (no tracking pixels, no requests to the API), only its own inline styles and data: images.
HTML_POLICY = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
)
INLINE_TEXT = {"text/plain", "text/markdown"}
INLINE_HTML = {"text/html"}
INLINE_AS_IS = {"application/pdf"}
DOWNLOAD = "application/octet-stream"
# What original_response can answer with (charset parameters aside), for the OpenAPI document.
SERVED_MEDIA_TYPES = (*sorted(INLINE_AS_IS), "text/plain", "text/html", DOWNLOAD)

# Python codec (as codecs.lookup names it) → the WHATWG label a browser decodes the same way.
WEB_CHARSETS = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8",
    "ascii": "utf-8",
    "cp932": "shift_jis",  # WHATWG Shift_JIS is Windows-31J, i.e. CP932
    "shift_jis": "shift_jis",
    "shift_jis_2004": "shift_jis",
    "shift_jisx0213": "shift_jis",
    "euc_jp": "euc-jp",
    "euc_jis_2004": "euc-jp",
    "euc_jisx0213": "euc-jp",
    "iso2022_jp": "iso-2022-jp",
    "utf-16": "utf-16le",  # a BOM is always there (ingest only detects UTF-16 by its BOM)
    "utf-16-le": "utf-16le",
    "utf-16-be": "utf-16be",
    "iso8859-1": "windows-1252",  # browsers read Latin-1 as its superset
    "iso8859-9": "windows-1254",
    "cp874": "windows-874",
    "tis-620": "windows-874",
    "big5": "big5",
    "gb18030": "gb18030",
    "gbk": "gbk",
    "euc_kr": "euc-kr",
    "cp949": "euc-kr",  # WHATWG EUC-KR is Windows-949
    "koi8-r": "koi8-r",
    "koi8-u": "koi8-u",
    "mac-roman": "macintosh",
}
WINDOWS_CODEPAGE = re.compile(r"cp(125[0-8])")
ISO_8859 = re.compile(r"iso8859-(2|3|4|5|6|7|8|10|13|14|15|16)")


def security_headers(policy: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Cache-Control": "private, no-cache",
    }


@lru_cache(maxsize=512)
def _detected_codec(content_hash: str, path: Path, html: bool) -> str | None:
    """The codec ingest decodes this content with (the same functions, so the same answer)."""
    try:
        data = path.read_bytes()
        _, codec = decode_html(data) if html else decode_text(data)
        return codecs.lookup(codec).name
    except (IngestError, LookupError, OSError):
        return None


def web_charset(doc: DocumentInfo, path: Path) -> str | None:
    """The charset label to send with a text original, or None when no browser label fits."""
    codec = _detected_codec(doc.content_hash, path, doc.mime in INLINE_HTML) or ""
    if codec in WEB_CHARSETS:
        return WEB_CHARSETS[codec]
    if match := WINDOWS_CODEPAGE.fullmatch(codec) or ISO_8859.fullmatch(codec):
        prefix = "windows-" if codec.startswith("cp") else "iso-8859-"
        return prefix + match.group(1)
    return None


def original_response(doc: DocumentInfo, path: Path) -> Response:
    """The stored original as a response a browser cannot run as Kotae's own page."""
    filename = Path(doc.source).name or f"document-{doc.id}"
    mime = doc.mime
    if mime in INLINE_AS_IS:
        return _file(path, mime, filename, "inline", SANDBOX)
    if mime in INLINE_TEXT | INLINE_HTML:
        charset = web_charset(doc, path)
        if charset is not None:
            shown = "text/html" if mime in INLINE_HTML else "text/plain"
            policy = HTML_POLICY if mime in INLINE_HTML else SANDBOX
            return _file(path, f"{shown}; charset={charset}", filename, "inline", policy)
    # Anything else, or text in an encoding no browser label names: a download, never a page.
    return _file(path, DOWNLOAD, filename, "attachment", SANDBOX)


def _file(path: Path, media_type: str, filename: str, disposition: str, policy: str) -> Response:
    return FileResponse(
        path,
        media_type=media_type,
        filename=filename,
        content_disposition_type=disposition,
        headers=security_headers(policy),
    )
