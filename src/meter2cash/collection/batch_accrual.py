"""Accruing the late fees of many accounts at once, each through its own payment day — the bulk form
of `accrual.accrue_late_fees` (per account, ``through`` = the payment day) with the same rules and
the same ledger:

- the bills charged are those past due on the payment day whose principal is still owed in the
  ledger; each is priced by `late_fee_accrual.accrued_late_fee` from the principal owed day by day
  (`accrual`'s own reading of the ledger) and charged the difference from what it was charged
  before — so the 1 元 minimum applies per bill over its life, and accruing twice through the
  same day charges nothing;
- each charge is one ``late_fee`` transaction ``late_fee:<bill>:<through>:<n>`` (debit the
  account's 应收违约金 for the bill, credit 违约金收入) with its ``late_fee_charge`` row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import cast

import polars as pl
from sqlalchemy import Table
from sqlalchemy.orm import Session

from meter2cash.collection import gl
from meter2cash.collection.accrual import _charged, _principal_steps
from meter2cash.collection.allocation import ItemKind
from meter2cash.collection.batch_ledger import LedgerRows, write_ledger
from meter2cash.collection.batch_reads import Item
from meter2cash.collection.batch_sql import write_rows
from meter2cash.collection.late_fee_accrual import accrued_late_fee
from meter2cash.collection.late_fee_policy import LateFeePolicy
from meter2cash.collection.ledger_model import LateFeeCharge

ZERO = Decimal("0.00")
CHARGE = cast(Table, LateFeeCharge.__table__)


@dataclass(frozen=True, slots=True)
class Charge:
    """A late fee charged on the bill of ``bill`` (its principal item), in fen."""

    bill: Item
    fen: int


def accrue_through_payment_days(
    session: Session,
    *,
    items: Sequence[Item],
    through: Mapping[int, date],
    categories: Mapping[int, str],
    at: datetime,
    actor: str,
    policy: LateFeePolicy,
) -> list[Charge]:
    """Charge the late fees of the accounts' overdue bills, account by account through
    ``through[account]``; ``items`` are the accounts' open items. Returns the charges made."""
    overdue = sorted(
        (
            item
            for item in items
            if item.kind is ItemKind.PRINCIPAL and item.amount > 0 and item.due_on < through[item.account_id]
        ),
        key=lambda item: (item.account_id, item.due_on),
    )
    if not overdue:
        return []
    ids = [item.receivable_id for item in overdue]
    steps = _principal_steps(session, receivable_ids=ids, through=max(through.values()))
    charged, counts = _charged(session, receivable_ids=ids)
    rows = LedgerRows()
    charges: list[Charge] = []
    explained: list[tuple[int, int, str, int, int, int, str]] = []
    for item in overdue:
        day = through[item.account_id]
        priced = accrued_late_fee(
            category=categories[item.account_id],
            bill=item.period,
            due_date=item.due_on,
            balances=steps.get(item.receivable_id, []),
            through=day,
            policy=policy,
        )
        charge = priced.accrued - charged.get(item.receivable_id, ZERO)
        if charge <= 0:
            continue
        fen = int(charge.scaleb(2))
        rows.add(
            kind="late_fee",
            source=f"late_fee:{item.bill_no}:{day.isoformat()}:{counts.get(item.receivable_id, 0) + 1}",
            business_day=day,
            memo=f"违约金 {item.bill_no} 至 {day.isoformat()}",
            lines=[
                (gl.LATE_FEE_RECEIVABLE, fen, item.account_id, item.receivable_id),
                (gl.LATE_FEE_INCOME, -fen, item.account_id, item.receivable_id),
            ],
        )
        charges.append(Charge(item, fen))
        explained.append(
            (
                item.receivable_id,
                item.account_id,
                day.isoformat(),
                priced.days,
                fen,
                int(priced.accrued.scaleb(2)),
                priced.rule,
            )
        )
    txn_ids = write_ledger(session, txns=rows.txn_frame(), entries=rows.entry_frame(), at=at, actor=actor)
    frame = pl.DataFrame(
        explained,
        schema={
            "receivable_id": pl.Int64,
            "account_id": pl.Int64,
            "through": pl.Utf8,
            "days": pl.Int64,
            "amount": pl.Int64,
            "total_to_date": pl.Int64,
            "rule": pl.Utf8,
        },
        orient="row",
    ).with_columns(txn_id=pl.Series(txn_ids, dtype=pl.Int64))
    write_rows(session, table=CHARGE, frame=frame, money=("amount", "total_to_date"))
    return charges


def with_charges(items: Sequence[Item], charges: Sequence[Charge]) -> list[Item]:
    """The open items after the charges: each charge adds to its bill's late-fee item."""
    if not charges:
        return list(items)
    late: dict[int, Item] = {item.receivable_id: item for item in items if item.kind is ItemKind.LATE_FEE}
    result = [item for item in items if item.kind is not ItemKind.LATE_FEE]
    for charge in charges:
        base = charge.bill
        before = late.get(base.receivable_id)
        amount = charge.fen + (before.amount if before else 0)
        late[base.receivable_id] = Item(
            base.account_id,
            base.receivable_id,
            ItemKind.LATE_FEE,
            amount,
            base.bill_no,
            base.due_on,
            base.period,
        )
    return result + [item for item in late.values() if item.amount != 0]
