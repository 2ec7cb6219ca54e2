"""Who am I: the authenticated staff user, their roles and how they came (session or token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from meter2cash.interfaces.web.auth import Principal, principal

router = APIRouter(tags=["session"])


class Me(BaseModel):
    username: str
    roles: list[str]
    via: str
    scopes: list[str] | None


@router.get("/me", response_model=Me, summary="The authenticated user")
async def me(who: Annotated[Principal, Depends(principal)]) -> Me:
    return Me(
        username=who.username,
        roles=sorted(r.value for r in who.actor.roles),
        via=who.via,
        scopes=None if who.scopes is None else sorted(a.value for a in who.scopes),
    )
