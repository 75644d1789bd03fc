"""A rich progress bar for ingestion: files, chunks, rate and ETA, on stderr."""

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ingest.pipeline import FileOutcome


class IngestProgress:
    def __init__(self, console: Console) -> None:
        self.chunks = 0
        self.progress = Progress(
            TextColumn("ingesting"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("files · {task.fields[chunks]} chunks · {task.fields[rate]} chunks/s"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.task: TaskID | None = None

    def __enter__(self) -> "IngestProgress":
        self.progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.progress.stop()

    def started(self, total_files: int) -> None:
        self.task = self.progress.add_task("ingest", total=total_files, chunks=0, rate="-")

    def file_done(self, outcome: FileOutcome) -> None:
        if self.task is None:
            return
        if outcome.outcome in ("added", "updated"):
            self.chunks += outcome.chunks
        elapsed = self.progress.tasks[self.task].elapsed or 0.0
        rate = f"{self.chunks / elapsed:.0f}" if elapsed > 0 else "-"
        self.progress.update(self.task, advance=1, chunks=self.chunks, rate=rate)
