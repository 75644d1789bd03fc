"""The ingest worker: claims durable jobs and runs their files through the pipeline."""

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

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
        heartbeat_interval: float = 5.0,
    ) -> None:
        self.queue = queue
        self.pipeline = pipeline
        self.blobs = blobs
        self.on_change = on_change
        self.poll_interval = poll_interval
        self.heartbeat_interval = heartbeat_interval
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"

    def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set; an unexpected error fails the job, never the worker."""
        while not stop.is_set():
            job_id = self.queue.claim(self.name)
            if job_id is None:
                stop.wait(self.poll_interval)
                continue
            try:
                self.run_job(job_id, stop)
            except Exception as e:  # the job records the error; the worker keeps serving others
                log.exception("job %s failed", job_id)
                self.queue.finish(job_id, "failed", f"{type(e).__name__}: {e}")

    def run_job(self, job_id: str, stop: threading.Event | None = None) -> None:
        job = self.queue.get(job_id)
        if job is None:
            return
        beating = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(job_id, beating), daemon=True)
        beat.start()
        try:
            while stop is None or not stop.is_set():
                file = self.queue.next_file(job_id)
                if file is None:
                    self.queue.finish(job_id, "done")
                    return
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
        finally:
            beating.set()

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

    def _heartbeat(self, job_id: str, done: threading.Event) -> None:
        while not done.wait(self.heartbeat_interval):
            if not self.queue.heartbeat(job_id, self.name):
                log.warning("job %s was taken over by another worker", job_id)
                return
