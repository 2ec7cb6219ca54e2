"""The demo's collection step: payments on every channel, late fees, month close, KPIs — and a
rebuild adds nothing."""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from meter2cash.collection.account_views import account_view
from meter2cash.collection.disconnection_model import DisconnectionCaseRow
from meter2cash.collection.dunning_model import DunningNotice
from meter2cash.collection.ledger_model import LedgerTxn, Payment
from meter2cash.demo.billing_cycle import run_billing
from meter2cash.demo.build import build_demo
from meter2cash.demo.collection_cycle import CollectionOutcome
from meter2cash.demo.files import demo_dir
from meter2cash.demo.reading_cycle import cycle_periods, run_reading_cycle
from meter2cash.demo.spec import DemoSpec
from meter2cash.demo.steps import Silent
from meter2cash.demo.users import ADMIN, CLERK, READER, REVIEWER
from meter2cash.interfaces.cli.demo_collection_view import demo_collection
from meter2cash.platform.audit import verify_chain
from meter2cash.platform.clock import FixedClock
from meter2cash.platform.context import AppContext
from meter2cash.platform.outbox_model import OutboxMessage

SPEC = DemoSpec(accounts=120, seed=7)


def _collect(ctx: AppContext, periods: list[str]) -> CollectionOutcome:
    """The demo's own wiring: dunning each Monday, disconnection proposals on the last day."""
    return demo_collection(ctx, spec=SPEC, periods=periods, progress=Silent())


def _count(ctx: AppContext, model: type[object]) -> int:
    with ctx.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def billed(ctx: AppContext) -> tuple[AppContext, list[str]]:
    build_demo(ctx, spec=SPEC)
    periods = cycle_periods(until=SPEC.until, months=2)
    demo_ctx = AppContext.create(engine=ctx.engine, clock=FixedClock(), settings=ctx.settings)
    run_reading_cycle(demo_ctx, periods=periods, reader=READER, clerk=CLERK, admin=ADMIN)
    run_billing(demo_ctx, periods=periods, admin=ADMIN, clerk=CLERK, reviewer=REVIEWER)
    return ctx, periods


def _txns(ctx: AppContext) -> int:
    with ctx.sessions() as session:
        return session.scalar(select(func.count()).select_from(LedgerTxn)) or 0


@pytest.mark.slow
def test_the_demo_collects_on_every_channel_and_a_rebuild_adds_nothing(
    billed: tuple[AppContext, list[str]],
) -> None:
    ctx, periods = billed
    outcome = _collect(ctx, periods)
    assert outcome.bills_posted > 0
    assert {"on_time", "late"} <= set(outcome.payments)
    assert set(outcome.amounts) == {"agent", "bank_withholding", "counter"}
    assert sum(Decimal(v) for v in outcome.trial_balance.values()) == 0
    assert outcome.months_closed == ["2026-10"]
    for period in periods:
        recovery = outcome.kpis[period]["recovery"]
        assert isinstance(recovery, dict)
        assert Decimal("80") < Decimal(str(recovery["recovery_rate_pct"])) < Decimal("100")
    with ctx.sessions() as session:
        by_channel = dict(
            session.execute(select(Payment.channel, func.sum(Payment.amount)).group_by(Payment.channel)).all()
        )
        assert {channel: str(amount) for channel, amount in by_channel.items()} == outcome.amounts
        assert verify_chain(session).problem is None
    assert outcome.dunning and sum(int(str(run["notices"])) for run in outcome.dunning) > 0
    assert outcome.disconnections_proposed > 0
    before = _txns(ctx), _count(ctx, DunningNotice), _count(ctx, OutboxMessage)
    cases = _count(ctx, DisconnectionCaseRow)
    again = _collect(ctx, periods)
    assert (_txns(ctx), _count(ctx, DunningNotice), _count(ctx, OutboxMessage)) == before
    assert _count(ctx, DisconnectionCaseRow) == cases
    assert again.months_closed == []
    assert again.disconnections_proposed == 0


@pytest.mark.slow
def test_the_chronic_non_payers_still_owe_when_the_window_ends(billed: tuple[AppContext, list[str]]) -> None:
    ctx, periods = billed
    _collect(ctx, periods)
    with (demo_dir(ctx.settings.data_dir) / "payment_profiles.csv").open(encoding="utf-8") as handle:
        chronic = [
            row["account_no"] for row in csv.DictReader(handle) if row["profile"] == "chronic_non_payer"
        ]
    assert chronic
    owed = [account_view(ctx, actor="cashier", account_no=number).balance.owed for number in chronic]
    assert all(amount >= 0 for amount in owed)
    assert any(amount > 0 for amount in owed)
