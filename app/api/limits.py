"""ASGI middleware: API keys (constant-time) and request body size limits, before any parsing."""

import hmac
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from app.api.envelope import error_body
from app.api.file_links import valid_file_link

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Open even when keys are set, matched exactly: the UI shell (it asks for the key), probes, and
# the API's description (public knowledge, it holds no data). /metrics is not open: request
# counts per route and status tell an outsider how the service is used.
OPEN_PATHS = frozenset(
    {"/", "/healthz", "/readyz", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"}
)
OPEN_PREFIX = "/static/"


class BodyTooLarge(BaseException):
    """BaseException so the app's catch-all `Exception` handler lets it reach this middleware."""


async def send_error(send: Send, status: int, type_: str, message: str) -> None:
    body = json.dumps(error_body(type_, message)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def presented_key(scope: Scope) -> bytes | None:
    """The key as the raw header bytes: HTTP headers are bytes, keys are compared as UTF-8."""
    headers = dict(scope.get("headers") or [])
    auth = headers.get(b"authorization", b"")
    if auth[:7].lower() == b"bearer ":
        return auth[7:].strip(b" \t")
    return headers.get(b"x-api-key")


class GuardMiddleware:
    """Refuses requests without a valid key (when keys are set) and oversize bodies."""

    def __init__(self, app: ASGIApp, api_keys: list[str], max_body: int, max_upload: int) -> None:
        self.app = app
        self.key_list = api_keys
        self.api_keys = [k.encode("utf-8") for k in api_keys]
        self.max_body = max_body
        self.max_upload = max_upload

    def authorized(self, scope: Scope) -> bool:
        path = scope.get("path", "")
        if not self.api_keys or path in OPEN_PATHS or path.startswith(OPEN_PREFIX):
            return True
        if scope.get("method") in ("GET", "HEAD") and valid_file_link(
            self.key_list, path, scope.get("query_string", b""), time.time()
        ):
            return True
        key = presented_key(scope) or b""
        # Compare against every key so the time taken does not reveal which one matched.
        matches = [hmac.compare_digest(key, k) for k in self.api_keys]
        return any(matches)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self.authorized(scope):
            await send_error(send, 401, "unauthorized", "missing or invalid API key")
            return
        is_upload = scope.get("path") == "/v1/documents" and scope.get("method") == "POST"
        limit = self.max_upload if is_upload else self.max_body
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await send_error(
                send,
                413,
                "payload_too_large",
                f"request body is {int(declared)} bytes, over the {limit} byte limit",
            )
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await send_error(
                    send, 413, "payload_too_large", f"request body is over the {limit} byte limit"
                )
