"""POST /v1/search."""

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.api.deps import KotaeDep
from app.api.envelope import API_ERRORS, error_responses
from app.api.params import CollectionName, StoredId
from app.wire import HitOut, hit_out

router = APIRouter(responses=API_ERRORS)


class SearchRequest(BaseModel):
    query: str = Field(min_length=1, max_length=4000)
    collection: CollectionName | None = None
    document_ids: list[StoredId] | None = Field(default=None, max_length=1000)
    top_k: int = Field(default=10, ge=1, le=100)


class SearchResponse(BaseModel):
    hits: list[HitOut]


@router.post("/v1/search", responses=error_responses(400, 422))
def search(body: SearchRequest, kotae: KotaeDep) -> SearchResponse:
    hits = kotae.search(body.query, body.top_k, body.collection, body.document_ids)
    return SearchResponse(hits=[hit_out(h) for h in hits])
