"""The archive's reading a new reading is measured from (its baseline)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from archive_factory import small_archive
from meter2cash.platform.context import AppContext
from meter2cash.reading.entry import enter_readings
from meter2cash.reading.intake import IncomingReading, IntakeReport


def enter(ctx: AppContext, day: date, hour: int, total: str) -> IntakeReport:
    ctx.clock.instant = datetime(2025, 3, 1, tzinfo=UTC)  # type: ignore[attr-defined]
    read_at = datetime(day.year, day.month, day.day, hour)  # noqa: DTZ001 (Beijing wall time)
    return enter_readings(
        ctx, actor="meter_reader", readings=[IncomingReading(meter_no="M0001", read_at=read_at, total=total)]
    )


class TestBaseline:
    def test_a_reading_earlier_in_the_day_than_a_stored_one_is_measured_from_the_reading_before_it(
        self, ctx: AppContext
    ) -> None:
        small_archive(ctx, accounts=1)
        enter(ctx, date(2025, 2, 10), 10, "150.00")
        enter(ctx, date(2025, 2, 20), 15, "200.00")
        report = enter(ctx, date(2025, 2, 20), 9, "190.00")
        assert report.findings_by_code == {}  # not MISSING: measured from 02-10, not the install day

    def test_a_different_reading_at_the_very_same_time_as_a_stored_one_is_a_conflicting_duplicate(
        self, ctx: AppContext
    ) -> None:
        small_archive(ctx, accounts=1)
        enter(ctx, date(2025, 2, 15), 10, "200.00")
        report = enter(ctx, date(2025, 2, 15), 10, "210.00")
        assert (report.findings_by_code, report.held) == ({"DUPLICATE": 1}, 1)
