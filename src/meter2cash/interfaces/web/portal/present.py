"""How the portal shows numbers and charts: exact text for kWh and 元 (never a float), and the
ECharts options of the usage charts (drawn by static/app.js from ``data-option``; the values are
decimal strings, which ECharts reads as numbers). Pure."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from meter2cash.billing.portal_views import DayUse, MonthUse
from meter2cash.platform.i18n import N_
from meter2cash.platform.i18n import gettext as _

MISSING = "-"  # ECharts' mark for "no value"
AVERAGED_OPACITY = 0.45

REMINDER_LABELS: dict[str, str] = {
    "sms": N_("Text message (SMS)"),
    "email": N_("E-mail"),
    "letter": N_("Letter to the address on file"),
    "none": N_("No reminders"),
}


def kwh_text(value: Decimal | None) -> str:
    """kWh without trailing zeros: 300.00000000 → 300, 12.50 → 12.5."""
    if value is None:
        return MISSING
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def money_text(value: Decimal | None) -> str:
    """元 with two decimals, exactly: 1234.5 → 1234.50."""
    return MISSING if value is None else f"{value.quantize(Decimal('0.01'))}"


def monthly_chart(months: Sequence[MonthUse]) -> dict[str, Any]:
    """A bar per month: the kWh of the month's issued bill."""
    return {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 56, "right": 16, "top": 32, "bottom": 32},
        "xAxis": {"type": "category", "data": [m.period for m in months]},
        "yAxis": {"type": "value", "name": "kWh"},
        "series": [
            {
                "type": "bar",
                "name": _("kWh billed"),
                "data": [MISSING if m.kwh is None else kwh_text(m.kwh) for m in months],
            }
        ],
    }


def daily_chart(days: Sequence[DayUse]) -> dict[str, Any]:
    """A bar per day; a day averaged over a reading interval longer than one day is drawn lighter."""
    data: list[object] = []
    for d in days:
        if d.kwh is None:
            data.append(MISSING)
        elif d.averaged_over > 1:
            data.append({"value": kwh_text(d.kwh), "itemStyle": {"opacity": AVERAGED_OPACITY}})
        else:
            data.append(kwh_text(d.kwh))
    return {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 56, "right": 16, "top": 32, "bottom": 32},
        "xAxis": {"type": "category", "data": [d.day.isoformat() for d in days]},
        "yAxis": {"type": "value", "name": "kWh"},
        "series": [{"type": "bar", "name": _("kWh per day"), "data": data}],
    }


def averaged(days: Sequence[DayUse]) -> bool:
    """Whether any day shown is an average over a longer reading interval."""
    return any(d.averaged_over > 1 for d in days)
