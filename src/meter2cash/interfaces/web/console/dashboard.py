"""The console's home (工作台): today's work for the user's roles and the KPIs of the latest
periods, with charts: reading KPIs (reading.kpis) and billing KPIs (billing.bill_kpis)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from meter2cash.billing.bill_kpis import bill_kpis
from meter2cash.interfaces.web.auth import Principal, app_context, requires
from meter2cash.interfaces.web.console.charts import bar_chart, pie_chart
from meter2cash.interfaces.web.console.labels import check_title, label
from meter2cash.interfaces.web.console.pages import page
from meter2cash.interfaces.web.console.worklist import latest_bill_period, latest_reading_period, todays_work
from meter2cash.platform.clock import business_date
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import ROLE_NAMES_ZH, Action
from meter2cash.reading.kpis import reading_kpis

router = APIRouter()


@router.get("/")
def dashboard(
    request: Request, who: Annotated[Principal, Depends(requires(Action.ARCHIVE_READ))]
) -> Response:
    """Today's work and the latest KPIs."""
    ctx = app_context(request)
    today = business_date(ctx.clock.now())
    with ctx.sessions() as session:
        work = todays_work(session, who=who)
        reading_period = latest_reading_period(session)
        bill_period = latest_bill_period(session)
        reading = (
            reading_kpis(session, period=reading_period, today=today).as_dict() if reading_period else None
        )
    bills = bill_kpis(ctx, actor=who.username, period=bill_period).as_json() if bill_period else None
    roles = sorted(r.value for r in who.actor.roles)
    return page(
        request,
        "console/dashboard.html",
        {
            "who": who,
            "roles": roles,
            "role_names": [ROLE_NAMES_ZH[r] for r in sorted(who.actor.roles)],
            "work": work,
            "reading": reading,
            "bills": bills,
            "charts": _charts(reading, bills),
        },
    )


def _charts(reading: dict[str, Any] | None, bills: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    charts: dict[str, dict[str, Any]] = {}
    if reading is not None:
        rates = {
            _("Reading rate"): reading["reading_rate_pct"],
            _("Actual-read rate"): reading["actual_read_rate_pct"],
            _("First-try success"): reading["first_try_success_pct"],
            _("Error rate"): reading["error_rate_pct"],
        }
        charts["reading_rates"] = bar_chart(title=_("Reading KPIs (%)"), values=rates, unit="%")
        if reading["exceptions_by_code"]:
            charts["exceptions"] = bar_chart(
                title=_("Reading exceptions by check"),
                values={check_title(code): n for code, n in reading["exceptions_by_code"].items()},
            )
    if bills is not None:
        if bills["by_state"]:
            charts["bill_states"] = pie_chart(
                title=_("Bills by state"),
                values={label("bill_state", state): n for state, n in bills["by_state"].items()},
            )
        shares = bills["review"]["flagged_share_by_code_pct"]
        if shares:
            charts["flagged"] = bar_chart(
                title=_("Flagged share by finding (%)"),
                values={check_title(code): share for code, share in shares.items()},
                unit="%",
            )
    return charts
