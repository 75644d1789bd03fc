"""Queueing ingest jobs for the workers: uploaded files (stored as blobs) or local paths."""

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from app.errors import BadRequestError, PayloadTooLargeError
from ingest.blobs import BlobStore
from ingest.files import discover
from ingest.jobs import Job, JobQueue, NewJobFile
from ingest.names import upload_source
from ingest.records import FileOutcome
from ingest.sizes import human_size


@dataclass(frozen=True)
class Upload:
    filename: str  # as the client sent it: a relative path, unchecked
    file: BinaryIO  # readable and seekable (a spooled upload)


@dataclass(frozen=True)
class StoredUpload:
    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class QueuedPaths:
    job_id: str | None  # None when no file was found
    files: int
    missing: list[FileOutcome]  # paths that could not be queued, with the reason


class QueueService:
    def __init__(self, blobs: BlobStore, jobs: JobQueue, max_file_bytes: int) -> None:
        self.blobs = blobs
        self.jobs = jobs
        self.max_file_bytes = max_file_bytes

    def queue_uploads(
        self, collection: str, uploads: list[Upload]
    ) -> tuple[str, list[StoredUpload]]:
        """Store each upload's bytes and queue one job over them; returns the job id.

        Blocking (hashes and writes files): call it off the event loop.
        """
        # The client's relative path is the document's identity: same-named files in two
        # folders stay two documents. A name that could point outside the upload is refused.
        names = [upload_source(u.filename) for u in uploads]
        twice = sorted(n for n, count in Counter(names).items() if count > 1)
        if twice:
            raise BadRequestError(
                f"two files of this upload have the same name: {', '.join(twice)}"
            )
        limit = self.max_file_bytes
        queued: list[NewJobFile] = []
        for upload, name in zip(uploads, names, strict=True):
            data = upload.file.read(limit + 1)
            if len(data) > limit:
                raise PayloadTooLargeError(f"{name} is over the {human_size(limit)} per-file limit")
            queued.append(NewJobFile(name=name, size=len(data), blob=self.blobs.put(data)))
        if not queued:
            raise BadRequestError("no files in the upload")
        job_id = self.jobs.enqueue(collection, queued)
        # A delete of a document with the same content may have removed an original between
        # storing it and queueing the job; now that the job holds it, nothing else will.
        for upload, file in zip(uploads, queued, strict=True):
            if file.blob and not self.blobs.exists(file.blob):
                upload.file.seek(0)
                self.blobs.put(upload.file.read(limit))
        stored = [StoredUpload(f.name, f.size, f.blob or "") for f in queued]
        return job_id, stored

    def queue_paths(self, collection: str, paths: list[Path]) -> QueuedPaths:
        """Queue one job over local files by path, for workers that can read them."""
        files, missing = discover(paths)
        if not files:
            return QueuedPaths(None, 0, missing)
        # Absolute paths: the worker reads them from its own working directory, and the document
        # gets the same source (its identity) as an in-process ingest of the same file.
        queued = [
            NewJobFile(name=f.name, size=f.stat().st_size, path=str(f.resolve())) for f in files
        ]
        return QueuedPaths(self.jobs.enqueue(collection, queued), len(queued), missing)

    def job(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)
