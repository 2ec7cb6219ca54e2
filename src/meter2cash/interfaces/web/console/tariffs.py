"""The tariff catalog (电价目录): every stored version by code and start day, and one version with
every price, time-of-use multiplier, fund and rule — what ``m2c tariff list | show`` print."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from meter2cash.billing.catalog import get_version, list_versions
from meter2cash.billing.catalog_files import decimal_text
from meter2cash.billing.tariff import TOU_PERIODS, Tariff, TouPeriod
from meter2cash.interfaces.web.auth import Principal, app_context, requires
from meter2cash.interfaces.web.console.pages import page
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action

router = APIRouter()


@router.get("/tariffs")
def tariffs(
    request: Request,
    who: Annotated[Principal, Depends(requires(Action.BILL_READ))],
    on: Annotated[date | None, Query()] = None,
) -> Response:
    """The stored versions (only those in effect on ``on``, when given)."""
    versions = list_versions(app_context(request), actor=who.username, on=on)
    return page(request, "console/tariffs.html", {"versions": versions, "on": on})


@router.get("/tariffs/{code}")
def tariff(
    request: Request,
    code: str,
    who: Annotated[Principal, Depends(requires(Action.BILL_READ))],
    on: Annotated[date | None, Query()] = None,
) -> Response:
    """The version of ``code`` in effect on ``on`` (today by default)."""
    stored = get_version(app_context(request), actor=who.username, code=code, on=on)
    return page(
        request,
        "console/tariff.html",
        {
            "s": stored.summary,
            "t": stored.tariff,
            "tou_rows": _tou_rows(stored.tariff),
            "periods": TOU_PERIODS,
            "may_audit": who.may(Action.AUDIT_READ),
        },
    )


def _tou_rows(t: Tariff) -> list[tuple[str, dict[TouPeriod, str]]]:
    """(season, period → "×multiplier = price") for the default multipliers and each season."""
    tou = t.energy.tou
    if tou is None:
        return []
    base = t.energy.base_price
    rows = [(_("All year"), tou.multipliers)]
    rows += [
        (
            _("{season}: months {months}").format(
                season=s.name, months=", ".join(map(str, sorted(s.months)))
            ),
            s.multipliers,
        )
        for s in tou.seasons
    ]
    return [
        (name, {p: f"×{_text(m)} = {_text(base * m)}" for p, m in multipliers.items()})
        for name, multipliers in rows
    ]


def _text(value: Decimal) -> str:
    return decimal_text(value)
