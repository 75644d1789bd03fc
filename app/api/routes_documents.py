"""Documents: upload (→ 202 + job), list, show, original file, delete; and job status."""

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel

from app.api.deps import KotaeDep
from app.api.envelope import API_ERRORS, error_responses
from app.errors import BadRequestError, NotFoundError, PayloadTooLargeError
from app.wire import DocumentOut, document_out
from ingest.jobs import Job, NewJobFile
from ingest.loaders import DOCX_MIME, HTML_MIME, MARKDOWN_MIME, PDF_MIME, TEXT_MIME
from ingest.pipeline import DEFAULT_COLLECTION

router = APIRouter(responses=API_ERRORS)
# Ids are SQL BIGINTs: a larger number is refused as invalid, not left to overflow the driver.
DocumentId = Annotated[int, PathParam(ge=1, le=2**63 - 1)]
ORIGINAL_MEDIA_TYPES = (
    PDF_MIME,
    TEXT_MIME,
    MARKDOWN_MIME,
    HTML_MIME,
    DOCX_MIME,
    "application/octet-stream",
)
ORIGINAL_FILE = {
    "description": "The uploaded file as it was, in its own media type.",
    "content": {
        t: {"schema": {"type": "string", "format": "binary"}} for t in ORIGINAL_MEDIA_TYPES
    },
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


class JobFileOut(BaseModel):
    name: str
    size: int
    status: str
    error: str | None
    document_id: int | None
    chunks: int


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
            )
            for f in job.files
        ],
    )


@router.post("/v1/documents", status_code=202, responses=error_responses(400, 422))
async def upload(
    kotae: KotaeDep,
    files: Annotated[list[UploadFile], File(description="One or more documents.")],
    collection: Annotated[str, Form()] = DEFAULT_COLLECTION,
) -> UploadResponse:
    limit = kotae.settings.max_file_bytes
    stored: list[NewJobFile] = []
    out: list[UploadedFile] = []
    for upload in files:
        name = Path(upload.filename or "").name
        if not name:
            raise BadRequestError("every uploaded file needs a file name")
        data = await upload.read(limit + 1)
        if len(data) > limit:
            raise PayloadTooLargeError(
                f"{name} is over the {limit // (1024 * 1024)} MB per-file limit"
            )
        digest = kotae.blobs.put(data)
        stored.append(NewJobFile(name=name, size=len(data), blob=digest))
        out.append(UploadedFile(name=name, size=len(data), sha256=digest))
    if not stored:
        raise BadRequestError("no files in the upload")
    job_id = kotae.jobs.enqueue(collection, stored)
    return UploadResponse(job_id=job_id, documents=out)


@router.get("/v1/documents", responses=error_responses(400, 422))
def list_documents(kotae: KotaeDep, collection: str | None = None) -> DocumentList:
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
    doc = kotae.get_document(document_id)
    path = kotae.original_path(doc)
    if path is None:
        raise NotFoundError(f"the original file of document {document_id} is not available")
    return FileResponse(
        path,
        media_type=doc.mime or "application/octet-stream",
        filename=Path(doc.source).name,
        content_disposition_type="inline",
    )


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
