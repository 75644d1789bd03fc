"""Short-lived signed links to an original, so a browser tab can open it without the API key.

A navigation cannot carry an Authorization header, and fetching the file into a `blob:` URL
would run it in the UI's own origin (where the key lives). Instead the UI asks for a link that
carries an HMAC of the document id and an expiry; the server then sends the file with its
sandbox headers like any other request. The signing secret is derived from the configured
API keys, so every process sharing the keys accepts the link, and changing the keys voids all
links. Whoever may mint a link already holds a key, so a link grants nothing more than a key.
"""

import hashlib
import hmac
import re
from urllib.parse import parse_qs

LINK_TTL_S = 900
FILE_PATH = re.compile(r"/v1/documents/([1-9][0-9]{0,18})/file")


def _secret(api_keys: list[str]) -> bytes:
    material = b"\0".join(sorted(k.encode("utf-8") for k in api_keys))
    return hashlib.sha256(b"kotae file link\0" + material).digest()


def signature(api_keys: list[str], document_id: int, expires: int) -> str:
    message = f"{document_id}.{expires}".encode()
    return hmac.new(_secret(api_keys), message, hashlib.sha256).hexdigest()


def signed_file_url(api_keys: list[str], document_id: int, now: float) -> tuple[str, int]:
    """The original's URL (signed when keys are set) and when the signature expires."""
    expires = int(now) + LINK_TTL_S
    url = f"/v1/documents/{document_id}/file"
    if api_keys:
        url += f"?expires={expires}&signature={signature(api_keys, document_id, expires)}"
    return url, expires


def valid_file_link(api_keys: list[str], path: str, query_string: bytes, now: float) -> bool:
    """True for a GET of an original whose link was signed with these keys and has not expired."""
    match = FILE_PATH.fullmatch(path)
    if match is None or not api_keys:
        return False
    query = parse_qs(query_string.decode("latin-1"))
    expires_values, signatures = query.get("expires", []), query.get("signature", [])
    if len(expires_values) != 1 or len(signatures) != 1:
        return False
    if not re.fullmatch(r"[0-9]{1,12}", expires_values[0]):
        return False
    expires = int(expires_values[0])
    if not now <= expires <= now + LINK_TTL_S:
        return False
    expected = signature(api_keys, int(match.group(1)), expires)
    return hmac.compare_digest(expected.encode(), signatures[0].encode("latin-1"))
