"""Typed records passed between the store, the indexes and their callers."""

from dataclasses import dataclass
from datetime import datetime

import numpy as np


@dataclass(frozen=True)
class NewChunk:
    """A chunk ready to be stored: text, position in its document and its embedding."""

    text: str
    char_start: int
    char_end: int
    page_start: int
    page_end: int
    token_count: int
    embedding: np.ndarray


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
