"""Errors raised when talking to the answer generator (an OpenAI-compatible server).

Messages are plain and user-facing: they name the URL and say what happened. How each reaches
a user (HTTP status, CLI exit code) is the application's business, not this library's.
"""

from __future__ import annotations


class GeneratorError(Exception):
    """Base class: the answer generator could not produce an answer."""

    def __init__(self, message: str, url: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.url = url


class GeneratorUnavailable(GeneratorError):
    """The server cannot be reached (refused, DNS, dropped connection) or failed with a 5xx."""


class GeneratorTimeout(GeneratorError):
    """The server did not answer (or stopped streaming) within the time limit."""


class GeneratorResponseError(GeneratorError):
    """The server rejected the request (4xx) or sent a response we cannot read."""

    def __init__(self, message: str, url: str | None = None, status_code: int | None = None):
        super().__init__(message, url)
        self.status_code = status_code
