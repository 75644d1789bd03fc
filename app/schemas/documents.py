"""Wire shapes of documents and ingest jobs (`kotae documents --json` prints the same).

Read straight from the records (`model_validate(record)`), so a new record field is one line
here, not a mapper to keep in step.
"""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict


def _iso(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


Timestamp = Annotated[str, BeforeValidator(_iso)]


class Record(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class DocumentOut(Record):
    id: int
    collection: str
    source: str
    title: str
    mime: str
    content_hash: str
    size: int
    pages: int
    chunks: int
    status: str
    error: str | None
    created_at: Timestamp
    updated_at: Timestamp


class DocumentList(BaseModel):
    documents: list[DocumentOut]


class UploadedFile(Record):
    name: str
    size: int
    sha256: str


class UploadResponse(BaseModel):
    job_id: str
    documents: list[UploadedFile]


class FileLinkOut(BaseModel):
    url: str
    expires_at: str


class JobFileOut(Record):
    name: str
    size: int
    status: str
    error: str | None
    document_id: int | None
    chunks: int
    chunks_done: int
    chunks_total: int
    chunks_resumed: int


class JobOut(Record):
    id: str
    collection: str
    status: str
    files_total: int
    files_done: int
    chunks: int
    attempts: int
    error: str | None
    created_at: Timestamp
    updated_at: Timestamp
    files: list[JobFileOut]
