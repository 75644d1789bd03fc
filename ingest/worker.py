"""The ingest worker: claims durable jobs and runs their files through the pipeline.

Several workers (processes or threads) may share one database. A worker owns the job it
claimed only while it heart-beats; once another worker has taken the job over it stops
after the file in hand, so two workers never go on with the same job.
"""

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from ingest.blobs import BlobStore
from ingest.jobs import JobFile, JobQueue
from ingest.pipeline import IngestPipeline
from ingest.records import FileInput, FileOutcome, IngestInterrupted

log = logging.getLogger(__name__)


class _AnyOf:
    """Set when any of the events is: the pipeline stops on shutdown or on a takeover."""

    def __init__(self, *events: threading.Event) -> None:
        self.events = events

    def is_set(self) -> bool:
        return any(e.is_set() for e in self.events)


class _FileProgress:
    """Writes a large file's chunk progress to its job file, for /v1/jobs/{id}."""

    def __init__(self, queue: JobQueue, file_id: int) -> None:
        self.queue = queue
        self.file_id = file_id

    def started(self, total_files: int) -> None:
        pass

    def file_done(self, outcome: FileOutcome) -> None:
        pass

    def file_progress(self, source: str, done: int, total: int, resumed: int) -> None:
        try:
            self.queue.file_progress(self.file_id, done, total, resumed)
        except SQLAlchemyError:  # progress is a nicety; the ingest goes on
            log.exception("cannot record the progress of %s", source)


class Worker:
    def __init__(
        self,
        queue: JobQueue,
        pipeline: IngestPipeline,
        blobs: BlobStore,
        *,
        sweep_interval: float,
        sweep: Callable[[], None] | None = None,
        on_change: Callable[[], None] | None = None,
        poll_interval: float = 0.5,
        heartbeat_interval: float | None = None,
    ) -> None:
        self.queue = queue
        self.pipeline = pipeline
        self.blobs = blobs
        self.on_change = on_change
        self.poll_interval = poll_interval
        self.sweep = sweep  # housekeeping (orphan originals), at start and then periodically
        self.sweep_interval = sweep_interval
        # Several beats fit in the stale window, so one slow beat never looks like a dead worker.
        stale = queue.stale_after.total_seconds()
        self.heartbeat_interval = heartbeat_interval or max(0.1, min(5.0, stale / 3))
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"

    def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set; an unexpected error fails the job, never the worker."""
        next_sweep = time.monotonic()
        while not stop.is_set():
            if self.sweep is not None and time.monotonic() >= next_sweep:
                next_sweep = time.monotonic() + self.sweep_interval
                self._sweep_quietly()
            try:
                job_id = self.queue.claim(self.name)
            except SQLAlchemyError:  # database away for a moment: try again, don't die
                log.exception("cannot claim a job")
                stop.wait(max(self.poll_interval, 2.0))
                continue
            if job_id is None:
                stop.wait(self.poll_interval)
                continue
            try:
                self.run_job(job_id, stop)
            except Exception as e:  # the job records the error; the worker keeps serving others
                log.exception("job %s failed", job_id)
                self._fail(job_id, f"{type(e).__name__}: {e}")

    def run_job(self, job_id: str, stop: threading.Event | None = None) -> str:
        """Process a claimed job file by file; returns why it ended.

        "done": every file finished (per-file failures are recorded on the files; the job is
        closed as failed if none could be ingested); "lost": another worker took the job over;
        "released": `stop` was set (checked between files and between the batches of a large
        one), and the job went back to the queue for any worker. A KeyboardInterrupt
        releases it too.
        """
        job = self.queue.get(job_id)
        if job is None:
            return "lost"
        lost = threading.Event()
        beating = threading.Event()
        beat = threading.Thread(
            target=self._heartbeat, args=(job_id, beating, lost), name="job-heartbeat", daemon=True
        )
        beat.start()
        try:
            while True:
                if stop is not None and stop.is_set():
                    self.queue.release(job_id, self.name)
                    return "released"
                # Checked before each file, not only by the beat thread, so a takeover is
                # seen at once and this worker never starts a file the new owner will run.
                if lost.is_set() or not self.queue.heartbeat(job_id, self.name):
                    log.warning("job %s was taken over by another worker; leaving it", job_id)
                    return "lost"
                file = self.queue.next_file(job_id)
                if file is None:
                    self.queue.complete(job_id, self.name)
                    return "done"
                try:
                    outcome = self._ingest(
                        file, job.collection, _AnyOf(lost, *filter(None, [stop]))
                    )
                except IngestInterrupted:
                    if lost.is_set():
                        return "lost"  # the new owner resumes from the staged batches
                    self.queue.release_file(job_id, file.id)
                    self.queue.release(job_id, self.name)
                    return "released"
                if outcome.warnings:  # the job tables keep no warnings: the log does
                    log.warning("job %s: %s: %s", job_id, file.name, "; ".join(outcome.warnings))
                self.queue.finish_file(
                    job_id,
                    file.id,
                    outcome.outcome,
                    outcome.reason,
                    outcome.document_id,
                    outcome.chunks,
                )
                if self.on_change and outcome.outcome in ("added", "updated"):
                    self.on_change()
        except KeyboardInterrupt:
            self._release_quietly(job_id)
            raise
        finally:
            beating.set()

    def _fail(self, job_id: str, error: str) -> None:
        try:
            self.queue.finish(job_id, "failed", error, worker=self.name)
        except SQLAlchemyError:  # left running: its heartbeat goes stale and another worker retries
            log.exception("cannot record the failure of job %s", job_id)

    def _sweep_quietly(self) -> None:
        try:
            self.sweep()  # type: ignore[misc]
        except Exception:  # housekeeping never stops the worker
            log.exception("sweep failed")

    def _release_quietly(self, job_id: str) -> None:
        try:
            self.queue.release(job_id, self.name)
        except (SQLAlchemyError, KeyboardInterrupt):  # stale takeover will recover it
            log.warning("could not release job %s on interrupt", job_id)

    def _ingest(self, file: JobFile, collection: str, stop: _AnyOf) -> FileOutcome:
        try:
            if file.blob:
                data = self.blobs.get(file.blob)
                source = file.name
            else:
                data = Path(file.path or "").read_bytes()
                source = str(Path(file.path or "").resolve())
        except OSError as e:
            return FileOutcome(file.name, "failed", reason=f"cannot read file: {e.strerror}")
        report = self.pipeline.ingest_files(
            [FileInput(source, file.name, data)],
            1,
            collection,
            progress=_FileProgress(self.queue, file.id),
            stop=stop,
        )
        return report.files[0]

    def _heartbeat(self, job_id: str, done: threading.Event, lost: threading.Event) -> None:
        # Keeps the claim alive while one long file is processed.
        while not done.wait(self.heartbeat_interval):
            try:
                alive = self.queue.heartbeat(job_id, self.name)
            except SQLAlchemyError:
                log.exception("heartbeat of job %s failed", job_id)
                continue
            if not alive:
                lost.set()
                return
