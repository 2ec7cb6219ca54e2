"""Simulated gateways for a whole archive, fed from a register history in the demo's layout."""

from __future__ import annotations

import asyncio
import socket
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import update

from archive_factory import small_archive
from meter2cash.platform.clock import BUSINESS_TZ as BJ
from meter2cash.platform.context import AppContext
from meter2cash.reading.collect import CollectionRun, CollectPolicy, ErrorKind, MeterTarget, collect
from meter2cash.reading.simulation import (
    GatewayPlan,
    SimulatedGateways,
    archive_gateways,
    history_days,
    history_files,
    run_gateways,
    serve_gateways,
)
from meter2cash.registry.model import Meter

D = Decimal
DAY = date(2026, 9, 2)
NOW = datetime(2026, 9, 2, 10, 30, 0, tzinfo=BJ)
FAST = CollectPolicy(attempts=1, reply_timeout=0.2, idle_gap=0.05, connect_timeout=1.0)
SINGLE, TOU, MISSED, SUPPLY = "1501000000003", "1503000000005", "1501000000007", "1509000000009"
PLANS = (
    GatewayPlan("127.0.0.1", 0, ((SINGLE, "000000000003"), (TOU, "000000000005"))),
    GatewayPlan("127.0.0.1", 0, ((MISSED, "000000000007"), (SUPPLY, "000000000009"))),
)


def clock() -> datetime:
    return NOW


@pytest.fixture
def demo_dir(tmp_path: Path) -> Path:
    """Three days of history: a single-rate meter, a TOU meter, a meter missed on 2 September
    (its registers are null that day), and an area supply meter in its own file."""
    names = ["meter_no", "account_no", "day", "total", "sharp", "peak", "flat", "valley", "reactive"]
    rows = [
        (SINGLE, "1500000001", date(2026, 9, 1), "3951.63", None, None, None, None, None),
        (SINGLE, "1500000001", DAY, "3959.85", None, None, None, None, None),
        (SINGLE, "1500000001", date(2026, 9, 3), "3968.00", None, None, None, None, None),
        (TOU, "1500000003", date(2026, 9, 1), "2134.11", "26.64", "544.16", "731.00", "832.31", "88.10"),
        (TOU, "1500000003", DAY, "2136.10", "26.64", "544.65", "731.66", "833.15", "88.20"),
        (TOU, "1500000003", date(2026, 9, 3), "2138.10", "26.64", "545.15", "732.66", "833.65", "88.30"),
        (MISSED, "1500000004", date(2026, 9, 1), "100.00", None, None, None, None, None),
        (MISSED, "1500000004", DAY, None, None, None, None, None, None),
        (MISSED, "1500000004", date(2026, 9, 3), "110.01", None, None, None, None, None),
    ]
    folder = tmp_path / "demo"
    folder.mkdir()
    pl.DataFrame(rows, schema=names, orient="row").with_columns(pl.col("day").cast(pl.Date)).write_parquet(
        folder / "daily_registers.parquet"
    )
    supply = [("MX-TA-0001", SUPPLY, date(2026, 9, d), f"{50000 + d * 1000}.00") for d in (1, 2, 3)]
    pl.DataFrame(supply, schema=["area_code", "meter_no", "day", "total"], orient="row").with_columns(
        pl.col("day").cast(pl.Date)
    ).write_parquet(folder / "area_supply_registers.parquet")
    return folder


def read_all(gateways: SimulatedGateways, policy: CollectPolicy = FAST) -> dict[str, object]:
    """Read every planned meter through the running gateways; results by meter number."""
    targets = [
        MeterTarget(address, host, port, meter_no=meter_no)
        for (plan, _), (host, port, _) in zip(gateways.running, gateways.endpoints, strict=True)
        for meter_no, address in plan.meters
    ]
    run: CollectionRun = asyncio.run(collect(targets, policy=policy))
    return {r.target.meter_no or "": r.readout if r.ok else r.error_kind for r in run.results}


