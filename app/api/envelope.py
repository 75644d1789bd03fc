"""One error shape for every 4xx/5xx: {"error": {"type", "message"}}, mapped in one place."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import ERROR_TABLE, INTERNAL, describe

log = logging.getLogger(__name__)

HTTP_TYPES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    409: "conflict",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    503: "unavailable",
}


class ErrorDetail(BaseModel):
    type: str = Field(description="A stable kind to branch on, e.g. `not_found`.")
    message: str = Field(description="What went wrong, for a person.")


class ErrorResponse(BaseModel):
    """The body of every 4xx/5xx answer, and the data of a stream's `error` event."""

    error: ErrorDetail


ERROR_DESCRIPTIONS = {
    400: "The body is not valid JSON or multipart, or a value is refused.",
    401: "Missing or invalid API key (only when KOTAE_API_KEYS is set).",
    404: "No such resource.",
    409: "The resource is no longer in the state the request needs (e.g. a turn to replace "
    "that is no longer the last).",
    413: "The request body is over the size limit.",
    422: "A parameter or a body field fails validation.",
    500: "Internal error (the server log has the details), or a configuration error the "
    "operator must fix (`configuration_error`; the message says what).",
    502: "The answer generator sent a response Kotae cannot use.",
    503: "The answer generator cannot be reached.",
    504: "The answer generator did not answer in time.",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries declaring that each status answers with the error envelope.

    Declaring 422 also keeps FastAPI from documenting its own validation error shape,
    which this app never sends (see `invalid` below).
    """
    responses: dict[int | str, dict[str, Any]] = {
        s: {"model": ErrorResponse, "description": ERROR_DESCRIPTIONS[s]} for s in statuses
    }
    if 401 in responses:
        responses[401]["headers"] = {"WWW-Authenticate": {"schema": {"const": "Bearer"}}}
    return responses


# What any /v1 route may answer: no key, a body over the limit (checked before routing), a bug.
API_ERRORS = error_responses(401, 413, 500)


def error_body(type_: str, message: str) -> dict[str, Any]:
    """The error envelope: every 4xx/5xx body, and the data of a stream's `error` event."""
    return ErrorResponse(error=ErrorDetail(type=type_, message=message)).model_dump()


def domain_error_body(exc: Exception) -> dict[str, Any]:
    """The envelope for a domain error, typed by app/errors.py's table."""
    return error_body((describe(exc) or INTERNAL).type, str(exc))


def error_response(status: int, type_: str, message: str) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(error_body(type_, message), status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        parts.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    async def domain_error(_: Request, exc: Exception) -> JSONResponse:
        kind = describe(exc) or INTERNAL
        return error_response(kind.status, kind.type, str(exc))

    # Per class, not in the catch-all below: Starlette answers an `Exception` handler from its
    # outermost middleware and then re-raises, logging a traceback for every 404.
    for error_class in ERROR_TABLE:
        app.add_exception_handler(error_class, domain_error)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        if any(e.get("type") == "json_invalid" for e in exc.errors()):
            return error_response(400, "bad_request", "the request body is not valid JSON")
        return error_response(422, "invalid_request", _validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(
            exc.status_code, HTTP_TYPES.get(exc.status_code, "error"), str(exc.detail)
        )

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return error_response(500, "internal_error", "internal error; see the server log")
