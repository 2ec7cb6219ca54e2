from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from archive_factory import small_archive
from meter2cash.platform.audit import verify_chain
from meter2cash.platform.context import AppContext
from meter2cash.reading.closing import close_period, sweep_missed
from meter2cash.reading.entry import enter_readings
from meter2cash.reading.exceptions import (
    FourEyesViolation,
    WrongState,
    confirm_exception,
    decide_edit,
    exception_queue,
    propose_edit,
    request_reread,
)
from meter2cash.reading.intake import IncomingReading
from meter2cash.reading.model import BillingDeterminant, MeterReading, ReadingTask
from meter2cash.reading.plans import plan_period
from meter2cash.registry.registers import RegisterSet
from meter2cash.registry.service import replace_meter

D = Decimal


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour)  # noqa: DTZ001 (Beijing wall time, the VEE convention)


def set_today(ctx: AppContext, day: date) -> None:
    ctx.clock.instant = datetime(day.year, day.month, day.day, 4, tzinfo=UTC)  # type: ignore[attr-defined]


def read(ctx: AppContext, meter: str, day: date, total: str, **kw: object) -> None:
    set_today(ctx, date.fromordinal(day.toordinal() + 1))
    enter_readings(
        ctx,
        actor="meter_reader",
        readings=[IncomingReading(meter_no=meter, read_at=at(day), total=total, **kw)],
    )  # type: ignore[arg-type]


def determinants(ctx: AppContext) -> dict[tuple[int, str], BillingDeterminant]:
    with ctx.sessions() as session:
        return {(d.account_id, d.period): d for d in session.scalars(select(BillingDeterminant))}


class TestReadingPlans:
    def test_a_period_gets_one_task_per_active_meter_due_on_the_reading_day(self, ctx: AppContext) -> None:
        small_archive(ctx, accounts=3)
        report = plan_period(ctx, actor="billing_clerk", period="2025-02")
        with ctx.sessions() as session:
            tasks = session.scalars(select(ReadingTask)).all()
        assert report.created == 3
        assert {(t.due_on, t.window_closes_on, t.state) for t in tasks} == {
            (date(2025, 2, 15), date(2025, 2, 18), "pending")
        }

    def test_planning_twice_creates_nothing_twice(self, ctx: AppContext) -> None:
        small_archive(ctx, accounts=2)
        plan_period(ctx, actor="billing_clerk", period="2025-02")
        again = plan_period(ctx, actor="billing_clerk", period="2025-02")
        assert (again.created, again.existing) == (0, 2)


class TestMonthlyCycle:
    def test_read_meters_give_determinants_of_register_advance_times_multiplier(
        self, ctx: AppContext
    ) -> None:
        small_archive(ctx, accounts=2)
        plan_period(ctx, actor="billing_clerk", period="2025-02")
        read(ctx, "M0001", date(2025, 2, 15), "250.00")
        read(ctx, "M0002", date(2025, 2, 14), "180.50")
        set_today(ctx, date(2025, 2, 20))
        report = close_period(ctx, actor="billing_clerk", period="2025-02")
        found = determinants(ctx)
        assert report.determinants == 2
        assert (
            found[(1, "2025-02")].kwh_total,
            found[(1, "2025-02")].start_on,
            found[(1, "2025-02")].days,
        ) == (D("150.00"), date(2025, 1, 1), 45)
        assert found[(2, "2025-02")].kwh_total == D("80.50")
        assert found[(1, "2025-02")].quality == "actual"

    def test_a_missed_meter_shows_the_day_after_the_window_and_is_then_estimated(
        self, ctx: AppContext
    ) -> None:
        small_archive(ctx, accounts=1)
        for period, day, total in (
            ("2025-02", date(2025, 2, 15), "190.00"),
            ("2025-03", date(2025, 3, 15), "250.00"),
        ):
            plan_period(ctx, actor="billing_clerk", period=period)
            read(ctx, "M0001", day, total)
            set_today(ctx, date(day.year, day.month, 20))
            close_period(ctx, actor="billing_clerk", period=period)
        plan_period(ctx, actor="billing_clerk", period="2025-04")
        set_today(ctx, date(2025, 4, 18))
        assert sweep_missed(ctx, actor="meter_reader", period="2025-04") == 0
        set_today(ctx, date(2025, 4, 19))
        assert sweep_missed(ctx, actor="meter_reader", period="2025-04") == 1
        with ctx.sessions() as session:
            assert [q.code for q in exception_queue(session)] == ["MISSING"]
        report = close_period(ctx, actor="billing_clerk", period="2025-04")
        april = determinants(ctx)[(1, "2025-04")]
        assert report.estimated == 1
        assert april.quality == "estimated"
        assert april.kwh_total == D("63.70")  # 150 kWh over 73 days read, times 31 days, half-up

    def test_a_reading_with_an_open_error_is_held_back_from_billing(self, ctx: AppContext) -> None:
        small_archive(ctx, accounts=1)
        plan_period(ctx, actor="billing_clerk", period="2025-02")
        read(ctx, "M0001", date(2025, 2, 15), "99.00")  # below the install reading of 100.00: ROLLBACK
        set_today(ctx, date(2025, 2, 20))
        report = close_period(ctx, actor="billing_clerk", period="2025-02")
        assert report.determinants == 0
        assert "ROLLBACK" in report.held[0]["reason"]


