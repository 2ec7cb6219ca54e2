"""The console's home (工作台): today's work for the user's roles and the KPIs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from meter2cash.interfaces.web.auth import Principal, requires
from meter2cash.interfaces.web.templating import render
from meter2cash.platform.permissions import Action

router = APIRouter()


@router.get("/")
def dashboard(
    request: Request, who: Annotated[Principal, Depends(requires(Action.ARCHIVE_READ))]
) -> Response:
    roles = sorted(r.value for r in who.actor.roles)
    return render(request, "console/dashboard.html", {"who": who, "roles": roles})
