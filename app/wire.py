"""Wire shapes shared by the CLI's --json output and the REST API (DESIGN.md's public interface)."""

from typing import Literal

from pydantic import BaseModel, Field

from app.asking import CitationOut
from generator.language import Language
from retriever.records import DocumentInfo, Hit


class ScoredChunk(BaseModel):
    """A retrieved chunk: what search hits and the passages shown with an answer share."""

    chunk_id: int
    document_id: int
    source: str
    title: str
    page: int
    text: str
    score: float


class HitOut(ScoredChunk):
    page_end: int


class PassageOut(ScoredChunk):
    n: int = Field(description="The passage number that `[n]` markers in the answer refer to.")


class AskResponse(BaseModel):
    """An answer with verified citations (`kotae ask --json` prints the same shape)."""

    answer: str = Field(description="The answer text, with [n] markers for its citations.")
    citations: list[CitationOut]
    abstained: bool = Field(description="True when the documents do not answer the question.")
    mode: Literal["generative", "extractive"]
    language: Language
    warnings: list[str]
    unsupported_sentences: list[str] = Field(
        description="Sentences of the answer that their cited passages do not support."
    )
    query: str = Field(description="The search query used (the question, condensed with history).")
    passages: list[PassageOut] = Field(description="The closest passages, in rank order.")


class DocumentOut(BaseModel):
    id: int
    collection: str
    source: str
    title: str
    mime: str
    content_hash: str
    size: int
    pages: int
    chunks: int
    status: str
    error: str | None
    created_at: str
    updated_at: str


def hit_out(hit: Hit) -> HitOut:
    c = hit.chunk
    return HitOut(
        chunk_id=c.id,
        document_id=c.document_id,
        source=c.source,
        title=c.title,
        page=c.page_start,
        page_end=c.page_end,
        text=c.text,
        score=round(hit.score, 6),
    )


def document_out(doc: DocumentInfo) -> DocumentOut:
    return DocumentOut(
        id=doc.id,
        collection=doc.collection,
        source=doc.source,
        title=doc.title,
        mime=doc.mime,
        content_hash=doc.content_hash,
        size=doc.size,
        pages=doc.pages,
        chunks=doc.chunks,
        status=doc.status,
        error=doc.error,
        created_at=doc.created_at.isoformat(),
        updated_at=doc.updated_at.isoformat(),
    )
