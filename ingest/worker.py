"""The ingest worker: claims durable jobs and runs their files through the pipeline.

Several workers (processes or threads) may share one database. A worker owns the job it
claimed only while it heart-beats; once another worker has taken the job over it stops
after the file in hand, so two workers never go on with the same job.
"""

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from ingest.blobs import BlobStore
from ingest.jobs import JobFile, JobQueue
from ingest.pipeline import FileInput, FileOutcome, IngestPipeline

log = logging.getLogger(__name__)


class Worker:
    def __init__(
        self,
        queue: JobQueue,
        pipeline: IngestPipeline,
        blobs: BlobStore,
        on_change: Callable[[], None] | None = None,
        poll_interval: float = 0.5,
        heartbeat_interval: float | None = None,
    ) -> None:
        self.queue = queue
        self.pipeline = pipeline
        self.blobs = blobs
        self.on_change = on_change
        self.poll_interval = poll_interval
        # Several beats fit in the stale window, so one slow beat never looks like a dead worker.
        stale = queue.stale_after.total_seconds()
        self.heartbeat_interval = heartbeat_interval or max(0.1, min(5.0, stale / 3))
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"

    def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set; an unexpected error fails the job, never the worker."""
        while not stop.is_set():
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

        "done": every file finished (per-file failures are recorded on the files);
        "lost": another worker took the job over; "released": `stop` was set, and the job
        went back to the queue for any worker. A KeyboardInterrupt releases it too.
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
                    self.queue.finish(job_id, "done", worker=self.name)
                    return "done"
                outcome = self._ingest(file, job.collection)
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

    def _release_quietly(self, job_id: str) -> None:
        try:
            self.queue.release(job_id, self.name)
        except (SQLAlchemyError, KeyboardInterrupt):  # stale takeover will recover it
            log.warning("could not release job %s on interrupt", job_id)

    def _ingest(self, file: JobFile, collection: str) -> FileOutcome:
        try:
            if file.blob:
                data = self.blobs.get(file.blob)
                source = file.name
            else:
                data = Path(file.path or "").read_bytes()
                source = str(Path(file.path or "").resolve())
        except OSError as e:
            return FileOutcome(file.name, "failed", reason=f"cannot read file: {e.strerror}")
        report = self.pipeline.ingest_files([FileInput(source, file.name, data)], 1, collection)
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
