"""The set-based ledger queries behind the collection KPIs (`collection_kpis`). Read-only.

Each query is one GROUP BY over ``ledger_entry`` joined to ``ledger_txn`` (for the business day
and the kind of transaction) and, where a bill's period or due date matters, to ``receivable``.
Each returns a few rows (by kind, day or channel), except `open_bills`: one row per bill still
owing, which aging and the top debtors both use (one pass over the ledger for the two). The
ledger's transaction kinds:
``bill`` (an issued bill posted), ``payment``, ``prepayment`` (预收冲抵), ``reversal`` (冲正),
``late_fee`` (违约金计提), ``waiver`` (违约金减免), ``write_off`` (坏账核销).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from meter2cash.billing.bill_model import Receivable
from meter2cash.collection import gl
from meter2cash.collection.ledger_model import LedgerEntry, LedgerTxn, Payment, PaymentReversal
from meter2cash.collection.posting import BILL_SOURCE
from meter2cash.registry.model import Account, Customer

ZERO = Decimal("0.00")
BILL = "bill"
COLLECTING = ("payment", "prepayment", "reversal")  # money (or prepayment) settling a debt, net of 冲正
WAIVER = "waiver"
WRITE_OFF = "write_off"
LATE_FEE = "late_fee"


@dataclass(frozen=True, slots=True)
class Movement:
    """The receivable (principal) lines of one billing period's bills, of one kind of transaction,
    dated one business day: how many lines and their sum (debit positive)."""

    period: str
    kind: str
    day: date
    lines: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class PeriodMovements:
    """What happened to the principal of some bills: the sums of their movements by kind."""

    bills: int = 0  # bills posted (one 'bill' line each)
    issued: Decimal = ZERO  # the 'bill' postings
    collected: Decimal = ZERO  # credits by payments and prepayment, net of reversals
    written_off: Decimal = ZERO
    outstanding: Decimal = ZERO  # every movement: what is still owed


def receivable_movements(session: Session, *, first_period: str, last_period: str) -> list[Movement]:
    """The principal movements of the bills of periods ``first_period``–``last_period`` (labels
    ``YYYY-MM``), by period, kind and business day — one pass over the ledger, a few thousand rows
    at most (periods × kinds × days)."""
    rows = session.execute(
        select(
            Receivable.period,
            LedgerTxn.kind,
            LedgerTxn.business_day,
            func.count(),
            func.sum(LedgerEntry.amount),
        )
        .select_from(LedgerEntry)
        .join(LedgerTxn, LedgerTxn.id == LedgerEntry.txn_id)
        .join(Receivable, Receivable.id == LedgerEntry.receivable_id)
        .where(
            LedgerEntry.gl == gl.RECEIVABLE,
            Receivable.period >= first_period,
            Receivable.period <= last_period,
        )
        .group_by(Receivable.period, LedgerTxn.kind, LedgerTxn.business_day)
    ).all()
    return [Movement(period, kind, day, lines, amount) for period, kind, day, lines, amount in rows]


def add_up(movements: Iterable[Movement], *, through: date) -> PeriodMovements:
    """The movements dated on or before ``through``, summed by what they did."""
    sums: dict[str, Decimal] = defaultdict(lambda: ZERO)
    bills = 0
    for row in movements:
        if row.day > through:
            continue
        sums[row.kind] += row.amount
        bills += row.lines if row.kind == BILL else 0
    return PeriodMovements(
        bills=bills,
        issued=sums[BILL],
        collected=-sum((sums[kind] for kind in COLLECTING), ZERO),
        written_off=-sums[WRITE_OFF],
        outstanding=sum(sums.values(), ZERO),
    )


def month_movements(session: Session, *, start: date, end: date) -> dict[tuple[str, str], Decimal]:
    """Sums of the receivable and late-fee receivable lines dated ``start``–``end``, by (kind, gl)."""
    rows = session.execute(
        select(LedgerTxn.kind, LedgerEntry.gl, func.sum(LedgerEntry.amount))
        .select_from(LedgerEntry)
        .join(LedgerTxn, LedgerTxn.id == LedgerEntry.txn_id)
        .where(
            LedgerTxn.business_day >= start,
            LedgerTxn.business_day <= end,
            LedgerEntry.gl.in_((gl.RECEIVABLE, gl.LATE_FEE_RECEIVABLE)),
        )
        .group_by(LedgerTxn.kind, LedgerEntry.gl)
    ).all()
    return {(kind, code): amount for kind, code, amount in rows}


@dataclass(frozen=True, slots=True)
class OpenBill:
    """A bill's principal still owed on a day, with its due date and account."""

    account_id: int
    account_no: str
    due_on: date
    owed: Decimal


