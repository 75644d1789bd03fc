"""Durable ingest jobs in SQL: queued → running → done | failed, claimed by any worker process.

A job is `failed` when none of its files could be ingested (each says why), `done` when
at least one was, with `error` naming how many others failed.

A claim is a conditional UPDATE (plus `FOR UPDATE SKIP LOCKED` on PostgreSQL), so two
workers never take the same job; a running job whose worker stopped heart-beating is
taken over, and each file's attempts are counted so a file that keeps killing its
worker is marked failed after MAX_FILE_ATTEMPTS instead of blocking the job. A worker
that shuts down releases its job back to the queue; closing a job is refused to a worker
that no longer owns it.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from ingest.job_tables import JobFileRow, JobRow
from retriever.corpus import Corpus
from retriever.schema import require_tables, utcnow

MAX_FILE_ATTEMPTS = 3
FINISHED_FILE_STATES = ("added", "updated", "unchanged", "duplicate", "failed", "skipped")
NOT_INGESTED = ("failed", "skipped")


@dataclass(frozen=True)
class JobFile:
    id: int
    name: str
    blob: str | None
    path: str | None
    size: int
    status: str
    attempts: int
    error: str | None
    document_id: int | None
    chunks: int
    chunks_done: int = 0
    chunks_total: int = 0
    chunks_resumed: int = 0


@dataclass(frozen=True)
class Job:
    id: str
    collection: str
    status: str
    files_total: int
    files_done: int
    chunks: int
    attempts: int
    error: str | None
    created_at: datetime
    updated_at: datetime
    files: tuple[JobFile, ...]


@dataclass(frozen=True)
class NewJobFile:
    name: str
    size: int
    blob: str | None = None  # an uploaded original in the blob store
    path: str | None = None  # or a file on a disk every worker can read


def _file(row: JobFileRow) -> JobFile:
    return JobFile(
        row.id,
        row.name,
        row.blob,
        row.path,
        row.size,
        row.status,
        row.attempts,
        row.error,
        row.document_id,
        row.chunks,
        row.chunks_done,
        row.chunks_total,
        row.chunks_resumed,
    )


class JobQueue:
    """The job tables must exist: the migrations create them (app.database.upgrade_database)."""

    def __init__(self, corpus: Corpus, stale_after: float) -> None:
        require_tables(corpus.engine, JobRow.metadata)
        self.corpus = corpus
        self.stale_after = timedelta(seconds=stale_after)

    def enqueue(self, collection: str, files: list[NewJobFile]) -> str:
        job_id = uuid.uuid4().hex
        with self.corpus.session() as session, session.begin():
            session.add(
                JobRow(id=job_id, collection=collection, status="queued", files_total=len(files))
            )
            session.flush()
            session.add_all(
                JobFileRow(job_id=job_id, name=f.name, blob=f.blob, path=f.path, size=f.size)
                for f in files
            )
        return job_id

    def get(self, job_id: str) -> Job | None:
        with self.corpus.session() as session:
            row = session.get(JobRow, job_id)
            if row is None:
                return None
            files = session.scalars(
                select(JobFileRow).where(JobFileRow.job_id == job_id).order_by(JobFileRow.id)
            ).all()
            return Job(
                row.id,
                row.collection,
                row.status,
                row.files_total,
                row.files_done,
                row.chunks,
                row.attempts,
                row.error,
                row.created_at,
                row.updated_at,
                tuple(_file(f) for f in files),
            )

    def claim(self, worker: str) -> str | None:
        """Take the oldest queued job, or a running one whose worker went silent."""
        stale = utcnow() - self.stale_after
        claimable = or_(
            JobRow.status == "queued",
            (JobRow.status == "running") & (JobRow.heartbeat_at < stale),
        )
        with self.corpus.session() as session, session.begin():
            query = select(JobRow.id).where(claimable).order_by(JobRow.created_at).limit(1)
            if session.bind is not None and session.bind.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            job_id = session.scalar(query)
            if job_id is None:
                return None
            # Conditional update: on SQLite (no row locks) a racing worker finds rowcount 0.
            claimed: Any = session.execute(
                update(JobRow)
                .where(JobRow.id == job_id, claimable)
                .values(
                    status="running",
                    worker=worker,
                    heartbeat_at=utcnow(),
                    attempts=JobRow.attempts + 1,
                )
            )
            return job_id if claimed.rowcount == 1 else None

    def heartbeat(self, job_id: str, worker: str) -> bool:
        """Refresh the claim; False if another worker has taken the job over."""
        with self.corpus.session() as session, session.begin():
            result: Any = session.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.worker == worker, JobRow.status == "running")
                .values(heartbeat_at=utcnow())
            )
            return bool(result.rowcount == 1)

    def next_file(self, job_id: str) -> JobFile | None:
        """The next unfinished file, its attempt counted before work starts (crash-safe).

        A file whose earlier attempts all died with their worker is marked failed here.
        """
        with self.corpus.session() as session, session.begin():
            while True:
                query = (
                    select(JobFileRow)
                    .where(
                        JobFileRow.job_id == job_id,
                        JobFileRow.status.not_in(FINISHED_FILE_STATES),
                    )
                    .order_by(JobFileRow.id)
                    .limit(1)
                )
                if session.get_bind().dialect.name == "postgresql":
                    query = query.with_for_update()  # attempts are counted, never lost
                row = session.scalar(query)
                if row is None:
                    return None
                if row.attempts < MAX_FILE_ATTEMPTS:
                    row.attempts += 1
                    row.status = "running"
                    return _file(row)
                row.status = "failed"
                row.error = f"gave up after {row.attempts} attempts: the worker stopped each time"
                self._count_done(session, job_id, 0)
                session.flush()

    def file_progress(self, file_id: int, done: int, total: int, resumed: int) -> None:
        with self.corpus.session() as session, session.begin():
            session.execute(
                update(JobFileRow)
                .where(JobFileRow.id == file_id, JobFileRow.status == "running")
                .values(chunks_done=done, chunks_total=total, chunks_resumed=resumed)
            )

    def release_file(self, job_id: str, file_id: int) -> None:
        """Put back a file a stopping worker interrupted; a clean stop costs no attempt."""
        with self.corpus.session() as session, session.begin():
            session.execute(
                update(JobFileRow)
                .where(
                    JobFileRow.id == file_id,
                    JobFileRow.job_id == job_id,
                    JobFileRow.status == "running",
                    JobFileRow.attempts > 0,
                )
                .values(status="queued", attempts=JobFileRow.attempts - 1)
            )

    def unfinished_blobs(self) -> set[str]:
        """Uploaded originals that a job has still to ingest."""
        with self.corpus.session() as session:
            query = select(JobFileRow.blob).where(
                JobFileRow.blob.is_not(None), JobFileRow.status.not_in(FINISHED_FILE_STATES)
            )
            return {b for b in session.scalars(query.distinct()) if b}

    def finish_file(
        self,
        job_id: str,
        file_id: int,
        status: str,
        error: str | None = None,
        document_id: int | None = None,
        chunks: int = 0,
    ) -> None:
        """Record a file's outcome once; a second call (a worker that lost the job) is a no-op."""
        with self.corpus.session() as session, session.begin():
            # Conditional UPDATE: of two racing calls only one matches, so counts stay exact.
            result: Any = session.execute(
                update(JobFileRow)
                .where(
                    JobFileRow.id == file_id,
                    JobFileRow.job_id == job_id,
                    JobFileRow.status.not_in(FINISHED_FILE_STATES),
                )
                .values(status=status, error=error, document_id=document_id, chunks=chunks)
            )
            if result.rowcount == 1:
                self._count_done(session, job_id, chunks)

    def _count_done(self, session: Any, job_id: str, chunks: int) -> None:
        session.execute(
            update(JobRow)
            .where(JobRow.id == job_id)
            .values(
                files_done=JobRow.files_done + 1,
                chunks=JobRow.chunks + chunks,
                heartbeat_at=utcnow(),
            )
        )

    def complete(self, job_id: str, worker: str) -> bool:
        """Close a job whose files are all finished: failed if none could be ingested."""
        with self.corpus.session() as session:
            states = list(
                session.scalars(select(JobFileRow.status).where(JobFileRow.job_id == job_id))
            )
            reasons = list(
                session.scalars(
                    select(JobFileRow.error)
                    .where(JobFileRow.job_id == job_id, JobFileRow.status.in_(NOT_INGESTED))
                    .limit(1)
                )
            )
        failed = sum(1 for s in states if s == "failed")
        if states and all(s in NOT_INGESTED for s in states):
            error = (
                reasons[0]
                if len(states) == 1
                else f"none of the {len(states)} files could be ingested"
            )
            return self.finish(job_id, "failed", error, worker=worker)
        error = f"{failed} of {len(states)} files failed" if failed else None
        return self.finish(job_id, "done", error, worker=worker)

    def finish(
        self,
        job_id: str,
        status: str = "done",
        error: str | None = None,
        worker: str | None = None,
    ) -> bool:
        """Close a job as done or failed; with `worker`, only while that worker still owns it.

        Returns False when nothing changed (the job was taken over meanwhile).
        """
        query = update(JobRow).where(JobRow.id == job_id)
        if worker is not None:
            query = query.where(JobRow.worker == worker, JobRow.status == "running")
        with self.corpus.session() as session, session.begin():
            result: Any = session.execute(query.values(status=status, error=error))
            return bool(result.rowcount == 1)

    def release(self, job_id: str, worker: str) -> bool:
        """Give a running job back to the queue (worker shutting down), if `worker` owns it.

        Any worker can claim it at once instead of waiting for its heartbeat to go stale.
        """
        with self.corpus.session() as session, session.begin():
            result: Any = session.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.worker == worker, JobRow.status == "running")
                .values(status="queued", worker=None, heartbeat_at=None)
            )
            return bool(result.rowcount == 1)
