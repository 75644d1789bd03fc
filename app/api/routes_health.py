"""Liveness, readiness and Prometheus metrics."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field

from app.api.envelope import error_responses

router = APIRouter(responses=error_responses(500))


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str = Field(description="`ready`, `starting` or `database unavailable`.")
    chunks: int | None = Field(default=None, description="Chunks in the search index, once ready.")
    detail: str | None = Field(default=None, description="Why the database is unavailable.")


@router.get("/healthz")
def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=None,
    responses={
        200: {"model": Readiness},
        503: {"model": Readiness, "description": "Still starting, or the database is down."},
    },
)
def readyz(request: Request) -> JSONResponse:
    state = request.app.state
    if not state.ready.is_set():
        return JSONResponse({"status": "starting"}, 503)
    try:
        state.kotae.corpus.last_seq()
    except Exception as e:  # the database is what readiness depends on
        return JSONResponse({"status": "database unavailable", "detail": str(e)}, 503)
    return JSONResponse({"status": "ready", "chunks": state.kotae.indexes.chunk_count})


@router.get(
    "/metrics",
    response_class=Response,  # not JSON, and errors stay in the JSON envelope
    # Behind the key when keys are set: it shows how the service is used (see README, Security).
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
        **error_responses(401),
    },
)
def metrics(request: Request) -> Response:
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
