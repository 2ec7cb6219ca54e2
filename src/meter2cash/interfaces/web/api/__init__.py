"""The REST API under /api/v1: one module per area, each a router; schemas in ``schemas_*``
(Pydantic, separate from the storage models). Every route needs a session or an API token allowed
its action (``access.required_action``); errors are problem details. Documented in docs/api.md;
the OpenAPI document is at /api/v1/openapi.json."""

from __future__ import annotations

from fastapi import APIRouter

from meter2cash.interfaces.web.api import (
    account_detail,
    archive,
    billing,
    bills,
    determinants,
    documents,
    kpis,
    me,
    payments,
    quotes,
    reading,
    reading_decisions,
    tariffs,
)
from meter2cash.interfaces.web.api.access import document_required_actions
from meter2cash.interfaces.web.api.schemas_common import PROBLEM_RESPONSES

api_router = APIRouter(responses=PROBLEM_RESPONSES)
api_router.include_router(me.router)
for _area in (
    archive,
    account_detail,
    determinants,
    reading,
    reading_decisions,
    tariffs,
    quotes,
    billing,
    bills,
    documents,
    kpis,
    payments,
):
    api_router.include_router(_area.router)
document_required_actions(api_router)
