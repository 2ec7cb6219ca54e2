"""STOPPED (停走) with the energy of the area's supply meter (台区总表), and supply meters read
through the same intake as every other meter."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from archive_factory import small_archive
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.reading.area_supply import area_supply_kwh
from meter2cash.reading.entry import enter_readings
from meter2cash.reading.exceptions import exception_queue
from meter2cash.reading.file_import import import_reading_file
from meter2cash.reading.intake import IncomingReading
from meter2cash.reading.model import MeterReading, ReadingException
from meter2cash.reading.plans import plan_period
from meter2cash.registry.model import Meter, MeterInstall, ServicePoint, TransformerArea
from meter2cash.registry.registers import RegisterSet
from meter2cash.registry.service import replace_meter

D = Decimal
SUPPLY = "T0001"


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour)  # noqa: DTZ001 (Beijing wall time, the VEE convention)


def with_supply_meter(ctx: AppContext, *, multiplier: str = "40", start_total: str = "1000.00") -> None:
    """Area TA01 of the small archive gets supply point AREA-TA01 with meter T0001 (6 + 2 digits),
    installed 2024-12-15."""
    small_archive(ctx, accounts=2)
    with unit_of_work(ctx.sessions) as session:
        point = ServicePoint(code="AREA-TA01", kind="area_supply", account_id=None)
        meter = Meter(meter_no=SUPPLY, dlt645_address="880000000001", integer_digits=6, decimal_digits=2)
        session.add_all([point, meter])
        session.flush()
        session.add(
            MeterInstall(
                meter_id=meter.id,
                service_point_id=point.id,
                installed_on=date(2024, 12, 15),
                ct_ratio=D(multiplier),
                pt_ratio=D(1),
                multiplier=D(multiplier),
                start_total=D(start_total),
            )
        )
        area = session.scalars(select(TransformerArea).where(TransformerArea.code == "TA01")).one()
        area.supply_point_id = point.id
    ctx.clock.instant = datetime(2025, 2, 16, 4, tzinfo=UTC)  # type: ignore[attr-defined]


def enter(ctx: AppContext, *readings: tuple[str, date, str]) -> None:
    enter_readings(
        ctx,
        actor="meter_reader",
        readings=[IncomingReading(meter_no=m, read_at=at(day), total=total) for m, day, total in readings],
    )


def kwh(ctx: AppContext, start: date, end: date) -> Decimal | None:
    with ctx.sessions() as session:
        area_id = session.scalars(select(TransformerArea.id)).one()
        return area_supply_kwh(session, area_id=area_id, start=start, end=end)


class TestSupplyMetersAreReadLikeAnyMeter:
    def test_a_supply_meter_reading_is_stored_without_a_route_book_and_opens_no_exception(
        self, ctx: AppContext
    ) -> None:
        with_supply_meter(ctx)
        enter(ctx, (SUPPLY, date(2025, 1, 1), "1100.00"), (SUPPLY, date(2025, 1, 20), "1100.00"))
        with ctx.sessions() as session:
            statuses = [r.status for r in session.scalars(select(MeterReading).order_by(MeterReading.id))]
            opened = session.scalar(select(func.count()).select_from(ReadingException))
        assert statuses == ["valid", "valid"]  # the second one is ZERO: a warning, still valid
        assert opened == 0


class TestStopped:
    def test_a_customer_meter_unchanged_while_the_area_supply_meter_advanced_is_stopped(
        self, ctx: AppContext, tmp_path: Path
    ) -> None:
        with_supply_meter(ctx)
        plan_period(ctx, actor="billing_clerk", period="2025-02")
        enter(ctx, (SUPPLY, date(2025, 1, 1), "1100.00"))
        path = tmp_path / "readings.csv"
        path.write_text(  # customer rows first: the supply meter's reading is stored before them
            "meter_no,read_at,total\n"
            "M0001,2025-02-15 10:00,100.00\n"
            "M0002,2025-02-15 10:10,180.00\n"
            "T0001,2025-02-15 09:00,1600.00\n",
            encoding="utf-8",
        )
        report = import_reading_file(ctx, actor="meter_reader", path=path)
        with ctx.sessions() as session:
            queue = [(i.meter_no, i.code, i.severity) for i in exception_queue(session, route_book="RB01")]
            stopped = session.scalars(select(MeterReading).join(Meter).where(Meter.meter_no == "M0001")).one()
        assert queue == [("M0001", "STOPPED", "error")]
        assert stopped.status == "exception"
        assert report.findings_by_code == {"STOPPED": 1}
        assert kwh(ctx, date(2025, 1, 1), date(2025, 2, 15)) == D("20000.0000")  # (1600 − 1100) × 40

    def test_without_supply_readings_an_unchanged_meter_is_only_zero(self, ctx: AppContext) -> None:
        with_supply_meter(ctx)
        plan_period(ctx, actor="billing_clerk", period="2025-02")
        enter(ctx, ("M0001", date(2025, 2, 15), "100.00"))
        with ctx.sessions() as session:
            assert [(i.code, i.severity) for i in exception_queue(session)] == [("ZERO", "warning")]


class TestSupplyEnergy:
    def test_the_install_reading_counts_and_the_nearest_reading_at_or_before_each_day_is_used(
        self, ctx: AppContext
    ) -> None:
        with_supply_meter(ctx, multiplier="2")
        enter(ctx, (SUPPLY, date(2025, 1, 10), "1010.00"), (SUPPLY, date(2025, 1, 20), "1030.00"))
        assert kwh(ctx, date(2025, 1, 1), date(2025, 1, 15)) == D("20.0000")  # install 1000 → 1010, × 2
        assert kwh(ctx, date(2025, 1, 12), date(2025, 2, 1)) == D("40.0000")  # 1010 → 1030, × 2

    def test_a_register_that_wrapped_past_its_maximum_is_counted_across_the_wrap(
        self, ctx: AppContext
    ) -> None:
        with_supply_meter(ctx, multiplier="1", start_total="999990.00")
        enter(ctx, (SUPPLY, date(2025, 1, 10), "5.00"))
        assert kwh(ctx, date(2024, 12, 20), date(2025, 1, 10)) == D("15.00")

    def test_there_is_no_answer_on_one_reading_or_across_a_meter_change(self, ctx: AppContext) -> None:
        with_supply_meter(ctx)
        enter(ctx, (SUPPLY, date(2025, 1, 10), "1010.00"))
        assert kwh(ctx, date(2025, 1, 11), date(2025, 1, 15)) is None  # both days on the same reading
        assert kwh(ctx, date(2025, 1, 15), date(2025, 1, 15)) is None
        replace_meter(
            ctx,
            actor="meter_reader",
            service_point="AREA-TA01",
            on=date(2025, 1, 20),
            old_final=RegisterSet.of("1020.00"),
            new_meter_no="T0002",
            new_address="880000000002",
            new_start=RegisterSet.of("0.00"),
            ct_ratio=D(40),
            pt_ratio=D(1),
            reason="换表",
        )
        enter(ctx, ("T0002", date(2025, 2, 1), "10.00"))
        assert kwh(ctx, date(2025, 1, 10), date(2025, 2, 1)) is None
        assert kwh(ctx, date(2025, 1, 20), date(2025, 2, 1)) == D("400.00")

    def test_an_area_without_a_supply_point_has_no_answer(self, ctx: AppContext) -> None:
        small_archive(ctx, accounts=1)
        assert kwh(ctx, date(2025, 1, 1), date(2025, 2, 1)) is None
