"""Typed dependencies: the application object built in lifespan, and whose data a request sees."""

import hashlib
from typing import Annotated

from fastapi import Depends, Request

from app.api.limits import presented_key
from app.kotae import Kotae


def get_kotae(request: Request) -> Kotae:
    kotae: Kotae = request.app.state.kotae
    return kotae


KotaeDep = Annotated[Kotae, Depends(get_kotae)]


def get_owner(request: Request, kotae: KotaeDep) -> str:
    """Who owns the conversations a request sees: a hash of its API key (GuardMiddleware has
    checked the key; the key itself is never stored), "" when the service has no keys. A key
    removed from KOTAE_API_KEYS takes its conversations out of reach."""
    if not kotae.settings.api_key_list:
        return ""
    return hashlib.sha256(presented_key(request.scope) or b"").hexdigest()


OwnerDep = Annotated[str, Depends(get_owner)]