def open_bills(session: Session, *, as_of: date) -> list[OpenBill]:
    """Every bill whose principal (应收电费) dated on or before ``as_of`` sums to more than zero:
    one GROUP BY over the ledger; as many rows as open bills."""
    owed = (
        select(
            LedgerEntry.receivable_id.label("receivable_id"),
            func.sum(LedgerEntry.amount).label("owed"),
        )
        .join(LedgerTxn, LedgerTxn.id == LedgerEntry.txn_id)
        .where(LedgerEntry.gl == gl.RECEIVABLE, LedgerTxn.business_day <= as_of)
        .group_by(LedgerEntry.receivable_id)
        .having(func.sum(LedgerEntry.amount) > 0)
        .subquery()
    )
    rows = session.execute(
        select(Account.id, Account.account_no, Receivable.due_on, owed.c.owed)
        .select_from(owed)
        .join(Receivable, Receivable.id == owed.c.receivable_id)
        .join(Account, Account.id == Receivable.account_id)
    ).all()
    return [
        OpenBill(account_id, account_no, due_on, amount) for account_id, account_no, due_on, amount in rows
    ]


def late_fees_owed(session: Session, *, as_of: date) -> Decimal:
    """Late fees (违约金) charged and not yet paid, waived or reversed, as of ``as_of``."""
    total = session.scalar(
        select(func.sum(LedgerEntry.amount))
        .join(LedgerTxn, LedgerTxn.id == LedgerEntry.txn_id)
        .where(LedgerEntry.gl == gl.LATE_FEE_RECEIVABLE, LedgerTxn.business_day <= as_of)
    )
    return total if total is not None else ZERO


def _late_fees_by_account(session: Session, *, as_of: date, account_ids: list[int]) -> dict[int, Decimal]:
    rows = session.execute(
        select(LedgerEntry.account_id, func.sum(LedgerEntry.amount))
        .join(LedgerTxn, LedgerTxn.id == LedgerEntry.txn_id)
        .where(
            LedgerEntry.gl == gl.LATE_FEE_RECEIVABLE,
            LedgerTxn.business_day <= as_of,
            LedgerEntry.account_id.in_(account_ids),
        )
        .group_by(LedgerEntry.account_id)
    ).all()
    return {account_id: amount for account_id, amount in rows if account_id is not None}


@dataclass(frozen=True, slots=True)
class Debtor:
    account_no: str
    customer_name: str
    category: str
    principal: Decimal
    late_fees: Decimal
    oldest_due_on: date
    days_overdue: int

    def as_json(self) -> dict[str, object]:
        return {
            "account_no": self.account_no,
            "customer_name": self.customer_name,
            "category": self.category,
            "principal": str(self.principal),
            "late_fees": str(self.late_fees),
            "oldest_due_on": self.oldest_due_on.isoformat(),
            "days_overdue": self.days_overdue,
        }


