"""``m2c read collect`` and ``m2c meters simulate``, run as a clerk would run them."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import update

from archive_factory import small_archive
from cli_runner import run_m2c
from meter2cash.platform.clock import business_date
from meter2cash.platform.context import AppContext
from meter2cash.reading.collect import CollectPolicy, ErrorKind, MeterTarget, collect
from meter2cash.reading.gateway_sim import Fault, FaultKind, GatewaySimulator, running_in_thread
from meter2cash.reading.plans import plan_period
from meter2cash.reading.register_source import DictRegisterSource, MeterRegisters
from meter2cash.reading.simulation import LiveClockSource
from meter2cash.registry.model import Meter, RouteBook

D = Decimal
REPORT_KEYS = {
    "period",
    "route_book",
    "batch_id",
    "batch_name",
    "due",
    "attempted",
    "collected",
    "failed",
    "first_try",
    "attempts",
    "failed_by_kind",
    "attempts_failed_by_kind",
    "no_endpoint",
    "not_due",
    "window_closed",
    "stored",
    "billable",
    "held",
    "exceptions",
    "findings_by_code",
    "duration_s",
    "meters_per_second",
    "failures",
}


def wall_clock() -> datetime:
    return datetime.now(UTC)


def set_endpoint(ctx: AppContext, meter_no: str, host: str, port: int) -> None:
    with ctx.sessions.begin() as session:
        session.execute(
            update(Meter).where(Meter.meter_no == meter_no).values(comm_host=host, comm_port=port)
        )


@pytest.fixture
def due_today(ctx: AppContext) -> Iterator[str]:
    """Three meters of RB01 due today (the CLI runs on the real clock) behind one gateway;
    M0003 is dead. Yields the period."""
    today = business_date(wall_clock())
    small_archive(ctx, accounts=3)
    with ctx.sessions.begin() as session:
        session.execute(update(RouteBook).values(reading_day=min(today.day, 28)))
    period = today.strftime("%Y-%m")
    plan_period(ctx, actor="billing_clerk", period=period)
    registers = {f"{n:012d}": MeterRegisters(total=D(f"{100 + n * 10}.00")) for n in (1, 2, 3)}
    gateway = GatewaySimulator(
        LiveClockSource(DictRegisterSource(registers), wall_clock),
        faults={"000000000003": Fault(FaultKind.DEAD)},
    )
    with running_in_thread(gateway):
        for n in (1, 2, 3):
            set_endpoint(ctx, f"M{n:04d}", gateway.host, gateway.port)
        yield period


class TestReadCollect:
    def test_json_reports_what_was_collected_and_why_the_rest_failed(
        self, ctx: AppContext, due_today: str
    ) -> None:
        result = run_m2c(
            ctx,
            *("read", "collect", "--period", due_today, "--timeout", "0.2", "--retries", "1", "--json"),
            user="meter_reader",
        )

        assert result.returncode == 0, result.stderr
        document = json.loads(result.stdout)
        assert set(document) == REPORT_KEYS
        assert (document["attempted"], document["collected"], document["failed"]) == (3, 2, 1)
        assert document["failed_by_kind"] == {"timeout": 1}
        assert document["attempts_failed_by_kind"] == {"timeout": 2}
        assert document["batch_name"] == f"collection {due_today} * #1"
        assert document["failures"] == [
            {
                "meter_no": "M0003",
                "address": "000000000003",
                "endpoint": document["failures"][0]["endpoint"],
                "error_kind": "timeout",
                "detail": "NoAnswer",
                "attempts": 2,
            }
        ]

    def test_the_summary_is_printed_in_chinese(self, ctx: AppContext, due_today: str) -> None:
        result = run_m2c(
            ctx,
            *(
                "read",
                "collect",
                "--period",
                due_today,
                "--book",
                "RB01",
                "--timeout",
                "0.2",
                "--retries",
                "0",
            ),
            user="meter_reader",
        )

        assert result.returncode == 0, result.stderr
        assert "采集成功 2 块" in result.stdout
        assert "无应答（超时） 1" in result.stdout
        assert "M0003" in result.stdout

    def test_a_user_without_the_role_is_refused(self, ctx: AppContext, due_today: str) -> None:
        result = run_m2c(ctx, "read", "collect", "--period", due_today, "--json", user="cashier")
        assert result.returncode == 4
        assert json.loads(result.stdout)["error"] == "denied"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_history(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        ("M0001", "A0001", date(2026, 10, 30), "140.00"),
        ("M0001", "A0001", date(2026, 10, 31), "150.00"),
        ("M0002", "A0002", date(2026, 10, 30), "155.00"),
        ("M0002", "A0002", date(2026, 10, 31), None),  # missed that day
        ("M0003", "A0003", date(2026, 10, 31), "170.00"),
    ]
    pl.DataFrame(rows, schema=["meter_no", "account_no", "day", "total"], orient="row").with_columns(
        pl.col("day").cast(pl.Date)
    ).write_parquet(folder / "daily_registers.parquet")


def start_simulate(ctx: AppContext, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("M2C_")}
    env |= {
        "M2C_DATA_DIR": str(ctx.settings.data_dir),
        "M2C_DATABASE_URL": str(ctx.settings.database_url),
        "M2C_LANG": "en",
    }
    command = "from meter2cash.interfaces.cli.meters_commands import app; app(prog_name='m2c meters')"
    return subprocess.Popen(
        [sys.executable, "-c", command, "simulate", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def first_json(process: subprocess.Popen[str]) -> dict[str, object]:
    assert process.stdout is not None
    lines = []
    while line := process.stdout.readline():
        lines.append(line)
        if line.rstrip() == "}":
            return dict(json.loads("".join(lines)))
    raise AssertionError(
        f"no JSON before exit: {''.join(lines)} {process.stderr.read() if process.stderr else ''}"
    )


class TestMetersSimulate:
    def test_it_serves_one_port_per_endpoint_until_sigterm(self, ctx: AppContext) -> None:
        small_archive(ctx, accounts=3)
        ports = free_port(), free_port()
        for meter_no, port in (("M0001", ports[0]), ("M0002", ports[0]), ("M0003", ports[1])):
            set_endpoint(ctx, meter_no, "127.0.0.1", port)
        write_history(ctx.settings.data_dir / "demo")
        process = start_simulate(ctx, "--json", "--faults")
        try:
            announced = first_json(process)
            targets = [
                MeterTarget(f"{n:012d}", "127.0.0.1", ports[0 if n < 3 else 1], meter_no=f"M{n:04d}")
                for n in (1, 2, 3)
            ]
            policy = CollectPolicy(attempts=1, reply_timeout=0.3, idle_gap=0.05)
            run = asyncio.run(collect(targets, policy=policy))
            process.send_signal(signal.SIGTERM)
            assert process.wait(20) == 0
        finally:
            if process.poll() is None:
                process.kill()
        assert announced["day"] == "2026-10-31"  # the last day of the history
        gateways = announced["gateways"]
        assert isinstance(gateways, list)
        assert sorted(gateways, key=lambda g: g["port"] != ports[0]) == [  # archive order is by port
            {"host": "127.0.0.1", "port": ports[0], "meters": 2, "answering": 1},
            {"host": "127.0.0.1", "port": ports[1], "meters": 1, "answering": 1},
        ]
        readouts = [r.readout.total if r.readout else r.error_kind for r in run.results]
        assert readouts == [D("150.00"), ErrorKind.TIMEOUT, D("170.00")]

    def test_without_a_history_it_says_to_build_the_demo(self, ctx: AppContext) -> None:
        process = start_simulate(ctx)
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 1
        assert "m2c demo" in stderr
