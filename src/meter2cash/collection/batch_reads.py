"""Set-based reads of the ledger for many accounts at once (the batch payment path).

Each query is the bulk form of a per-account read of `ledger`, `posting` and `accrual`, with the
same meaning: `open_items` of `ledger.open_items` (what each account owes, bill by bill: principal
on ``receivable``, late fee on ``late_fee_receivable``, sums that are not zero), `unposted_bills`
of `posting.unposted` (issued bills without their ``bill:<bill number>`` transaction), and
`prepayments` of `ledger.prepayment` (credits minus debits on ``prepayment``). Amounts are fen.
The accounts are those in the temporary key table named by ``accounts`` (`batch_sql.key_table`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Date, Integer, String, text
from sqlalchemy.orm import Session

from meter2cash.collection import gl
from meter2cash.collection.allocation import ItemKind
from meter2cash.collection.batch_sql import fen_sql
from meter2cash.collection.posting import BILL_SOURCE


@dataclass(frozen=True, slots=True)
class Item:
    """One open item (fen) with what the rules need: allocation order and late-fee pricing."""

    account_id: int
    receivable_id: int
    kind: ItemKind
    amount: int
    bill_no: str
    due_on: date
    period: str


def open_items(session: Session, *, accounts: str) -> list[Item]:
    """Every open item of the accounts in the key table ``accounts``."""
    total = fen_sql(session, "sum(e.amount)")
    rows = session.execute(
        text(
            f"SELECT e.account_id, e.receivable_id, e.gl, {total} AS fen, r.bill_no, r.due_on, r.period "
            f"FROM ledger_entry e JOIN {accounts} k ON k.id = e.account_id "
            "JOIN receivable r ON r.id = e.receivable_id "
            "WHERE e.gl IN (:principal, :late_fee) "
            "GROUP BY e.account_id, e.receivable_id, e.gl, r.bill_no, r.due_on, r.period "
            "HAVING sum(e.amount) <> 0"
        ).columns(fen=Integer, due_on=Date, bill_no=String, period=String),
        {"principal": gl.RECEIVABLE, "late_fee": gl.LATE_FEE_RECEIVABLE},
    ).all()
    principal, late_fee = ItemKind.PRINCIPAL, ItemKind.LATE_FEE
    return [
        Item(
            account_id,
            receivable_id,
            principal if code == gl.RECEIVABLE else late_fee,
            fen,
            bill_no,
            due,
            period,
        )
        for account_id, receivable_id, code, fen, bill_no, due, period in rows
    ]


@dataclass(frozen=True, slots=True)
class UnpostedBill:
    receivable_id: int
    account_id: int
    bill_no: str
    period: str
    amount: int
    issued_on: date
    category: str


def unposted_bills(session: Session, *, accounts: str) -> list[UnpostedBill]:
    """The accounts' issued bills not yet in the ledger, in posting order (account, due, number)."""
    rows = session.execute(
        text(
            f"SELECT r.id, r.account_id, r.bill_no, r.period, {fen_sql(session, 'r.amount')} AS fen, "
            "r.issued_on, a.category "
            f"FROM receivable r JOIN {accounts} k ON k.id = r.account_id "
            "JOIN account a ON a.id = r.account_id "
            "WHERE NOT EXISTS (SELECT 1 FROM ledger_txn t WHERE t.source = :prefix || r.bill_no) "
            "ORDER BY r.account_id, r.due_on, r.bill_no"
        ).columns(fen=Integer, issued_on=Date),
        {"prefix": BILL_SOURCE},
    ).all()
    return [UnpostedBill(*row) for row in rows]


def prepayments(session: Session, *, accounts: str) -> dict[int, int]:
    """Each account's prepayment in fen, where it has any ledger line on ``prepayment``."""
    total = fen_sql(session, "-sum(e.amount)")
    rows = session.execute(
        text(
            f"SELECT e.account_id, {total} FROM ledger_entry e JOIN {accounts} k ON k.id = e.account_id "
            "WHERE e.gl = :code GROUP BY e.account_id"
        ),
        {"code": gl.PREPAYMENT},
    ).all()
    return {account_id: int(fen) for account_id, fen in rows}
