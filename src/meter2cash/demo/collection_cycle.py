"""The demo's collection (收费) after billing: the demo clock walks day by day from the first
issued bill to the end of the collection window, and each day

1. posts the bills issued that day to the receivables ledger (应收记账);
2. takes that day's planned payments (`meter2cash.demo.payment_plan`): bank withholding
   (代扣) and agent (代收) payments as one batch per bank or agent, counter payments (坐收) one by
   one as the cashier, each with its receipt; every payment accrues the late fees its bills owe
   by then and is allocated oldest debt first by the ledger;
3. on each Monday and on the last day, runs dunning (催费) as the cashier;
4. on a month's last day accrues late fees through it (月末计提), and closes the month
   (关账) if it ended before the demo's ``until``.

On the last day it proposes the lawful disconnection (停电) of the chronic non-payers that
qualify, as the cashier — a manager approves them in the console — and reports each period's
collection KPIs (电费回收率). Everything goes through the same services a clerk uses, so it is
audited, idempotent (a rebuild adds nothing: payment references and keys are fixed) and runs on
the demo's own clock, never the wall clock.
"""

from __future__ import annotations

import calendar
import csv
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from meter2cash.billing.bill_model import Bill
from meter2cash.collection import gl
from meter2cash.collection.batch_payment_service import import_payment_batch
from meter2cash.collection.batch_payments import BatchPayment
from meter2cash.collection.collection_kpis import collection_kpis
from meter2cash.collection.ledger import trial_balance
from meter2cash.collection.ledger_model import CollectionClose, LedgerTxn
from meter2cash.collection.month_end import accrue_month_end, close_month, post_issued_bills
from meter2cash.collection.payment_service import take_payment
from meter2cash.collection.payments import PaymentRequest
from meter2cash.collection.policies import late_fee_policy
from meter2cash.demo.payment_plan import (
    COUNTER,
    WITHHOLDING,
    DemoBill,
    PlannedPayment,
    plan_payments,
)
from meter2cash.demo.payments import PaymentProfile
from meter2cash.demo.steps import Progress, Silent
from meter2cash.platform.clock import BUSINESS_TZ, FixedClock
from meter2cash.platform.context import AppContext
from meter2cash.registry.model import Account

COLLECTING = "collecting"
COLLECTION_DAYS = 28  # the window runs this many days past the last bill's issue day
PAYMENT_HOUR = 16  # payments of the day are taken in the afternoon
DUNNING_WEEKDAY = 0  # Monday


@dataclass
class CollectionOutcome:
    first_day: str = ""
    last_day: str = ""
    bills_posted: int = 0
    payments: dict[str, int] = field(default_factory=dict)  # kind → count
    amounts: dict[str, str] = field(default_factory=dict)  # channel → yuan
    late_fees_accrued: str = "0.00"
    months_closed: list[str] = field(default_factory=list)
    dunning: list[dict[str, object]] = field(default_factory=list)
    disconnections_proposed: int = 0
    kpis: dict[str, dict[str, object]] = field(default_factory=dict)  # period → CollectionKpis JSON
    trial_balance: dict[str, str] = field(default_factory=dict)


# Steps that other parts of collection plug in (dunning, disconnection proposals); each takes the
# demo context, the acting user and the day, and returns its report as JSON.
DayStep = Callable[[AppContext, str, date], dict[str, object]]


