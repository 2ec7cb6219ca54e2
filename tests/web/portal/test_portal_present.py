"""How the portal shows numbers and charts (pure): exact text, never a float; a day averaged over a
longer reading interval is drawn lighter; a month without a bill is a gap."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from meter2cash.billing.portal_views import DayUse, MonthUse
from meter2cash.interfaces.web.portal.present import daily_chart, kwh_text, money_text, monthly_chart


def test_kwh_and_money_are_exact_text() -> None:
    assert kwh_text(Decimal("300.00000000")) == "300"
    assert kwh_text(Decimal("12.50")) == "12.5"
    assert kwh_text(Decimal("0E-8")) == "0"
    assert money_text(Decimal("1234.5")) == "1234.50"
    assert money_text(Decimal("-6.50")) == "-6.50"


def test_the_charts_carry_decimal_strings_and_gaps() -> None:
    monthly = monthly_chart(
        [MonthUse("2026-05", None, None), MonthUse("2026-06", Decimal("300.00000000"), Decimal(1))]
    )
    assert monthly["series"][0]["data"] == ["-", "300"]
    daily = daily_chart(
        [
            DayUse(date(2026, 6, 14), Decimal("9.68"), 31),
            DayUse(date(2026, 6, 15), Decimal("10.50"), 1),
            DayUse(date(2026, 6, 16), None, 0),
        ]
    )
    data = daily["series"][0]["data"]
    assert data[0]["value"] == "9.68" and data[0]["itemStyle"]["opacity"] < 1
    assert data[1:] == ["10.5", "-"]
    assert "float" not in json.dumps(daily)  # plain JSON: strings, no binary floats of kWh
