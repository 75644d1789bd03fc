"""Wire shapes of search: /v1/search's request and hits (`kotae search --json` prints the same)."""

from typing import Any, Self

from pydantic import BaseModel, Field

from app.schemas.params import CollectionName, StoredId
from retriever.records import Hit


class SearchRequest(BaseModel):
    query: str = Field(min_length=1, max_length=4000)
    collection: CollectionName | None = None
    document_ids: list[StoredId] | None = Field(default=None, max_length=1000)
    top_k: int | None = Field(
        default=None, ge=1, le=100, description="Hits to return (default: KOTAE_SEARCH_TOP_K)."
    )


class ScoredChunk(BaseModel):
    """A retrieved chunk: what search hits and the passages shown with an answer share."""

    chunk_id: int
    document_id: int
    source: str
    title: str
    context: str = Field(description='Where the chunk sits: "Title › Section › Subsection".')
    page: int
    text: str
    score: float

    @classmethod
    def of(cls, hit: Hit, **extra: Any) -> Self:
        """The shape of `hit`; `extra` fills the fields a subclass adds."""
        c = hit.chunk
        return cls(
            chunk_id=c.id,
            document_id=c.document_id,
            source=c.source,
            title=c.title,
            context=c.heading_path,
            page=c.page_start,
            text=c.text,
            score=round(hit.score, 6),
            **extra,
        )


class HitOut(ScoredChunk):
    page_end: int

    @classmethod
    def of(cls, hit: Hit, **extra: Any) -> Self:
        return super().of(hit, page_end=hit.chunk.page_end, **extra)


class SearchResponse(BaseModel):
    hits: list[HitOut]
