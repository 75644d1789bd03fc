"""Wire shapes of documents and ingest jobs (`kotae documents --json` prints the same).

Read straight from the records (`model_validate(record)`), so a new record field is one line
here, not a mapper to keep in step.
"""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from retriever.records import ChunkRecord


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


class DocumentChunkOut(BaseModel):
    id: int
    context: str = Field(description='Where the chunk sits: "Title › Section › Subsection".')
    page_start: int
    page_end: int
    char_start: int
    char_end: int
    text: str

    @classmethod
    def of(cls, c: ChunkRecord) -> "DocumentChunkOut":
        return cls(
            id=c.id,
            context=c.heading_path,
            page_start=c.page_start,
            page_end=c.page_end,
            char_start=c.char_start,
            char_end=c.char_end,
            text=c.text,
        )


class DocumentChunkList(BaseModel):
    chunks: list[DocumentChunkOut] = Field(description="In reading order, from `offset`.")
    total: int = Field(description="How many chunks the document has.")


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
