"""Security headers on every response; a route's own Content-Security-Policy (originals) wins."""

from app.api.limits import ASGIApp, Message, Receive, Scope, Send

# The chat UI is static files of this origin: no inline script or style, no other origin.
UI_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# FastAPI's /docs and /redoc pages load their scripts from a CDN with inline glue: not framed.
DOCS_POLICY = "frame-ancestors 'none'"
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
# JSON, SSE, metrics: nothing a browser should render, run or frame.
API_POLICY = "default-src 'none'; frame-ancestors 'none'"

COMMON = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


def policy_for(path: str) -> str:
    if path == "/" or path.startswith("/static/"):
        return UI_POLICY
    if path in DOCS_PATHS:
        return DOCS_POLICY
    return API_POLICY


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = policy_for(scope.get("path", "")).encode()

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                defaults = (*COMMON, (b"content-security-policy", policy))
                headers += [(k, v) for k, v in defaults if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
