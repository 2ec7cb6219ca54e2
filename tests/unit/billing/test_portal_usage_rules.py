"""The portal's usage figures (pure): a reading interval's kWh is spread evenly over its days,
intervals of several meters add up on a day, days without readings are empty; the monthly
figures are the regular bills' of the last months up to the newest."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from meter2cash.billing.portal_views import PortalBill, ReadingInterval, daily_use, monthly_use


def _bill(period: str, kwh: str, *, kind: str = "regular") -> PortalBill:
    return PortalBill(
        bill_no=f"B{period}{kind}",
        period=period,
        kind=kind,
        kwh=Decimal(kwh),
        amount=Decimal("10.00"),
        issued_on=date(2026, 1, 1),
        due_on=date(2026, 1, 16),
    )


def test_an_interval_is_spread_evenly_and_rounded_half_up_to_the_hundredth() -> None:
    days = daily_use([ReadingInterval(date(2026, 1, 1), date(2026, 1, 4), Decimal("10"))], days=3)
    assert [d.kwh for d in days] == [Decimal("3.33")] * 3
    assert all(d.averaged_over == 3 for d in days)
    assert days[-1].day == date(2026, 1, 3)


def test_meters_add_up_on_a_day_and_days_without_readings_are_empty() -> None:
    days = daily_use(
        [
            ReadingInterval(date(2026, 1, 1), date(2026, 1, 2), Decimal("4.25")),
            ReadingInterval(date(2026, 1, 1), date(2026, 1, 3), Decimal("3")),
            ReadingInterval(date(2026, 1, 5), date(2026, 1, 5), Decimal("9")),  # no days: ignored
        ],
        days=4,
    )
    assert [(d.day.day, d.kwh, d.averaged_over) for d in days] == [
        (30, None, 0),
        (31, None, 0),
        (1, Decimal("5.75"), 2),
        (2, Decimal("1.50"), 2),
    ]


def test_no_readings_no_days() -> None:
    assert daily_use([], days=30) == []


def test_months_are_the_regular_bills_up_to_the_newest_period() -> None:
    months = monthly_use(
        [_bill("2026-03", "120"), _bill("2026-01", "100"), _bill("2026-04", "-5", kind="adj-1")], months=3
    )
    assert [(m.period, m.kwh) for m in months] == [
        ("2026-01", Decimal(100)),
        ("2026-02", None),
        ("2026-03", Decimal(120)),
    ]
    assert monthly_use([_bill("2026-04", "-5", kind="adj-1")], months=3) == []
