"""POST /v1/search."""

from fastapi import APIRouter

from app.api.deps import KotaeDep
from app.api.envelope import API_ERRORS, error_responses
from app.schemas.search import HitOut, SearchRequest, SearchResponse

router = APIRouter(responses=API_ERRORS)


@router.post("/v1/search", responses=error_responses(400, 422))
def search(body: SearchRequest, kotae: KotaeDep) -> SearchResponse:
    hits = kotae.searching.search(body.query, body.top_k, body.collection, body.document_ids)
    return SearchResponse(hits=[HitOut.of(h) for h in hits])
