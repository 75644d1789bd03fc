"""Typed records passed between the store, the indexes and their callers."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from text.normalize import unwrap_cjk_lines


def searchable_text(context: str, text: str) -> str:
    """What is embedded and keyword-indexed for a chunk: its heading path, then its text, with
    lines wrapped inside Japanese words joined."""
    text = unwrap_cjk_lines(text)
    return f"{context}\n{text}" if context else text


@dataclass(frozen=True)
class NewDocument:
    """A document's metadata, as the ingest pipeline stores it with its chunks."""

    collection: str
    source: str
    title: str
    mime: str
    content_hash: str
    size: int
    page_offsets: Sequence[int]
    text_version: int


@dataclass(frozen=True)
class NewChunk:
    """A chunk ready to be stored: text, position in its document, context and embedding."""

    text: str
    char_start: int
    char_end: int
    page_start: int
    page_end: int
    token_count: int
    embedding: np.ndarray
    context: str = ""


@dataclass(frozen=True)
class DocumentInfo:
    id: int
    collection: str
    source: str
    title: str
    mime: str
    content_hash: str
    size: int
    pages: int
    status: str  # "ready" | "failed"
    error: str | None
    chunks: int
    created_at: datetime
    updated_at: datetime
    text_version: int = 0


@dataclass(frozen=True)
class ChunkRecord:
    id: int
    document_id: int
    collection: str
    source: str
    title: str
    text: str
    page_start: int
    page_end: int
    char_start: int
    char_end: int
    context: str = ""

    @property
    def heading_path(self) -> str:
        """ "Title › Section › Subsection"; the title alone for a chunk stored before chunks
        had a context."""
        return self.context or self.title


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk with its fused score (higher is better)."""

    chunk: ChunkRecord
    score: float
    dense_score: float | None = None
    keyword_score: float | None = None

    @property
    def chunk_id(self) -> int:
        return self.chunk.id


@dataclass(frozen=True)
class Change:
    seq: int
    op: str  # "add" | "delete"
    chunk_id: int