class TestRunGatewaysInABackgroundThread:
    def test_each_endpoint_gets_its_own_port_answering_for_its_meters(self, demo_dir: Path) -> None:
        with run_gateways(PLANS, histories=history_files(demo_dir), day=DAY, clock=clock) as gateways:
            endpoints = gateways.endpoints
        assert len({port for _, port, _ in endpoints}) == 2
        assert [answering for _, _, answering in endpoints] == [2, 2]

    def test_the_meters_answer_the_registers_of_the_day_and_their_clock_shows_the_clock_given(
        self, demo_dir: Path
    ) -> None:
        with run_gateways(PLANS, histories=history_files(demo_dir), day=DAY, clock=clock) as gateways:
            found = read_all(gateways)
        single, tou, supply = found[SINGLE], found[TOU], found[SUPPLY]
        assert single.total == D("3959.85") and single.sharp is None  # type: ignore[attr-defined]
        assert (tou.total, tou.peak, tou.valley, tou.reactive) == (  # type: ignore[attr-defined]
            D("2136.10"),
            D("544.65"),
            D("833.15"),
            D("88.20"),
        )
        assert tou.clock == NOW  # type: ignore[attr-defined]
        assert supply.total == D("52000.00")  # type: ignore[attr-defined]

    def test_with_faults_a_meter_missed_that_day_does_not_answer(self, demo_dir: Path) -> None:
        with run_gateways(
            PLANS, histories=history_files(demo_dir), day=DAY, clock=clock, faults=True
        ) as gateways:
            found = read_all(gateways)
        assert found[MISSED] is ErrorKind.TIMEOUT
        assert gateways.endpoints == []  # stopped

    def test_without_faults_a_missed_day_is_interpolated_between_the_days_read(self, demo_dir: Path) -> None:
        with run_gateways(PLANS, histories=history_files(demo_dir), day=DAY, clock=clock) as gateways:
            found = read_all(gateways)
        assert found[MISSED].total == D("105.00")  # type: ignore[attr-defined]  # 100.00 … 110.01, floored

    def test_set_day_switches_every_gateway_to_another_day(self, demo_dir: Path) -> None:
        with run_gateways(PLANS, histories=history_files(demo_dir), day=DAY, clock=clock) as gateways:
            gateways.set_day(date(2026, 9, 3))
            found = read_all(gateways)
            assert gateways.day == date(2026, 9, 3)
        assert found[SINGLE].total == D("3968.00")  # type: ignore[attr-defined]
        assert found[MISSED].total == D("110.01")  # type: ignore[attr-defined]

    def test_a_port_already_taken_is_refused_or_skipped(self, demo_dir: Path) -> None:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            plans = (GatewayPlan("127.0.0.1", port, PLANS[0].meters), PLANS[1])
            with (
                pytest.raises(OSError),
                run_gateways(plans, histories=history_files(demo_dir), day=DAY, clock=clock),
            ):
                pass
            with run_gateways(
                plans, histories=history_files(demo_dir), day=DAY, clock=clock, skip_unavailable=True
            ) as gateways:
                assert [(u.host, u.port) for u in gateways.unavailable] == [("127.0.0.1", port)]
                assert len(gateways.running) == 1


class TestServeGatewaysOnTheCallersLoop:
    def test_a_collector_on_the_same_loop_reads_them(self, demo_dir: Path) -> None:
        async def main() -> CollectionRun:
            async with serve_gateways(
                PLANS, histories=history_files(demo_dir), day=DAY, clock=clock
            ) as gateways:
                host, port, _ = gateways.endpoints[0]
                return await collect([MeterTarget("000000000003", host, port)], policy=FAST)

        run = asyncio.run(main())
        assert run.results[0].readout is not None
        assert run.results[0].readout.total == D("3959.85")


class TestTheHistory:
    def test_its_first_and_last_day(self, demo_dir: Path) -> None:
        assert history_days(demo_dir / "daily_registers.parquet") == (date(2026, 9, 1), date(2026, 9, 3))

    def test_the_supply_history_is_used_when_present(self, demo_dir: Path) -> None:
        assert [p.name for p in history_files(demo_dir)] == [
            "daily_registers.parquet",
            "area_supply_registers.parquet",
        ]
        (demo_dir / "area_supply_registers.parquet").unlink()
        assert [p.name for p in history_files(demo_dir)] == ["daily_registers.parquet"]


class TestTheArchivesGateways:
    def test_meters_are_grouped_by_endpoint_and_those_without_one_left_out(self, ctx: AppContext) -> None:
        small_archive(ctx, accounts=4)
        with ctx.sessions.begin() as session:
            for meter_no, port in (("M0001", 16451), ("M0002", 16451), ("M0003", 16452)):
                session.execute(
                    update(Meter)
                    .where(Meter.meter_no == meter_no)
                    .values(comm_host="127.0.0.1", comm_port=port)
                )
        with ctx.sessions() as session:
            plans = archive_gateways(session)
        assert plans == [
            GatewayPlan("127.0.0.1", 16451, (("M0001", "000000000001"), ("M0002", "000000000002"))),
            GatewayPlan("127.0.0.1", 16452, (("M0003", "000000000003"),)),
        ]