class TestMeterReplacedMidPeriod:
    def test_the_old_meters_final_and_the_new_meters_use_add_up(self, ctx: AppContext) -> None:
        small_archive(ctx, accounts=1)
        plan_period(ctx, actor="billing_clerk", period="2025-02")
        read(ctx, "M0001", date(2025, 2, 15), "200.00")
        set_today(ctx, date(2025, 2, 20))
        close_period(ctx, actor="billing_clerk", period="2025-02")
        replace_meter(
            ctx,
            actor="meter_reader",
            service_point="SP0001",
            on=date(2025, 3, 1),
            old_final=RegisterSet.of("230.00"),
            new_meter_no="N0001",
            new_address="000000770001",
            new_start=RegisterSet.of("5.00"),
            ct_ratio=D(1),
            pt_ratio=D(1),
            reason="故障换表",
        )
        plan_period(ctx, actor="billing_clerk", period="2025-03")
        read(ctx, "N0001", date(2025, 3, 15), "45.00")
        set_today(ctx, date(2025, 3, 20))
        close_period(ctx, actor="billing_clerk", period="2025-03")
        march = determinants(ctx)[(1, "2025-03")]
        assert march.kwh_total == D("70.00")  # 30 on the old meter + 40 on the new one
        assert (march.start_on, march.end_on) == (date(2025, 2, 15), date(2025, 3, 15))
        assert [s["meter_no"] for s in json.loads(march.detail)] == ["M0001", "N0001"]

    def test_a_replacement_in_the_first_period_still_counts_the_old_meter(self, ctx: AppContext) -> None:
        small_archive(ctx, accounts=1)
        read(ctx, "M0001", date(2025, 1, 15), "130.00")  # the opening reading, before any determinant
        replace_meter(
            ctx,
            actor="meter_reader",
            service_point="SP0001",
            on=date(2025, 2, 1),
            old_final=RegisterSet.of("160.00"),
            new_meter_no="N0001",
            new_address="000000770001",
            new_start=RegisterSet.of("0.00"),
            ct_ratio=D(1),
            pt_ratio=D(1),
            reason="换表",
        )
        plan_period(ctx, actor="billing_clerk", period="2025-02")
        read(ctx, "N0001", date(2025, 2, 15), "25.00")
        set_today(ctx, date(2025, 2, 20))
        close_period(ctx, actor="billing_clerk", period="2025-02")
        february = determinants(ctx)[(1, "2025-02")]
        assert february.kwh_total == D("55.00")  # 30 on the old meter + 25 on the new one
        assert (february.start_on, february.end_on) == (date(2025, 1, 15), date(2025, 2, 15))


