from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from archive_factory import small_archive
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.registry.model import MeterInstall


class TestExactDecimalColumns:
    def test_a_reading_comes_back_exactly_as_written(self, ctx: AppContext) -> None:
        small_archive(ctx, accounts=1)
        with unit_of_work(ctx.sessions) as session:
            install = session.scalars(select(MeterInstall)).first()
            assert install is not None
            install.start_total = Decimal("999999.9999")
        with ctx.sessions() as session:
            assert session.scalars(select(MeterInstall.start_total)).first() == Decimal("999999.9999")

    def test_sqlite_stores_no_binary_float(self, ctx: AppContext) -> None:
        small_archive(ctx, accounts=1)
        with ctx.engine.connect() as conn:
            kind = (
                conn.execute(text("SELECT typeof(start_total) FROM meter_install")).scalar()
                if ctx.engine.dialect.name == "sqlite"
                else "integer"
            )
        assert kind == "integer"

    def test_more_decimals_than_the_column_holds_are_refused_not_rounded(self, ctx: AppContext) -> None:
        small_archive(ctx, accounts=1)
        with pytest.raises(StatementError, match="decimals"), unit_of_work(ctx.sessions) as session:
            install = session.scalars(select(MeterInstall)).first()
            assert install is not None
            install.start_total = Decimal("1.00001")
