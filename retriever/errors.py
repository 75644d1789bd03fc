"""Domain errors of the retriever; app/errors.py maps them to HTTP statuses and exit codes."""


class RetrieverError(Exception):
    """Base: str(e) is the user-facing reason."""


class DocumentNotFound(RetrieverError, LookupError):
    """No document has the given id."""


class EmbeddingModelMismatch(RetrieverError):
    """The stored embeddings were made by another model than the configured one."""


class SchemaMissing(RetrieverError):
    """The database lacks tables the migrations make: it was never upgraded (or is too old)."""
