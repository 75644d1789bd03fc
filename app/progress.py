"""A rich progress bar for ingestion: files, chunks, rate and ETA, on stderr.

A large file (several embedding batches) gets a second bar for its chunks while it runs.
"""

from pathlib import Path
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

from ingest.records import FileOutcome


class IngestProgress:
    def __init__(self, console: Console) -> None:
        self.chunks = 0
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.task: TaskID | None = None
        self.file_task: TaskID | None = None

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
        self.task = self.progress.add_task("ingesting", total=total_files, detail=_files(0, "-"))

    def file_progress(self, source: str, done: int, total: int, resumed: int) -> None:
        detail = "chunks" + (f" (resumed at {resumed})" if resumed else "")
        if self.file_task is None:
            self.file_task = self.progress.add_task(
                f"  {Path(source).name}", total=total, detail=""
            )
        self.progress.update(self.file_task, completed=done, total=total, detail=detail)

    def file_done(self, outcome: FileOutcome) -> None:
        if self.file_task is not None:
            self.progress.remove_task(self.file_task)
            self.file_task = None
        if self.task is None:
            return
        if outcome.outcome in ("added", "updated"):
            self.chunks += outcome.chunks
        elapsed = self.progress.tasks[self.task].elapsed or 0.0
        rate = f"{self.chunks / elapsed:.0f}" if elapsed > 0 else "-"
        self.progress.update(self.task, advance=1, detail=_files(self.chunks, rate))


def _files(chunks: int, rate: str) -> str:
    return f"files · {chunks} chunks · {rate} chunks/s"
