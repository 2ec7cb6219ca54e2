"""The smart-prepaid daily run (费控日测算) on SQLite and PostgreSQL, against the DL/T 645 control
peer over real TCP: the balance is estimated from the daily frozen readings and the tariff, the
low-balance alert goes to the outbox once, the meter trips at zero only after the notice period,
and a top-up closes it; a run repeated estimates nothing twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from dlt645_control_peer import CLOSED, TRIPPED, ControlPeer, control_peer
from meter2cash.collection import gl
from meter2cash.collection.payment_service import take_payment
from meter2cash.collection.payments import PaymentRequest
from meter2cash.collection.prepaid_model import PrepaidAction, PrepaidEstimate
from meter2cash.collection.prepaid_readings import import_frozen_readings
from meter2cash.collection.prepaid_run import run_prepaid_day
from meter2cash.platform.clock import FixedClock
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.platform.i18n import use_lang
from meter2cash.reading.dlt645.control import meter_password
from meter2cash.reading.dlt645.frame import address_bytes
from prepaid_bureau import csv_file, meter_gateway, prepaid_bureau

ADDRESS = "123456789012"
DAY1 = date(2026, 3, 1)


@pytest.fixture(scope="module")
def peer() -> Iterator[ControlPeer]:
    server = control_peer(
        address_wire=address_bytes(ADDRESS), password=meter_password(level=2, code="123456").hex()
    )
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _english(peer: ControlPeer) -> Iterator[None]:
    peer.relay, peer.received = CLOSED, []
    with use_lang("en"):
        yield


@pytest.fixture
def bureau(ctx: AppContext, peer: ControlPeer) -> AppContext:
    prepaid_bureau(ctx, smart=["A0001"])
    meter_gateway(ctx, meter_no="M0001", address=ADDRESS, host="127.0.0.1", port=peer.server.port)
    take_payment(ctx, actor="cashier", request=top_up("30.00", key="t0"))  # the opening balance
    return ctx


def top_up(amount: str, *, key: str, on: date = DAY1) -> PaymentRequest:
    return PaymentRequest(
        account_no="A0001",
        amount=Decimal(amount),
        channel=gl.Channel.COUNTER,
        method=gl.Method.CASH,
        source="counter",
        paid_on=on,
        idempotency_key=key,
    )


def readings(ctx: AppContext, folder: Path, totals: dict[date, str]) -> None:
    rows = [f"M0001,{day.isoformat()},{total}" for day, total in totals.items()]
    path = csv_file(folder, f"r{len(totals)}-{min(totals)}.csv", "meter_no,frozen_on,total", rows)
    import_frozen_readings(ctx, actor="billing_clerk", path=path)


def run(ctx: AppContext, day: date):  # type: ignore[no-untyped-def]
    """Run ``day`` the morning after it (after the 00:00 freeze that closes it)."""
    clock = ctx.clock
    assert isinstance(clock, FixedClock)
    clock.instant = datetime.combine(day + timedelta(days=1), time(1), UTC)  # 09:00 Beijing
    return run_prepaid_day(ctx, actor="billing_clerk", day=day)


def actions(ctx: AppContext) -> list[tuple[str, date, str]]:
    with unit_of_work(ctx.sessions) as session:
        rows = session.scalars(select(PrepaidAction).order_by(PrepaidAction.id))
        return [(a.kind, a.day, a.state) for a in rows]


def test_the_day_is_estimated_from_the_frozen_readings_and_the_tariff(
    bureau: AppContext, tmp_path: Path
) -> None:
    readings(bureau, tmp_path, {DAY1: "100.00", DAY1 + timedelta(days=1): "110.00"})
    result = run(bureau, DAY1)
    [account] = result.estimated
    [day] = account["days"]
    assert day["kwh"] == "10.0000"
    assert day["charge"] == "4.31"  # 10 kWh × (0.43 + fund 0.001)
    assert (day["opening"], day["top_ups"], day["balance"]) == ("0.00", "30.00", "25.69")
    again = run(bureau, DAY1)
    assert again.estimated == []
    with unit_of_work(bureau.sessions) as session:
        assert len(session.scalars(select(PrepaidEstimate)).all()) == 1


def test_an_alert_once_below_the_threshold_a_trip_at_zero_only_after_notice_and_a_close_on_top_up(
    bureau: AppContext, tmp_path: Path, peer: ControlPeer
) -> None:
    d2, d3, d4, d5 = (DAY1 + timedelta(days=n) for n in range(1, 5))
    # day 1: 50 kWh = 21.55 → 8.45 left, below 20.00: alert; day 2: 30 kWh → below zero, notice too recent.
    readings(bureau, tmp_path, {DAY1: "100", d2: "150", d3: "180", d4: "181", d5: "182"})
    first = run(bureau, DAY1)
    assert first.estimated[0]["days"][0]["decisions"] == ["alert"]
    assert actions(bureau) == [("alert", DAY1, "queued")]
    second = run(bureau, d2)
    assert second.estimated[0]["days"][0]["decisions"] == ["trip_held"]  # the notice is under 24 h old
    assert peer.relay == CLOSED
    third = run(bureau, d3)
    assert third.estimated[0]["days"][0]["decisions"] == ["trip"]
    assert [(a["kind"], a["state"]) for a in third.actions] == [("trip", "acknowledged")]
    assert peer.relay == TRIPPED
    assert [k for k, _d, _s in actions(bureau)].count("alert") == 1  # alerted once
    take_payment(bureau, actor="cashier", request=top_up("100.00", key="t1", on=d4))
    fourth = run(bureau, d4)
    assert "close" in fourth.estimated[0]["days"][0]["decisions"]
    assert [(a["kind"], a["state"]) for a in fourth.actions] == [("close", "acknowledged")]
    assert peer.relay == CLOSED