class TestExceptionsAndFourEyes:
    def _misread(self, ctx: AppContext) -> int:
        small_archive(ctx, accounts=1)
        plan_period(ctx, actor="billing_clerk", period="2025-02")
        read(ctx, "M0001", date(2025, 2, 15), "99.00")
        with ctx.sessions() as session:
            (item,) = exception_queue(session, route_book="RB01")
        assert item.code == "ROLLBACK"
        return item.id

    def test_an_error_cannot_simply_be_confirmed(self, ctx: AppContext) -> None:
        exception_id = self._misread(ctx)
        with pytest.raises(WrongState):
            confirm_exception(ctx, actor="billing_clerk", exception_id=exception_id, reason="looks fine")

    def test_an_edit_that_changes_energy_waits_for_a_second_person(self, ctx: AppContext) -> None:
        exception_id = self._misread(ctx)
        edit = propose_edit(
            ctx,
            actor="manager",
            exception_id=exception_id,
            values={"total": "199.00"},
            reason="抄错 digits misread",
        )
        with pytest.raises(FourEyesViolation):
            decide_edit(ctx, actor="manager", edit_id=edit.id, approve=True, reason="mine")
        decide_edit(ctx, actor="reviewer", edit_id=edit.id, approve=True, reason="photo confirms 199")
        with ctx.sessions() as session:
            readings = {r.status: r for r in session.scalars(select(MeterReading))}
            assert exception_queue(session) == []
            chain = verify_chain(session)
        assert readings["valid"].total == D("199.00") and readings["valid"].quality == "edited"
        assert readings["superseded"].total == D("99.00")
        assert chain.ok
        set_today(ctx, date(2025, 2, 20))
        close_period(ctx, actor="billing_clerk", period="2025-02")
        assert determinants(ctx)[(1, "2025-02")].kwh_total == D("99.00")

    def test_a_reader_cannot_approve_edits(self, ctx: AppContext) -> None:
        exception_id = self._misread(ctx)
        edit = propose_edit(
            ctx, actor="billing_clerk", exception_id=exception_id, values={"total": "199.00"}, reason="x"
        )
        with pytest.raises(PermissionError):
            decide_edit(ctx, actor="meter_reader", edit_id=edit.id, approve=True, reason="x")

    def test_a_reread_sends_the_task_back_to_the_field(self, ctx: AppContext) -> None:
        exception_id = self._misread(ctx)
        request_reread(ctx, actor="billing_clerk", exception_id=exception_id, reason="复抄")
        with ctx.sessions() as session:
            task = session.scalars(select(ReadingTask)).one()
        assert (task.state, task.reading_id) == ("reread_requested", None)
        read(ctx, "M0001", date(2025, 2, 16), "199.00")
        with ctx.sessions() as session:
            assert session.scalars(select(ReadingTask)).one().state == "read"


class TestReadingKpis:
    def test_kpis_count_reads_estimates_corrections_and_exceptions(self, ctx: AppContext) -> None:
        from meter2cash.reading.kpis import reading_kpis

        small_archive(ctx, accounts=4)
        plan_period(ctx, actor="billing_clerk", period="2025-02")
        read(ctx, "M0001", date(2025, 2, 15), "150.00")
        read(ctx, "M0002", date(2025, 2, 15), "99.00")  # ROLLBACK, then corrected
        read(ctx, "M0003", date(2025, 2, 15), "100.00")  # ZERO warning
        with ctx.sessions() as session:
            rollback = next(i for i in exception_queue(session) if i.code == "ROLLBACK")
        edit = propose_edit(
            ctx, actor="billing_clerk", exception_id=rollback.id, values={"total": "190.00"}, reason="misread"
        )
        decide_edit(ctx, actor="reviewer", edit_id=edit.id, approve=True, reason="ok")
        set_today(ctx, date(2025, 2, 25))
        sweep_missed(ctx, actor="meter_reader", period="2025-02")  # M0004 never read
        with ctx.sessions() as session:
            kpis = reading_kpis(session, period="2025-02", today=date(2025, 2, 25)).as_dict()
        assert kpis["planned"] == 4
        assert kpis["reading_rate_pct"] == "75.00"
        assert kpis["error_rate_pct"] == "33.33"
        assert kpis["exceptions_by_code"] == {"MISSING": 1, "ROLLBACK": 1, "ZERO": 1}
        assert kpis["open_exceptions_by_age_days"]["8-30"] == 1  # ZERO opened on 2025-02-16
