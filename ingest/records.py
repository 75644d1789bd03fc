"""What an ingest takes and reports: files in, an outcome per file out, progress and stop."""

from dataclasses import dataclass, field
from typing import Protocol

from ingest.chunking import TextChunk
from ingest.loaders import LoadedDocument
from retriever.records import NewDocument

# The version of what loading, normalizing and chunking make of a file. Bump it when a change
# alters the stored chunks: documents of an older version are re-processed by the next ingest
# of the same file (even unchanged) and by `kotae reindex --reembed`.
#   1: sentence chunks. 2: heading paths as chunk context, sections (and slides) as chunk
#   bounds, no HTML navigation, unreadable PDF pages skipped, spaced identifiers repaired.
#   3: PDF pages without a usable text layer read by OCR; HTML table rows on one line; a
#   table's header row in the context of its chunks. 4: a plain text's title (the context of
#   its chunks) from its first line when that reads as a title. 5: a PDF's running headers and
#   footers dropped.
TEXT_VERSION = 5


class IngestInterrupted(Exception):
    """`stop` was set between two batches of a file; its embedded batches stay staged."""


@dataclass(frozen=True)
class FileInput:
    """One file to ingest: where it came from (its identity in the collection) and its bytes."""

    source: str
    name: str
    data: bytes


@dataclass(frozen=True)
class FileOutcome:
    source: str
    # "added" | "updated" | "unchanged" | "duplicate" | "failed" | "skipped"
    outcome: str
    chunks: int = 0
    reason: str | None = None
    document_id: int | None = None
    # What was left out of a file that was ingested ("page 3: text layer unreadable, skipped"),
    # and how many pages OCR read.
    warnings: tuple[str, ...] = ()


@dataclass
class IngestReport:
    files: list[FileOutcome] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, outcome: str) -> int:
        return sum(1 for f in self.files if f.outcome == outcome)

    @property
    def chunks(self) -> int:
        return sum(f.chunks for f in self.files if f.outcome in ("added", "updated"))

    @property
    def failed(self) -> list[FileOutcome]:
        return [f for f in self.files if f.outcome == "failed"]


@dataclass
class PreparedFile:
    """A file loaded, normalized and chunked: what is left is to embed and store it."""

    item: FileInput
    content_hash: str
    document: LoadedDocument
    page_offsets: list[int]
    chunks: list[TextChunk]

    def new_document(self, collection: str) -> NewDocument:
        return NewDocument(
            collection=collection,
            source=self.item.source,
            title=self.document.title,
            mime=self.document.mime,
            content_hash=self.content_hash,
            size=len(self.item.data),
            page_offsets=self.page_offsets,
            text_version=TEXT_VERSION,
        )


class StopSignal(Protocol):
    def is_set(self) -> bool: ...


class ProgressListener(Protocol):
    def started(self, total_files: int) -> None: ...
    def file_done(self, outcome: FileOutcome) -> None: ...
    def file_progress(self, source: str, done: int, total: int, resumed: int) -> None:
        """Chunks of a large file embedded so far (`resumed` of them by an earlier attempt)."""
