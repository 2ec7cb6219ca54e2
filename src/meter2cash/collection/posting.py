"""Posting issued bills to the ledger (应收记账), and settling them from prepayment (预收冲抵).

Billing writes one ``receivable`` row per issued bill (its contract with collection). Each is
posted once, as ``bill:<bill number>``:

- a bill asking money: debit the account's receivable (应收电费) for that bill, credit the revenue
  of the customer's class (电费收入);
- a credit bill (a 退补 refund, negative): debit revenue, credit the account's prepayment (预收),
  which then settles what the account owes.

After posting, an account holding prepayment has it applied to its open bills, oldest first
(`allocation`), as ``prepay:<bill number>``. Posting runs for every account before any collection
step touches it (`post_account`), and for the whole bureau with ``m2c collect post``; it is
idempotent — a bill already posted is not posted again (the ledger's unique ``source``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from meter2cash.billing.bill_model import Receivable
from meter2cash.collection import gl
from meter2cash.collection.allocation import ItemKind, WithinBill, allocate
from meter2cash.collection.ledger import Line, open_items, post, prepayment
from meter2cash.collection.ledger_model import LedgerTxn
from meter2cash.registry.model import Account

BILL_SOURCE = "bill:"


@dataclass
class PostingReport:
    bills: int = 0
    total: Decimal = Decimal("0.00")
    prepayment_applied: Decimal = Decimal("0.00")

    def as_json(self) -> dict[str, object]:
        return {
            "bills": self.bills,
            "total": str(self.total),
            "prepayment_applied": str(self.prepayment_applied),
        }


def unposted(
    session: Session, *, account_id: int | None = None, issued_through: date | None = None
) -> list[tuple[Receivable, str]]:
    """Issued bills not yet in the ledger (of one account, or issued on or before a day), oldest
    first, with their account's class."""
    query = (
        select(Receivable, Account.category)
        .join(Account, Account.id == Receivable.account_id)
        .outerjoin(LedgerTxn, LedgerTxn.source == BILL_SOURCE + Receivable.bill_no)
        .where(LedgerTxn.id.is_(None))
        .order_by(Receivable.account_id, Receivable.due_on, Receivable.bill_no)
    )
    if account_id is not None:
        query = query.where(Receivable.account_id == account_id)
    if issued_through is not None:
        query = query.where(Receivable.issued_on <= issued_through)
    return [(row[0], row[1]) for row in session.execute(query).all()]


def post_bills(
    session: Session,
    *,
    at: datetime,
    today: date,
    actor: str,
    within_bill: WithinBill,
    account_id: int | None = None,
    issued_through: date | None = None,
) -> PostingReport:
    """Post every unposted issued bill (of one account, or all; issued on or before
    ``issued_through`` if given), then apply prepayment."""
    report = PostingReport()
    touched: dict[int, str] = {}
    for receivable, category in unposted(session, account_id=account_id, issued_through=issued_through):
        amount = receivable.amount
        if amount > 0:
            lines = [
                Line(gl.RECEIVABLE, amount, receivable.account_id, receivable.id),
                Line(gl.revenue(category), -amount, receivable.account_id, receivable.id),
            ]
        elif amount < 0:
            lines = [
                Line(gl.revenue(category), -amount, receivable.account_id, receivable.id),
                Line(gl.PREPAYMENT, amount, receivable.account_id, receivable.id),
            ]
        else:
            continue  # a zero bill asks nothing and owes nothing
        post(
            session,
            kind="bill",
            source=BILL_SOURCE + receivable.bill_no,
            business_day=receivable.issued_on,
            at=at,
            actor=actor,
            lines=lines,
            memo=f"电费 {receivable.period}",
        )
        report.bills += 1
        report.total += amount
        touched[receivable.account_id] = receivable.bill_no
    for touched_account, bill_no in touched.items():
        report.prepayment_applied += apply_prepayment(
            session,
            account_id=touched_account,
            source=f"prepay:{bill_no}",
            at=at,
            today=today,
            actor=actor,
            within_bill=within_bill,
        )
    return report


def apply_prepayment(
    session: Session,
    *,
    account_id: int,
    source: str,
    at: datetime,
    today: date,
    actor: str,
    within_bill: WithinBill,
) -> Decimal:
    """Settle the account's open items from its prepayment, oldest first; returns the amount used."""
    available = prepayment(session, account_id=account_id)
    if available <= 0:
        return Decimal("0.00")
    items = open_items(session, account_id=account_id)
    if not any(item.amount > 0 for item in items):
        return Decimal("0.00")
    allocation = allocate(amount=available, items=items, within_bill=within_bill)
    used = allocation.settled
    lines = [Line(gl.PREPAYMENT, used, account_id)]
    for part in allocation.applied:
        code = gl.RECEIVABLE if part.item.kind is ItemKind.PRINCIPAL else gl.LATE_FEE_RECEIVABLE
        lines.append(Line(code, -part.amount, account_id, part.item.receivable_id))
    post(
        session,
        kind="prepayment",
        source=source,
        business_day=today,
        at=at,
        actor=actor,
        lines=lines,
        memo="预收冲抵 prepayment applied",
    )
    return used
