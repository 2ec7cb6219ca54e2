"""The portal's read models on SQLite and PostgreSQL: billed and due is the sum of the account's
receivables, the monthly chart the issued bills' kWh, and the daily chart the kWh between the
meter's stored readings spread over the days between them."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from portal_setup import PERIOD, bill_numbers, issued_bureau
from sqlalchemy import select

from meter2cash.billing.bill_model import Receivable
from meter2cash.billing.portal_views import DAILY_DAYS, portal_overview
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.reading.model import MeterReading
from meter2cash.registry.model import Meter, ServicePoint


def _reading(session: object, *, meter_no: str, day: date, total: str, status: str = "valid") -> MeterReading:
    meter = session.scalars(select(Meter).where(Meter.meter_no == meter_no)).one()  # type: ignore[attr-defined]
    point = session.scalars(  # type: ignore[attr-defined]
        select(ServicePoint).where(ServicePoint.code == "SP" + meter_no[1:])
    ).one()
    return MeterReading(
        meter_id=meter.id,
        service_point_id=point.id,
        read_on=day,
        source="auto",
        quality="actual",
        status=status,
        total=Decimal(total),
        entered_by="meter_reader",
    )


def test_billed_and_due_is_the_sum_of_the_accounts_receivables_and_months_are_its_bills(
    ctx: AppContext,
) -> None:
    ids = issued_bureau(ctx)
    with unit_of_work(ctx.sessions) as session:
        due = session.scalars(select(Receivable.amount).where(Receivable.account_id == ids["A0001"])).one()
    overview = portal_overview(ctx, account_id=ids["A0001"])
    assert overview.billed_due.total == due and overview.billed_due.bills == 1
    assert [b.bill_no for b in overview.bills] == [bill_numbers(ctx)["A0001"]]
    assert len(overview.months) == 12 and overview.months[-1].period == PERIOD
    assert overview.months[-1].kwh == Decimal(300) and overview.months[0].kwh is None
    assert overview.days == ()  # no meter readings stored yet


def test_daily_usage_spreads_the_kwh_between_readings_over_their_days(ctx: AppContext) -> None:
    ids = issued_bureau(ctx)  # meter M0001 installed 2025-01-01 at 100.00
    with unit_of_work(ctx.sessions) as session:
        session.add_all(
            [
                _reading(session, meter_no="M0001", day=date(2026, 5, 15), total="400.00"),
                _reading(session, meter_no="M0001", day=date(2026, 6, 15), total="710.00"),
                _reading(session, meter_no="M0001", day=date(2026, 6, 16), total="720.50"),
                _reading(
                    session, meter_no="M0001", day=date(2026, 6, 17), total="999.99", status="exception"
                ),
                _reading(session, meter_no="M0002", day=date(2026, 6, 16), total="900.00"),  # another account
            ]
        )
    days = portal_overview(ctx, account_id=ids["A0001"]).days
    assert len(days) == DAILY_DAYS and days[-1].day == date(2026, 6, 15)
    by_day = {d.day: d for d in days}
    assert by_day[date(2026, 6, 15)].kwh == Decimal("10.50") and by_day[date(2026, 6, 15)].averaged_over == 1
    assert by_day[date(2026, 6, 1)].kwh == Decimal("10.00") and by_day[date(2026, 6, 1)].averaged_over == 31
    first = days[0].day
    assert first == date(2026, 6, 16) - timedelta(days=DAILY_DAYS)
    assert by_day[first].averaged_over == (date(2026, 5, 15) - date(2025, 1, 1)).days  # from the install