def top_debtors(session: Session, *, bills: Iterable[OpenBill], as_of: date, limit: int) -> list[Debtor]:
    """The ``limit`` accounts owing the most principal due on or before ``as_of`` (欠费大户), most
    first (ties by account number), with their late fees owed and oldest open due date."""
    if limit <= 0:
        return []
    principal: dict[tuple[int, str], Decimal] = defaultdict(lambda: ZERO)
    oldest: dict[int, date] = {}
    for bill in bills:
        if bill.due_on <= as_of:
            principal[bill.account_id, bill.account_no] += bill.owed
            oldest[bill.account_id] = min(bill.due_on, oldest.get(bill.account_id, bill.due_on))
    ranked = sorted(principal.items(), key=lambda item: (-item[1], item[0][1]))[:limit]
    if not ranked:
        return []
    ids = [account_id for (account_id, _no), _amount in ranked]
    fees = _late_fees_by_account(session, as_of=as_of, account_ids=ids)
    names = {
        account_id: (name, category)
        for account_id, name, category in session.execute(
            select(Account.id, Customer.name, Account.category)
            .join(Customer, Customer.id == Account.customer_id)
            .where(Account.id.in_(ids))
        ).all()
    }
    return [
        Debtor(
            account_no=account_no,
            customer_name=names[account_id][0],
            category=names[account_id][1],
            principal=amount,
            late_fees=max(fees.get(account_id, ZERO), ZERO),
            oldest_due_on=oldest[account_id],
            days_overdue=(as_of - oldest[account_id]).days,
        )
        for (account_id, account_no), amount in ranked
    ]


@dataclass(frozen=True, slots=True)
class ChannelTotals:
    payments: int = 0
    amount: Decimal = ZERO
    reversed_payments: int = 0
    reversed_amount: Decimal = ZERO

    def as_json(self) -> dict[str, object]:
        return {
            "payments": self.payments,
            "amount": str(self.amount),
            "reversed_payments": self.reversed_payments,
            "reversed_amount": str(self.reversed_amount),
        }


def payments_by_channel(session: Session, *, start: date, end: date) -> dict[str, ChannelTotals]:
    """Payments paid on ``start``–``end`` by channel (every channel, zero when none): those standing
    and, apart, those reversed (冲正 approved)."""
    reversed_ids = select(PaymentReversal.payment_id).where(PaymentReversal.state == "approved")
    in_days = (Payment.paid_on >= start, Payment.paid_on <= end)
    standing = session.execute(
        select(Payment.channel, func.count(), func.sum(Payment.amount))
        .where(*in_days, Payment.id.not_in(reversed_ids))
        .group_by(Payment.channel)
    ).all()
    undone = dict(
        (channel, (count, amount))
        for channel, count, amount in session.execute(
            select(Payment.channel, func.count(), func.sum(Payment.amount))
            .where(*in_days, Payment.id.in_(reversed_ids))
            .group_by(Payment.channel)
        ).all()
    )
    kept = {channel: (count, amount) for channel, count, amount in standing}
    known = [channel.value for channel in gl.Channel]
    result = {}
    for channel in known + sorted((set(kept) | set(undone)) - set(known)):
        count, amount = kept.get(channel, (0, ZERO))
        reversed_count, reversed_amount = undone.get(channel, (0, ZERO))
        result[channel] = ChannelTotals(count, amount, reversed_count, reversed_amount)
    return result


@dataclass(frozen=True, slots=True)
class Unposted:
    bills: int = 0
    amount: Decimal = ZERO
    of_period: int = 0


def unposted_bills(session: Session, *, period: str) -> Unposted:
    """Issued bills (non-zero) not yet posted to the ledger: all of them, and those of ``period``."""
    rows = session.execute(
        select(Receivable.period, func.count(), func.sum(Receivable.amount))
        .outerjoin(LedgerTxn, LedgerTxn.source == BILL_SOURCE + Receivable.bill_no)
        .where(LedgerTxn.id.is_(None), Receivable.amount != 0)
        .group_by(Receivable.period)
    ).all()
    return Unposted(
        bills=sum(count for _period, count, _amount in rows),
        amount=sum((value for _period, _count, value in rows), ZERO),
        of_period=sum(count for label, count, _amount in rows if label == period),
    )
