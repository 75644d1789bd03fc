"""Domain errors, each with its HTTP status; the CLI and the API turn them into messages."""


class KotaeError(Exception):
    status = 500
    type = "internal_error"


class ConfigurationError(KotaeError):
    status = 500
    type = "configuration_error"


class NotFoundError(KotaeError):
    status = 404
    type = "not_found"


class BadRequestError(KotaeError):
    status = 400
    type = "bad_request"


class PayloadTooLargeError(KotaeError):
    status = 413
    type = "payload_too_large"


class UnauthorizedError(KotaeError):
    status = 401
    type = "unauthorized"


class GeneratorDownError(KotaeError):
    status = 503
    type = "generator_unavailable"
