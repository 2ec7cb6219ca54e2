from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from archive_factory import small_archive
from meter2cash.platform.context import AppContext
from meter2cash.platform.errors import InputRefused
from meter2cash.platform.users import PermissionDenied
from meter2cash.reading.intake import IncomingReading
from meter2cash.reading.model import MeterReading
from meter2cash.reading.opening import load_opening_readings


def opening(meter: str, total: str) -> IncomingReading:
    return IncomingReading(meter_no=meter, read_at=datetime(2025, 6, 15, 10), total=total)  # noqa: DTZ001


class TestOpeningReadingsAtGoLive:
    def test_the_old_systems_last_readings_become_valid_baselines(self, ctx: AppContext) -> None:
        small_archive(ctx, accounts=2)
        stored = load_opening_readings(
            ctx,
            actor="admin",
            readings=[opening("M0001", "350.00"), opening("M0002", "410.50")],
            source_name="legacy",
        )
        with ctx.sessions() as session:
            rows = session.scalars(select(MeterReading)).all()
        assert stored == 2
        assert {(r.status, r.quality, r.source) for r in rows} == {("valid", "actual", "import")}

    def test_loading_the_same_readings_again_adds_nothing(self, ctx: AppContext) -> None:
        small_archive(ctx, accounts=1)
        load_opening_readings(ctx, actor="admin", readings=[opening("M0001", "350.00")], source_name="legacy")
        again = load_opening_readings(
            ctx, actor="admin", readings=[opening("M0001", "350.00")], source_name="legacy"
        )
        with ctx.sessions() as session:
            assert (again, session.scalar(select(func.count()).select_from(MeterReading))) == (0, 1)

    def test_a_meter_with_readings_already_refuses_the_whole_load(self, ctx: AppContext) -> None:
        small_archive(ctx, accounts=2)
        load_opening_readings(ctx, actor="admin", readings=[opening("M0001", "350.00")], source_name="a")
        with pytest.raises(InputRefused) as refused:
            load_opening_readings(
                ctx, actor="admin", readings=[opening("M0002", "1"), opening("M0001", "360")], source_name="b"
            )
        assert [(p.row, p.column) for p in refused.value.problems] == [(2, "meter_no")]
        with ctx.sessions() as session:
            assert session.scalar(select(func.count()).select_from(MeterReading)) == 1

    def test_only_a_manager_or_admin_may_load_them(self, ctx: AppContext) -> None:
        small_archive(ctx, accounts=1)
        with pytest.raises(PermissionDenied):
            load_opening_readings(
                ctx, actor="meter_reader", readings=[opening("M0001", "1")], source_name="x"
            )
