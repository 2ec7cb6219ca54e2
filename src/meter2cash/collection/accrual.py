"""Accruing late payment penalties (违约金计提) into the ledger.

Fees accrue when a payment arrives (through the payment day, before the payment is allocated) and
at month end (through the last day of the month, ``m2c collect accrue``). For each bill still
owing principal after its due date, the penalty to date is priced by `late_fee_accrual` from the
principal owed day by day — read from the ledger: the bill's posting, less each payment on the day
after it is paid — and the ledger is charged the difference from what was charged before (debit
the account's 应收违约金 for that bill, credit 违约金收入). A ``late_fee_charge`` row explains each
charge (days, rule, the total to date). Accruing twice through the same day charges nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from meter2cash.billing.bill_model import Receivable
from meter2cash.collection import gl
from meter2cash.collection.late_fee_accrual import Balance, accrued_late_fee
from meter2cash.collection.late_fee_policy import LateFeePolicy
from meter2cash.collection.ledger import Line, post
from meter2cash.collection.ledger_model import LateFeeCharge, LedgerEntry, LedgerTxn
from meter2cash.registry.model import Account

ZERO = Decimal("0.00")


@dataclass
class AccrualReport:
    through: date
    bills: int = 0
    total: Decimal = ZERO
    charges: list[dict[str, str]] | None = None

    def as_json(self) -> dict[str, object]:
        return {"through": self.through.isoformat(), "bills": self.bills, "total": str(self.total)}


def accrue_late_fees(
    session: Session,
    *,
    through: date,
    at: datetime,
    actor: str,
    policy: LateFeePolicy,
    account_id: int | None = None,
) -> AccrualReport:
    """Charge the penalties of every overdue bill (of one account, or all) through ``through``."""
    report = AccrualReport(through=through, charges=[])
    overdue = _overdue_receivables(session, through=through, account_id=account_id)
    if not overdue:
        return report
    ids = [row[0].id for row in overdue]
    steps = _principal_steps(session, receivable_ids=ids, through=through)
    charged, counts = _charged(session, receivable_ids=ids)
    for receivable, category in overdue:
        balances = steps.get(receivable.id, [])
        priced = accrued_late_fee(
            category=category,
            bill=receivable.period,
            due_date=receivable.due_on,
            balances=balances,
            through=through,
            policy=policy,
        )
        already = charged.get(receivable.id, ZERO)
        charge = priced.accrued - already
        if charge <= 0:
            continue
        txn_id = post(
            session,
            kind="late_fee",
            source=f"late_fee:{receivable.bill_no}:{through.isoformat()}:{counts.get(receivable.id, 0) + 1}",
            business_day=through,
            at=at,
            actor=actor,
            lines=[
                Line(gl.LATE_FEE_RECEIVABLE, charge, receivable.account_id, receivable.id),
                Line(gl.LATE_FEE_INCOME, -charge, receivable.account_id, receivable.id),
            ],
            memo=f"违约金 {receivable.bill_no} 至 {through.isoformat()}",
        )
        session.execute(
            insert(LateFeeCharge).values(
                receivable_id=receivable.id,
                account_id=receivable.account_id,
                txn_id=txn_id,
                through=through,
                days=priced.days,
                amount=charge,
                total_to_date=priced.accrued,
                rule=priced.rule,
            )
        )
        report.bills += 1
        report.total += charge
        assert report.charges is not None
        report.charges.append({"bill_no": receivable.bill_no, "fee": str(charge), "days": str(priced.days)})
    return report


def _overdue_receivables(
    session: Session, *, through: date, account_id: int | None
) -> list[tuple[Receivable, str]]:
    """Bills past due on ``through`` whose principal is still (partly) owed in the ledger."""
    owing = (
        select(LedgerEntry.receivable_id)
        .where(LedgerEntry.gl == gl.RECEIVABLE)
        .group_by(LedgerEntry.receivable_id)
        .having(func.sum(LedgerEntry.amount) > 0)
    )
    if account_id is not None:
        owing = owing.where(LedgerEntry.account_id == account_id)
    query = (
        select(Receivable, Account.category)
        .join(Account, Account.id == Receivable.account_id)
        .where(Receivable.due_on < through, Receivable.id.in_(owing))
        .order_by(Receivable.account_id, Receivable.due_on)
    )
    return [(row[0], row[1]) for row in session.execute(query).all()]


def _principal_steps(
    session: Session, *, receivable_ids: list[int], through: date
) -> dict[int, list[Balance]]:
    """For each bill, the principal owed from each day on: the bill's posting counts from its day;
    every later movement (a payment, its reversal, a write-off) from the day after it, as money paid
    on a day counts as owed that whole day."""
    changes: dict[int, dict[date, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for start in range(0, len(receivable_ids), 5000):
        chunk = receivable_ids[start : start + 5000]
        rows = session.execute(
            select(LedgerEntry.receivable_id, LedgerTxn.business_day, LedgerTxn.kind, LedgerEntry.amount)
            .join(LedgerTxn, LedgerTxn.id == LedgerEntry.txn_id)
            .where(LedgerEntry.receivable_id.in_(chunk), LedgerEntry.gl == gl.RECEIVABLE)
        ).all()
        for receivable_id, day, kind, amount in rows:
            effective = day if kind == "bill" else day + timedelta(days=1)
            if effective <= through and receivable_id is not None:
                changes[receivable_id][effective] += amount
    steps: dict[int, list[Balance]] = {}
    for receivable_id, by_day in changes.items():
        owed = ZERO
        result = []
        for day in sorted(by_day):
            owed += by_day[day]
            result.append(Balance(since=day, amount=max(owed, ZERO)))
        steps[receivable_id] = result
    return steps


def _charged(session: Session, *, receivable_ids: list[int]) -> tuple[dict[int, Decimal], dict[int, int]]:
    """What each bill has been charged in late fees so far, and in how many charges."""
    charged: dict[int, Decimal] = {}
    counts: dict[int, int] = {}
    for start in range(0, len(receivable_ids), 5000):
        chunk = receivable_ids[start : start + 5000]
        rows = session.execute(
            select(LateFeeCharge.receivable_id, func.sum(LateFeeCharge.amount), func.count())
            .where(LateFeeCharge.receivable_id.in_(chunk))
            .group_by(LateFeeCharge.receivable_id)
        ).all()
        for receivable_id, amount, count in rows:
            charged[receivable_id] = amount
            counts[receivable_id] = count
    return charged, counts
