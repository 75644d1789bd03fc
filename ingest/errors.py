"""Domain errors raised while turning a file into text.

``str(error)`` is the user-facing reason reported per file by the CLI, the API and job records.
"""


class IngestError(Exception):
    """Base: a file could not be ingested; str(e) is the user-facing reason."""


class LoadError(IngestError):
    """The file is damaged/unreadable.

    Truncated, encrypted or image-only PDF, empty file, undecodable text.
    """


class UnsupportedFileError(IngestError):
    """Unknown or binary type: skipped with a reason, not a failure."""


class FileTooLargeError(IngestError):
    """The file exceeds the configured size limit."""
