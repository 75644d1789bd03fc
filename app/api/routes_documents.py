"""Documents: upload (→ 202 + job), list, show, original file, delete; and job status."""

import time
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool

from app.api.deps import KotaeDep
from app.api.envelope import API_ERRORS, error_responses
from app.api.file_links import signed_file_url
from app.api.originals import SERVED_MEDIA_TYPES, original_response
from app.errors import NotFoundError
from app.queueing import Upload
from app.schemas.documents import (
    DocumentChunkList,
    DocumentChunkOut,
    DocumentList,
    DocumentOut,
    FileLinkOut,
    JobOut,
    UploadedFile,
    UploadResponse,
)
from app.schemas.params import CollectionName, DocumentId
from ingest.pipeline import DEFAULT_COLLECTION

router = APIRouter(responses=API_ERRORS)
ORIGINAL_FILE = {
    "description": "The original, sandboxed: PDF, text or HTML inline, anything else a download.",
    "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in SERVED_MEDIA_TYPES},
}


@router.post("/v1/documents", status_code=202, responses=error_responses(400, 422))
async def upload(
    kotae: KotaeDep,
    files: Annotated[list[UploadFile], File(description="One or more documents.")],
    collection: Annotated[CollectionName, Form()] = DEFAULT_COLLECTION,
) -> UploadResponse:
    uploads = [Upload(f.filename or "", f.file) for f in files]
    # Hashing and writing up to KOTAE_MAX_FILE_BYTES a file is blocking work: off the loop.
    job_id, stored = await run_in_threadpool(kotae.queueing.queue_uploads, collection, uploads)
    return UploadResponse(job_id=job_id, documents=[UploadedFile.model_validate(f) for f in stored])


@router.get("/v1/documents", responses=error_responses(400, 422))
def list_documents(kotae: KotaeDep, collection: CollectionName | None = None) -> DocumentList:
    docs = kotae.documents.list(collection)
    return DocumentList(documents=[DocumentOut.model_validate(d) for d in docs])


@router.get("/v1/documents/{document_id}", responses=error_responses(404, 422))
def show_document(document_id: DocumentId, kotae: KotaeDep) -> DocumentOut:
    return DocumentOut.model_validate(kotae.documents.get(document_id))


@router.get("/v1/documents/{document_id}/chunks", responses=error_responses(404, 422))
def document_chunks(
    document_id: DocumentId,
    kotae: KotaeDep,
    offset: Annotated[int, Query(ge=0, le=10**9, description="Chunks to skip.")] = 0,
    limit: Annotated[int, Query(ge=1, le=100, description="Chunks to return at most.")] = 20,
) -> DocumentChunkList:
    """The document's passages as they are searched, in reading order."""
    chunks, total = kotae.documents.chunks(document_id, offset, limit)
    return DocumentChunkList(chunks=[DocumentChunkOut.of(c) for c in chunks], total=total)


@router.get(
    "/v1/documents/{document_id}/file",
    response_model=None,
    response_class=FileResponse,  # no JSON: the media types are those of ORIGINAL_FILE
    responses={200: ORIGINAL_FILE, **error_responses(404, 422)},
)
def document_file(document_id: DocumentId, kotae: KotaeDep) -> Response:
    """The original, sandboxed (see app/api/originals.py); with keys set, a signed link works."""
    doc = kotae.documents.get(document_id)
    path = kotae.documents.original_path(doc)
    if path is None:
        raise NotFoundError(f"the original file of document {document_id} is not available")
    return original_response(doc, path)


@router.post("/v1/documents/{document_id}/link", responses=error_responses(404, 422))
def document_file_link(document_id: DocumentId, kotae: KotaeDep) -> FileLinkOut:
    """A short-lived link to the original that a browser tab can open without the API key."""
    kotae.documents.get(document_id)  # 404 for an unknown document
    url, expires = signed_file_url(kotae.settings.api_key_list, document_id, time.time())
    return FileLinkOut(url=url, expires_at=datetime.fromtimestamp(expires, UTC).isoformat())


@router.delete("/v1/documents/{document_id}", status_code=204, responses=error_responses(404, 422))
def delete_document(document_id: DocumentId, kotae: KotaeDep) -> Response:
    kotae.documents.delete(document_id)
    return Response(status_code=204)


@router.get("/v1/jobs/{job_id}", responses=error_responses(404, 422))
def get_job(job_id: str, kotae: KotaeDep) -> JobOut:
    job = kotae.queueing.job(job_id)
    if job is None:
        raise NotFoundError(f"no job with id {job_id}")
    return JobOut.model_validate(job)
