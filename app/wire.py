"""Wire shapes shared by the CLI's --json output and the REST API (DESIGN.md's public interface)."""

from pydantic import BaseModel

from retriever.records import DocumentInfo, Hit


class HitOut(BaseModel):
    chunk_id: int
    document_id: int
    source: str
    title: str
    page: int
    page_end: int
    text: str
    score: float


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
