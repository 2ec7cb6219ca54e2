"""The REST API under /api/v1: one module per area, each a router; schemas in ``schemas``
(Pydantic, separate from the storage models). Documented in docs/api.md; the OpenAPI document is
at /api/v1/openapi.json."""

from __future__ import annotations

from fastapi import APIRouter

from meter2cash.interfaces.web.api import me

api_router = APIRouter()
api_router.include_router(me.router)
