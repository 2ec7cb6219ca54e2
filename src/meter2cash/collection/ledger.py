"""Posting to the receivables ledger and reading balances from it (docs/ledger.md).

`post` writes one balanced transaction: it refuses lines that do not sum to zero, fewer than two
lines, a zero line or an amount not in whole fen before anything is written. Every transaction a
session posts is checked again in SQL just before that session commits (the unit of work's check,
which is what guards SQLite); on PostgreSQL a deferred constraint trigger checks it once more at
commit (migration 0008). Nothing in the ledger is ever updated or deleted.

Balances, open items and statements are computed from the ledger lines only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, func, insert, select
from sqlalchemy.orm import Session

from meter2cash.billing.bill_model import Receivable
from meter2cash.collection import gl
from meter2cash.collection.allocation import ItemKind, OpenItem
from meter2cash.collection.ledger_model import LedgerEntry, LedgerTxn
from meter2cash.platform.money import round_fen

ZERO = Decimal("0.00")
POSTED_KEY = "m2c_ledger_txns"


class Unbalanced(ValueError):
    """A ledger transaction whose lines do not sum to zero (or that has fewer than two lines)."""


@dataclass(frozen=True, slots=True)
class Line:
    """One ledger line: a debit when ``amount`` is positive, a credit when negative."""

    gl: str
    amount: Decimal
    account_id: int | None = None
    receivable_id: int | None = None
    payment_id: int | None = None


def check_lines(lines: Sequence[Line]) -> None:
    """The ledger invariant, before anything is written."""
    if len(lines) < 2:
        raise Unbalanced(f"a ledger transaction needs at least two lines, got {len(lines)}")
    for line in lines:
        if not isinstance(line.amount, Decimal) or line.amount == 0 or round_fen(line.amount) != line.amount:
            raise Unbalanced(f"ledger line amounts must be non-zero whole fen: {line.gl} {line.amount!r}")
    total = sum((line.amount for line in lines), ZERO)
    if total != 0:
        raise Unbalanced(f"ledger lines sum to {total}, not 0")


def post(
    session: Session,
    *,
    kind: str,
    source: str,
    business_day: date,
    at: datetime,
    actor: str,
    lines: Sequence[Line],
    batch: str | None = None,
    memo: str | None = None,
) -> int:
    """Write one balanced transaction; returns its id. ``source`` names what it posts
    (``bill:2026-000123``, ``payment:55`` …) and is unique: posting the same thing twice fails."""
    check_lines(lines)
    txn_id = session.scalar(
        insert(LedgerTxn)
        .values(
            kind=kind,
            source=source,
            business_day=business_day,
            posted_at=at,
            actor=actor,
            batch=batch,
            memo=memo,
        )
        .returning(LedgerTxn.id)
    )
    assert isinstance(txn_id, int)
    session.execute(
        insert(LedgerEntry),
        [
            {
                "txn_id": txn_id,
                "gl": line.gl,
                "account_id": line.account_id,
                "receivable_id": line.receivable_id,
                "payment_id": line.payment_id,
                "amount": line.amount,
            }
            for line in lines
        ],
    )
    session.info.setdefault(POSTED_KEY, set()).add(txn_id)
    return txn_id


@event.listens_for(Session, "before_commit")
def _check_posted_transactions(session: Session) -> None:
    """The unit of work's ledger check: every transaction this session posted sums to zero."""
    posted: set[int] = session.info.pop(POSTED_KEY, set())
    if not posted:
        return
    ids = sorted(posted)
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        bad = session.execute(
            select(LedgerEntry.txn_id, func.count(), func.sum(LedgerEntry.amount))
            .where(LedgerEntry.txn_id.in_(chunk))
            .group_by(LedgerEntry.txn_id)
            .having((func.sum(LedgerEntry.amount) != 0) | (func.count() < 2))
        ).first()
        counted = session.scalar(
            select(func.count(func.distinct(LedgerEntry.txn_id))).where(LedgerEntry.txn_id.in_(chunk))
        )
        if bad is not None or counted != len(chunk):
            raise Unbalanced(
                f"ledger transaction {bad[0] if bad else '?'} does not balance; nothing was saved"
            )


def forget_posted(session: Session) -> None:
    """After a rollback, the posted transactions are gone too."""
    session.info.pop(POSTED_KEY, None)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    forget_posted(session)


def open_items(session: Session, *, account_id: int) -> list[OpenItem]:
    """What the account still owes, bill by bill: principal (应收电费) and late fee (违约金)."""
    rows = session.execute(
        select(
            LedgerEntry.receivable_id,
            LedgerEntry.gl,
            func.sum(LedgerEntry.amount),
            Receivable.bill_no,
            Receivable.due_on,
        )
        .join(Receivable, Receivable.id == LedgerEntry.receivable_id)
        .where(
            LedgerEntry.account_id == account_id,
            LedgerEntry.gl.in_((gl.RECEIVABLE, gl.LATE_FEE_RECEIVABLE)),
        )
        .group_by(LedgerEntry.receivable_id, LedgerEntry.gl, Receivable.bill_no, Receivable.due_on)
        .having(func.sum(LedgerEntry.amount) != 0)
    ).all()
    return [
        OpenItem(
            receivable_id=receivable_id,
            bill_no=bill_no,
            due_on=due_on,
            kind=ItemKind.PRINCIPAL if code == gl.RECEIVABLE else ItemKind.LATE_FEE,
            amount=amount,
        )
        for receivable_id, code, amount, bill_no, due_on in rows
        if receivable_id is not None
    ]


def gl_balance(session: Session, *, code: str, account_id: int | None = None) -> Decimal:
    """The balance (debits minus credits) of one general-ledger account, optionally of one
    customer account's lines only."""
    query = select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(LedgerEntry.gl == code)
    if account_id is not None:
        query = query.where(LedgerEntry.account_id == account_id)
    value: Any = session.scalar(query)
    return Decimal(value or 0).quantize(Decimal("0.01")) if not isinstance(value, Decimal) else value


def prepayment(session: Session, *, account_id: int) -> Decimal:
    """The account's prepayment (预收电费): credits minus debits on the liability."""
    return -gl_balance(session, code=gl.PREPAYMENT, account_id=account_id)


@dataclass(frozen=True)
class AccountBalance:
    principal: Decimal  # 欠费本金
    late_fees: Decimal  # 违约金
    prepayment: Decimal  # 预收

    @property
    def owed(self) -> Decimal:
        """What the customer must pay now: principal and late fees less prepayment."""
        return self.principal + self.late_fees - self.prepayment

    def as_json(self) -> dict[str, str]:
        return {
            "principal": str(self.principal),
            "late_fees": str(self.late_fees),
            "prepayment": str(self.prepayment),
            "owed": str(self.owed),
        }


def account_balance(session: Session, *, account_id: int) -> AccountBalance:
    return AccountBalance(
        principal=gl_balance(session, code=gl.RECEIVABLE, account_id=account_id),
        late_fees=gl_balance(session, code=gl.LATE_FEE_RECEIVABLE, account_id=account_id),
        prepayment=prepayment(session, account_id=account_id),
    )


def trial_balance(session: Session) -> dict[str, Decimal]:
    """Every general-ledger account's balance; they add up to zero."""
    rows = session.execute(
        select(LedgerEntry.gl, func.sum(LedgerEntry.amount)).group_by(LedgerEntry.gl).order_by(LedgerEntry.gl)
    ).all()
    return {code: amount for code, amount in rows}
