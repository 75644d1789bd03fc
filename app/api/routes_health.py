"""Liveness, readiness and Prometheus metrics."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

router = APIRouter()


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
def readyz(request: Request) -> JSONResponse:
    state = request.app.state
    if not state.ready.is_set():
        return JSONResponse({"status": "starting"}, 503)
    try:
        state.kotae.corpus.last_seq()
    except Exception as e:  # the database is what readiness depends on
        return JSONResponse({"status": "database unavailable", "detail": str(e)}, 503)
    return JSONResponse({"status": "ready", "chunks": len(state.kotae.indexes.dense)})


@router.get("/metrics")
def metrics(request: Request) -> Response:
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
