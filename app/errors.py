"""The app's domain errors, and the one table that says how every domain error reaches a user.

The libraries raise plain exceptions whose message is for a person; `describe` gives the HTTP
status, the stable `type` a client branches on, and the `kotae` exit code, looked up along the
exception's class hierarchy so a subclass inherits its base's row until it has its own.

Exit codes: 1 is a command that ran but failed part of its work (an ingest with failed files,
an eval under `--min-recall`; not errors of this table), 2 is a request that cannot be done
until the user or operator changes something (bad input, no such document, configuration),
3 is a service Kotae depends on that failed where trying again later may help.
"""

from dataclasses import dataclass

from generator.errors import (
    GeneratorError,
    GeneratorResponseError,
    GeneratorTimeout,
    GeneratorUnavailable,
)
from ingest.errors import FileTooLargeError, IngestError, LoadError, UnsupportedFileError
from ingest.names import BadFileName
from retriever.errors import (
    DocumentNotFound,
    EmbeddingModelMismatch,
    RetrieverError,
    SchemaMissing,
)


class KotaeError(Exception):
    """Base of the app's own errors; str(e) is the user-facing message."""


class ConfigurationError(KotaeError):
    """The settings name something that cannot be used (a model folder, an encoder)."""


class NotFoundError(KotaeError):
    """No such resource (job, stored original)."""


class BadRequestError(KotaeError):
    """The request is well-formed but its values are refused."""


class ConflictError(KotaeError):
    """The request names something that exists but the state it needs has changed."""


class PayloadTooLargeError(KotaeError):
    """An uploaded file is over the per-file limit."""


@dataclass(frozen=True)
class ErrorKind:
    status: int  # HTTP status
    type: str  # stable, for clients to branch on
    exit_code: int  # of the `kotae` command


INTERNAL = ErrorKind(500, "internal_error", 2)
CONFIGURATION = ErrorKind(500, "configuration_error", 2)
NOT_FOUND = ErrorKind(404, "not_found", 2)

# Every domain error class of app, ingest, retriever and generator (a test holds this).
ERROR_TABLE: dict[type[Exception], ErrorKind] = {
    KotaeError: INTERNAL,
    ConfigurationError: CONFIGURATION,
    NotFoundError: NOT_FOUND,
    BadRequestError: ErrorKind(400, "bad_request", 2),
    ConflictError: ErrorKind(409, "conflict", 2),
    PayloadTooLargeError: ErrorKind(413, "payload_too_large", 2),
    RetrieverError: INTERNAL,
    DocumentNotFound: NOT_FOUND,
    # Nothing a client sends fixes it and retrying does not help until an operator re-embeds or
    # fixes KOTAE_EMBEDDING_MODEL (a 503 would invite retries; 409 would blame the request): a
    # 500 whose type and message say what the operator must do.
    EmbeddingModelMismatch: CONFIGURATION,
    # Only a library used without the app meets it: every kotae process migrates at start.
    SchemaMissing: CONFIGURATION,
    # Ingest errors become per-file reasons in job results; these rows are for any that escape.
    IngestError: ErrorKind(422, "ingest_error", 2),
    LoadError: ErrorKind(422, "unreadable_file", 2),
    UnsupportedFileError: ErrorKind(415, "unsupported_media_type", 2),
    FileTooLargeError: ErrorKind(413, "payload_too_large", 2),
    BadFileName: ErrorKind(400, "bad_request", 2),
    GeneratorError: ErrorKind(502, "generator_error", 3),
    GeneratorUnavailable: ErrorKind(503, "generator_unavailable", 3),
    GeneratorTimeout: ErrorKind(504, "generator_timeout", 3),
    # A rejected request or an unreadable reply: a wrong model name or URL, not an outage.
    GeneratorResponseError: ErrorKind(502, "generator_bad_response", 2),
}


def describe(exc: BaseException) -> ErrorKind | None:
    """The row of the nearest class of ``exc`` in the table; None for an unexpected error."""
    for cls in type(exc).__mro__:
        kind = ERROR_TABLE.get(cls)
        if kind is not None:
            return kind
    return None