def run_collection(
    ctx: AppContext,
    *,
    periods: list[str],
    until: date,
    cashier: str,
    manager: str,
    profiles_file: Path,
    dunning: DayStep | None = None,
    propose_disconnections: DayStep | None = None,
    progress: Progress | None = None,
) -> CollectionOutcome:
    report = progress or Silent()
    outcome = CollectionOutcome()
    bills = _issued_bills(ctx, periods=periods)
    if not bills or not isinstance(ctx.clock, FixedClock):
        return outcome
    first = min(b.issued_on for b in bills)
    last = max(b.issued_on for b in bills) + timedelta(days=COLLECTION_DAYS)
    plan = plan_payments(
        bills=bills,
        profiles=_profiles(profiles_file),
        until=last,
        late_fee_policy=late_fee_policy(ctx.settings),
    )
    by_day: dict[date, list[PlannedPayment]] = defaultdict(list)
    for payment in plan:
        by_day[payment.paid_on].append(payment)
    outcome.first_day, outcome.last_day = first.isoformat(), last.isoformat()
    days = (last - first).days + 1
    report.start(COLLECTING, days)
    amounts: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    accrued = Decimal("0.00")
    closed = _closed_months(ctx)
    for offset in range(days):
        day = first + timedelta(days=offset)
        _at(ctx, day, PAYMENT_HOUR)
        post_issued_bills(ctx, actor=manager, issued_through=day)
        for payment in _take(ctx, cashier=cashier, day=day, payments=by_day.get(day, [])):
            outcome.payments[payment.kind] = outcome.payments.get(payment.kind, 0) + 1
            amounts[payment.channel] += payment.amount
        if dunning is not None and (day.weekday() == DUNNING_WEEKDAY or day == last):
            outcome.dunning.append({"day": day.isoformat()} | dunning(ctx, cashier, day))
        if day.day == calendar.monthrange(day.year, day.month)[1]:
            period = f"{day.year}-{day.month:02d}"
            _at(ctx, day + timedelta(days=1), 1)
            if period in closed:
                pass  # a rebuild: the month was closed by the first one
            elif day < until:
                accrued += close_month(ctx, actor=manager, period=period).total
                outcome.months_closed.append(period)
            elif day < last:
                accrued += accrue_month_end(ctx, actor=manager, through=day).total
        report.update(COLLECTING, offset + 1)
    _at(ctx, last, PAYMENT_HOUR + 2)
    if propose_disconnections is not None:
        proposed = propose_disconnections(ctx, cashier, last)
        outcome.disconnections_proposed = int(str(proposed.get("proposed", 0)))
    outcome.amounts = {channel: str(total) for channel, total in sorted(amounts.items())}
    outcome.late_fees_accrued = str(accrued)
    for period in periods:
        outcome.kpis[period] = collection_kpis(ctx, actor=manager, period=period, top=5).as_json()
    with ctx.sessions() as session:
        outcome.trial_balance = {code: str(amount) for code, amount in trial_balance(session).items()}
        outcome.bills_posted = (
            session.scalar(select(func.count()).select_from(LedgerTxn).where(LedgerTxn.kind == "bill")) or 0
        )
    return outcome


def _take(
    ctx: AppContext, *, cashier: str, day: date, payments: list[PlannedPayment]
) -> list[PlannedPayment]:
    """Take one day's payments: a batch per bank and per agent, counter payments one by one."""
    batches: dict[tuple[str, str], list[PlannedPayment]] = defaultdict(list)
    for payment in payments:
        if payment.channel == COUNTER:
            take_payment(
                ctx,
                actor=cashier,
                request=PaymentRequest(
                    account_no=payment.account_no,
                    amount=payment.amount,
                    channel=gl.Channel.COUNTER,
                    method=gl.Method.CASH,
                    source="counter",
                    paid_on=day,
                    idempotency_key=f"demo:{payment.bill_no}:{payment.kind}",
                ),
            )
        else:
            batches[(payment.channel, payment.source)].append(payment)
    for (channel, source), rows in sorted(batches.items()):
        method = gl.Method.DEBIT if channel == WITHHOLDING else gl.Method.ONLINE
        import_payment_batch(
            ctx,
            actor=cashier,
            batch=f"demo {source} {day.isoformat()}",
            channel=gl.Channel.BANK_WITHHOLDING if channel == WITHHOLDING else gl.Channel.AGENT,
            method=method,
            source=source,
            rows=[
                BatchPayment(
                    account_no=p.account_no,
                    amount=p.amount,
                    paid_on=day,
                    channel_ref=f"D{p.bill_no}{p.kind[0].upper()}",
                )
                for p in rows
            ],
        )
    return payments


def _issued_bills(ctx: AppContext, *, periods: list[str]) -> list[DemoBill]:
    with ctx.sessions() as session:
        rows = session.execute(
            select(
                Account.account_no, Account.category, Bill.bill_no, Bill.total, Bill.issued_on, Bill.due_on
            )
            .join(Account, Account.id == Bill.account_id)
            .where(Bill.period.in_(periods), Bill.state == "issued")
            .order_by(Bill.issued_on, Account.account_no)
        ).all()
        return [
            DemoBill(account_no, category, bill_no, total, issued_on, due_on)
            for account_no, category, bill_no, total, issued_on, due_on in rows
            if bill_no is not None and issued_on is not None and due_on is not None
        ]


def _profiles(path: Path) -> dict[str, PaymentProfile]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            row["account_no"]: PaymentProfile(
                row["account_no"], row["profile"], int(row["delay_days"]), int(row["unpaid_percent"])
            )
            for row in csv.DictReader(handle)
        }


def _closed_months(ctx: AppContext) -> set[str]:
    with ctx.sessions() as session:
        return set(session.scalars(select(CollectionClose.period)))


def _at(ctx: AppContext, day: date, hour: int) -> None:
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.instant = datetime.combine(day, time(hour), tzinfo=BUSINESS_TZ).astimezone(UTC)
