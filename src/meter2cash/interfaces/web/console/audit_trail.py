"""The audit trail of one object (审计日志): who did what, when, before and after, and why — the
records ``m2c audit show TYPE ID`` prints (platform.audit.history)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from meter2cash.interfaces.web.auth import Principal, app_context, requires
from meter2cash.interfaces.web.console.audit_changes import changes
from meter2cash.interfaces.web.console.pages import page
from meter2cash.platform.audit import AuditRecord, history
from meter2cash.platform.context import use_case
from meter2cash.platform.permissions import Action

router = APIRouter()

# The object types the console links to; any other may be typed in.
KNOWN_TYPES = (
    "account",
    "service_point",
    "bill",
    "bill_issue",
    "reading_exception",
    "reading_edit",
    "reading_period",
    "tariff_version",
    "correction",
    "user",
)


@router.get("/audit")
def audit(
    request: Request,
    who: Annotated[Principal, Depends(requires(Action.AUDIT_READ))],
    object_type: Annotated[str, Query(max_length=64)] = "",
    object_id: Annotated[str, Query(max_length=128)] = "",
) -> Response:
    """The form, and the object's records oldest first."""
    records: list[dict[str, Any]] = []
    asked = bool(object_type.strip() and object_id.strip())
    if asked:
        with use_case(app_context(request), actor=who.username, action=Action.AUDIT_READ) as (session, _who):
            records = [
                _record(r)
                for r in history(session, object_type=object_type.strip(), object_id=object_id.strip())
            ]
    return page(
        request,
        "console/audit.html",
        {
            "object_type": object_type,
            "object_id": object_id,
            "asked": asked,
            "records": records,
            "known_types": KNOWN_TYPES,
        },
    )


def _record(record: AuditRecord) -> dict[str, Any]:
    return {
        "seq": record.seq,
        "at": record.occurred_at,
        "actor": record.actor,
        "action": record.action,
        "reason": record.reason,
        "changes": changes(record.before, record.after),
        "hash": record.hash,
    }
