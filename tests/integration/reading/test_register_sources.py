from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from meter2cash.platform.clock import BUSINESS_TZ as BJ
from meter2cash.reading.collect import CollectPolicy, ErrorKind, MeterTarget, collect
from meter2cash.reading.gateway_sim import GatewaySimulator
from meter2cash.reading.register_source import NoSuchDay, ParquetRegisterSource, serial_address

CLOCK = datetime(2026, 9, 2, 7, 0, 0, tzinfo=BJ)
DAY = date(2026, 9, 2)
ONE_DAY = timedelta(days=1)


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """A daily register history in the demo's layout: two meters, two days, one missed reading."""
    rows = [
        ("1501000000003", "1500000001", date(2026, 9, 1), "3951.63", None, None, None, None, None),
        ("1501000000003", "1500000001", DAY, "3959.85", None, None, None, None, None),
        (
            "1503000000005",
            "1500000003",
            date(2026, 9, 1),
            "2134.11",
            "26.64",
            "544.16",
            "731.00",
            "832.31",
            "88.10",
        ),
        ("1503000000005", "1500000003", DAY, "2136.10", "26.64", "544.65", "731.66", "833.15", "88.20"),
        ("1501000000007", "1500000004", DAY, None, None, None, None, None, None),
    ]
    names = ["meter_no", "account_no", "day", "total", "sharp", "peak", "flat", "valley", "reactive"]
    frame = pl.DataFrame(rows, schema=names, orient="row").with_columns(pl.col("day").cast(pl.Date))
    path = tmp_path / "daily_registers.parquet"
    frame.write_parquet(path)
    return path


class TestTheParquetRegisterSource:
    def test_the_demo_address_is_the_serial_in_twelve_digits(self) -> None:
        assert serial_address("1503000000005") == "000000000005"

    def test_a_meter_answers_the_registers_of_the_day(self, history: Path) -> None:
        source = ParquetRegisterSource(history, day=DAY, clock=CLOCK)
        registers = source.registers("000000000005")
        assert registers is not None
        assert (registers.total, registers.sharp, registers.valley, registers.reactive) == (
            Decimal("2136.10"),
            Decimal("26.64"),
            Decimal("833.15"),
            Decimal("88.20"),
        )
        assert registers.clock == CLOCK

    def test_the_last_daily_freeze_is_the_day_before_at_midnight(self, history: Path) -> None:
        registers = ParquetRegisterSource(history, day=DAY, clock=CLOCK).registers("000000000005")
        assert registers is not None
        assert registers.daily_frozen_at == datetime(2026, 9, 2, 0, 0, tzinfo=BJ)
        assert registers.daily_frozen == tuple(
            Decimal(v) for v in ("2134.11", "26.64", "544.16", "731.00", "832.31")
        )

    def test_a_meter_with_a_missed_reading_that_day_is_not_on_the_bus(self, history: Path) -> None:
        source = ParquetRegisterSource(history, day=DAY, clock=CLOCK)
        assert sorted(source.addresses()) == ["000000000003", "000000000005"]

    def test_a_day_outside_the_history_is_refused(self, history: Path) -> None:
        with pytest.raises(NoSuchDay):
            ParquetRegisterSource(history, day=date(2027, 1, 1), clock=CLOCK)

    def test_the_collector_reads_the_history_through_a_simulated_gateway(self, history: Path) -> None:
        source = ParquetRegisterSource(history, day=DAY, clock=CLOCK)
        policy = CollectPolicy(attempts=1, reply_timeout=0.2, idle_gap=0.05, with_daily_frozen=True)

        async def main() -> list[object]:
            async with GatewaySimulator(source) as sim:
                targets = [MeterTarget(a, sim.host, sim.port) for a in ("3", "5", "7")]
                run = await collect(targets, policy=policy)
                return list(run.results)

        single, tou, missed = asyncio.run(main())
        assert single.readout.total == Decimal("3959.85") and single.readout.sharp is None  # type: ignore[attr-defined]
        assert tou.readout.peak == Decimal("544.65")  # type: ignore[attr-defined]
        assert tou.readout.daily_frozen[0] == Decimal("2134.11")  # type: ignore[attr-defined]
        assert missed.error_kind is ErrorKind.TIMEOUT  # type: ignore[attr-defined]
