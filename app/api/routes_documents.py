"""Documents: upload (→ 202 + job), list, show, original file, delete; and job status."""

import time
from collections import Counter
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from app.api.deps import KotaeDep
from app.api.envelope import API_ERRORS, error_responses
from app.api.file_links import signed_file_url
from app.api.originals import SERVED_MEDIA_TYPES, original_response
from app.api.params import CollectionName, DocumentId
from app.errors import BadRequestError, NotFoundError, PayloadTooLargeError
from app.wire import DocumentOut, document_out
from ingest.jobs import Job, NewJobFile
from ingest.names import BadFileName, upload_source
from ingest.pipeline import DEFAULT_COLLECTION
from ingest.sizes import human_size

router = APIRouter(responses=API_ERRORS)
ORIGINAL_FILE = {
    "description": "The original, sandboxed: PDF, text or HTML inline, anything else a download.",
    "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in SERVED_MEDIA_TYPES},
}


class UploadedFile(BaseModel):
    name: str
    size: int
    sha256: str


class UploadResponse(BaseModel):
    job_id: str
    documents: list[UploadedFile]


class DocumentList(BaseModel):
    documents: list[DocumentOut]


class FileLinkOut(BaseModel):
    url: str
    expires_at: str


class JobFileOut(BaseModel):
    name: str
    size: int
    status: str
    error: str | None
    document_id: int | None
    chunks: int
    chunks_done: int
    chunks_total: int
    chunks_resumed: int


class JobOut(BaseModel):
    id: str
    collection: str
    status: str
    files_total: int
    files_done: int
    chunks: int
    attempts: int
    error: str | None
    created_at: str
    updated_at: str
    files: list[JobFileOut]


def job_out(job: Job) -> JobOut:
    return JobOut(
        id=job.id,
        collection=job.collection,
        status=job.status,
        files_total=job.files_total,
        files_done=job.files_done,
        chunks=job.chunks,
        attempts=job.attempts,
        error=job.error,
        created_at=job.created_at.isoformat(),
        updated_at=job.updated_at.isoformat(),
        files=[
            JobFileOut(
                name=f.name,
                size=f.size,
                status=f.status,
                error=f.error,
                document_id=f.document_id,
                chunks=f.chunks,
                chunks_done=f.chunks_done,
                chunks_total=f.chunks_total,
                chunks_resumed=f.chunks_resumed,
            )
            for f in job.files
        ],
    )


@router.post("/v1/documents", status_code=202, responses=error_responses(400, 422))
async def upload(
    kotae: KotaeDep,
    files: Annotated[list[UploadFile], File(description="One or more documents.")],
    collection: Annotated[CollectionName, Form()] = DEFAULT_COLLECTION,
) -> UploadResponse:
    limit = kotae.settings.max_file_bytes
    stored: list[NewJobFile] = []
    out: list[UploadedFile] = []
    try:
        # The client's relative path is the document's identity: same-named files in two
        # folders stay two documents.
        names = [upload_source(upload.filename or "") for upload in files]
    except BadFileName as e:
        raise BadRequestError(str(e)) from e
    twice = sorted(n for n, count in Counter(names).items() if count > 1)
    if twice:
        raise BadRequestError(f"two files of this upload have the same name: {', '.join(twice)}")
    for upload, name in zip(files, names, strict=True):
        data = await upload.read(limit + 1)
        if len(data) > limit:
            raise PayloadTooLargeError(f"{name} is over the {human_size(limit)} per-file limit")
        # Hashing and writing up to MAX_FILE_BYTES is blocking work: off the event loop.
        digest = await run_in_threadpool(kotae.blobs.put, data)
        stored.append(NewJobFile(name=name, size=len(data), blob=digest))
        out.append(UploadedFile(name=name, size=len(data), sha256=digest))
    if not stored:
        raise BadRequestError("no files in the upload")
    job_id = await run_in_threadpool(kotae.jobs.enqueue, collection, stored)
    # A delete of a document with the same content may have removed an original between
    # storing it and queueing the job; now that the job holds it, nothing else will.
    for upload, queued in zip(files, stored, strict=True):
        if queued.blob and not kotae.blobs.exists(queued.blob):
            await upload.seek(0)
            await run_in_threadpool(kotae.blobs.put, await upload.read())
    return UploadResponse(job_id=job_id, documents=out)


@router.get("/v1/documents", responses=error_responses(400, 422))
def list_documents(kotae: KotaeDep, collection: CollectionName | None = None) -> DocumentList:
    return DocumentList(documents=[document_out(d) for d in kotae.list_documents(collection)])


@router.get("/v1/documents/{document_id}", responses=error_responses(404, 422))
def show_document(document_id: DocumentId, kotae: KotaeDep) -> DocumentOut:
    return document_out(kotae.get_document(document_id))


@router.get(
    "/v1/documents/{document_id}/file",
    response_model=None,
    response_class=FileResponse,  # no JSON: the media types are those of ORIGINAL_FILE
    responses={200: ORIGINAL_FILE, **error_responses(404, 422)},
)
def document_file(document_id: DocumentId, kotae: KotaeDep) -> Response:
    """The original, sandboxed (see app/api/originals.py); with keys set, a signed link works."""
    doc = kotae.get_document(document_id)
    path = kotae.original_path(doc)
    if path is None:
        raise NotFoundError(f"the original file of document {document_id} is not available")
    return original_response(doc, path)


@router.post("/v1/documents/{document_id}/link", responses=error_responses(404, 422))
def document_file_link(document_id: DocumentId, kotae: KotaeDep) -> FileLinkOut:
    """A short-lived link to the original that a browser tab can open without the API key."""
    kotae.get_document(document_id)  # 404 for an unknown document
    url, expires = signed_file_url(kotae.settings.api_key_list, document_id, time.time())
    return FileLinkOut(url=url, expires_at=datetime.fromtimestamp(expires, UTC).isoformat())


@router.delete("/v1/documents/{document_id}", status_code=204, responses=error_responses(404, 422))
def delete_document(document_id: DocumentId, kotae: KotaeDep) -> Response:
    kotae.delete_document(document_id)
    return Response(status_code=204)


@router.get("/v1/jobs/{job_id}", responses=error_responses(404, 422))
def get_job(job_id: str, kotae: KotaeDep) -> JobOut:
    job = kotae.jobs.get(job_id)
    if job is None:
        raise NotFoundError(f"no job with id {job_id}")
    return job_out(job)
