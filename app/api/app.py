"""The FastAPI application: resources built in lifespan, routers, one error envelope."""

import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from app.api import (
    routes_ask,
    routes_conversations,
    routes_documents,
    routes_health,
    routes_openai,
    routes_search,
)
from app.api.envelope import install_error_handlers
from app.api.event_streams import document_event_streams
from app.api.limits import GuardMiddleware
from app.api.metrics import Metrics
from app.api.security_headers import SecurityHeadersMiddleware
from app.kotae import Kotae
from app.settings import Settings, get_settings

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent.parent / "static"


def create_app(settings: Settings | None = None, with_worker: bool = True) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        kotae = Kotae(settings)
        app.state.kotae = kotae
        app.state.ready = threading.Event()
        stop = threading.Event()

        def warm_up() -> None:
            try:
                kotae.warm_up()
                # The model and indexes are millions of objects that live as long as the
                # process: left to the collector, each full collection walks them all, with
                # every thread, the event loop included, stopped.
                gc.freeze()
                app.state.ready.set()
            except Exception:
                log.exception("start-up failed; /readyz stays unready")

        threading.Thread(target=warm_up, name="kotae-warm-up", daemon=True).start()
        worker_thread = None
        if with_worker:
            worker_thread = threading.Thread(
                target=lambda: kotae.worker().run(stop), name="kotae-worker", daemon=True
            )
            worker_thread.start()
        try:
            yield
        finally:
            stop.set()
            if worker_thread is not None:
                worker_thread.join(timeout=30)
            await kotae.aclose()

    app = FastAPI(
        title="Kotae",
        version="0.1.0",
        description="Answers from your documents, with verified citations.",
        lifespan=lifespan,
    )
    metrics = Metrics()
    app.state.metrics = metrics
    app.middleware("http")(metrics.middleware)
    app.add_middleware(
        GuardMiddleware,
        api_keys=settings.api_key_list,
        max_body=settings.max_request_bytes,
        max_upload=settings.max_upload_bytes,
    )
    app.add_middleware(SecurityHeadersMiddleware)  # outermost: refusals get the headers too
    install_error_handlers(app)
    for module in (
        routes_health,
        routes_search,
        routes_ask,
        routes_conversations,
        routes_documents,
        routes_openai,
    ):
        app.include_router(module.router)
    document_event_streams(app, [routes_ask.ASK_EVENTS, routes_openai.CHAT_EVENTS])

    if STATIC.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False, response_model=None)
    def index() -> FileResponse | HTMLResponse:
        page = STATIC / "index.html"
        if page.is_file():
            return FileResponse(page, headers={"Cache-Control": "no-cache"})
        return HTMLResponse("<h1>Kotae</h1><p>The API is at <a href='/docs'>/docs</a>.</p>")

    return app
