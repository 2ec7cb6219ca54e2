"""Customer 360 (客户全景): find an account by number, name, address or meter number, and see
its archive, meter history, readings with a chart, bills and events on one page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from meter2cash.interfaces.web.auth import Principal, app_context, requires
from meter2cash.interfaces.web.console.audit_changes import changes
from meter2cash.interfaces.web.console.charts import bar_chart, line_chart
from meter2cash.interfaces.web.console.customer_queries import Customer360, customer_360, search_accounts
from meter2cash.interfaces.web.console.pages import page
from meter2cash.platform.audit import AuditRecord
from meter2cash.platform.clock import business_date
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action

router = APIRouter()


@router.get("/customers")
def customers(
    request: Request,
    who: Annotated[Principal, Depends(requires(Action.ARCHIVE_READ))],
    q: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """The search form and the accounts found."""
    ctx = app_context(request)
    with ctx.sessions() as session:
        hits = search_accounts(session, term=q, today=business_date(ctx.clock.now()))
    return page(request, "console/customers.html", {"q": q, "hits": hits, "searched": bool(q.strip())})


@router.get("/customers/{account_no}")
def customer(
    request: Request,
    account_no: str,
    who: Annotated[Principal, Depends(requires(Action.ARCHIVE_READ))],
) -> Response:
    """One account, everything about it."""
    ctx = app_context(request)
    with ctx.sessions() as session:
        found = customer_360(session, account_no=account_no, with_events=who.may(Action.AUDIT_READ))
    return page(
        request,
        "console/customer.html",
        {
            "c": found,
            "charts": _charts(found),
            "may_audit": who.may(Action.AUDIT_READ),
            "may_enrol": who.may(Action.PORTAL_ENROL),
            "events": [_event(r) for r in found.events],
        },
    )


def _charts(found: Customer360) -> dict[str, dict[str, Any]]:
    charts: dict[str, dict[str, Any]] = {}
    shown = [(r, no) for r, no in reversed(found.readings) if r.status in ("valid", "exception")]
    if shown:
        days = sorted({r.read_on.isoformat() for r, _no in shown})
        series: dict[str, list[object]] = {}
        for meter_no in sorted({no for _r, no in shown}):
            by_day = {r.read_on.isoformat(): r.total for r, no in shown if no == meter_no}
            series[_("Meter {meter}").format(meter=meter_no)] = [by_day.get(day) for day in days]
        charts["readings"] = line_chart(title=_("Total register (kWh)"), x=days, series=series, unit="kWh")
    if found.determinants:
        charts["usage"] = bar_chart(
            title=_("Billed energy by period (kWh)"),
            values={d.period: d.kwh_total for d in found.determinants},
            unit="kWh",
        )
    return charts


def _event(record: AuditRecord) -> dict[str, Any]:
    return {
        "seq": record.seq,
        "at": record.occurred_at,
        "actor": record.actor,
        "action": record.action,
        "object_type": record.object_type,
        "object_id": record.object_id,
        "reason": record.reason,
        "changes": changes(record.before, record.after)[:8],
    }
