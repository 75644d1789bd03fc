"""Typed dependencies: the application object built in lifespan."""

from typing import Annotated

from fastapi import Depends, Request

from app.kotae import Kotae


def get_kotae(request: Request) -> Kotae:
    kotae: Kotae = request.app.state.kotae
    return kotae


KotaeDep = Annotated[Kotae, Depends(get_kotae)]
