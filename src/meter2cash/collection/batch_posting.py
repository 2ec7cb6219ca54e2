"""Posting the issued bills of many accounts at once, then applying their prepayment — the bulk
form of `posting.post_bills` with the same rules and the same ledger:

- each unposted issued bill is one ``bill`` transaction, source ``bill:<bill number>``, dated its
  issue day: a bill asking money debits the account's receivable and credits its class's revenue;
  a credit bill debits revenue and credits the account's prepayment; a zero bill posts nothing;
- then every account that had a bill posted and holds prepayment has it applied to its open items,
  oldest first (`allocation.allocate`), as one ``prepayment`` transaction ``prepay:<the last bill
  posted>`` dated today.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from meter2cash.collection import gl
from meter2cash.collection.allocation import ItemKind, OpenItem, WithinBill, allocate
from meter2cash.collection.batch_ledger import LedgerRows, write_ledger
from meter2cash.collection.batch_reads import Item, open_items, prepayments, unposted_bills
from meter2cash.collection.batch_sql import key_table
from meter2cash.collection.posting import BILL_SOURCE, PostingReport


def yuan(fen: int) -> Decimal:
    """Integer fen as exact yuan with two places."""
    return Decimal(fen).scaleb(-2)


def as_open_item(item: Item) -> OpenItem:
    return OpenItem(item.receivable_id, item.bill_no, item.due_on, item.kind, yuan(item.amount))


def post_account_bills(
    session: Session, *, accounts: str, at: datetime, today: date, actor: str, within_bill: WithinBill
) -> PostingReport:
    """Post the unposted bills of the accounts in the key table ``accounts``, then apply prepayment."""
    report = PostingReport()
    rows = LedgerRows()
    touched: dict[int, str] = {}
    for bill in unposted_bills(session, accounts=accounts):
        account, receivable, fen = bill.account_id, bill.receivable_id, bill.amount
        revenue = gl.revenue(bill.category)
        if fen > 0:
            lines = [(gl.RECEIVABLE, fen, account, receivable), (revenue, -fen, account, receivable)]
        elif fen < 0:
            lines = [(revenue, -fen, account, receivable), (gl.PREPAYMENT, fen, account, receivable)]
        else:
            continue  # a zero bill asks nothing and owes nothing
        rows.add(
            kind="bill",
            source=BILL_SOURCE + bill.bill_no,
            business_day=bill.issued_on,
            memo=f"电费 {bill.period}",
            lines=lines,
        )
        report.bills += 1
        report.total += yuan(fen)
        touched[account] = bill.bill_no
    write_ledger(session, txns=rows.txn_frame(), entries=rows.entry_frame(), at=at, actor=actor)
    if touched:
        report.prepayment_applied = _apply_prepayments(
            session, touched=touched, at=at, today=today, actor=actor, within_bill=within_bill
        )
    return report


def _apply_prepayments(
    session: Session,
    *,
    touched: dict[int, str],
    at: datetime,
    today: date,
    actor: str,
    within_bill: WithinBill,
) -> Decimal:
    table = key_table(session, name="m2c_batch_touched", column="id", sql_type="BIGINT", keys=touched)
    holders = {account: fen for account, fen in prepayments(session, accounts=table).items() if fen > 0}
    if not holders:
        return Decimal("0.00")
    table = key_table(session, name="m2c_batch_touched", column="id", sql_type="BIGINT", keys=holders)
    owed: dict[int, list[OpenItem]] = defaultdict(list)
    for item in open_items(session, accounts=table):
        owed[item.account_id].append(as_open_item(item))
    rows = LedgerRows()
    used_total = Decimal("0.00")
    for account, available in holders.items():
        items = owed.get(account, [])
        if not any(item.amount > 0 for item in items):
            continue
        allocation = allocate(amount=yuan(available), items=items, within_bill=within_bill)
        used = allocation.settled
        lines: list[tuple[str, int, int | None, int | None]] = [
            (gl.PREPAYMENT, int(used.scaleb(2)), account, None)
        ]
        for part in allocation.applied:
            code = gl.RECEIVABLE if part.item.kind is ItemKind.PRINCIPAL else gl.LATE_FEE_RECEIVABLE
            lines.append((code, -int(part.amount.scaleb(2)), account, part.item.receivable_id))
        rows.add(
            kind="prepayment",
            source=f"prepay:{touched[account]}",
            business_day=today,
            memo="预收冲抵 prepayment applied",
            lines=lines,
        )
        used_total += used
    write_ledger(session, txns=rows.txn_frame(), entries=rows.entry_frame(), at=at, actor=actor)
    return used_total
