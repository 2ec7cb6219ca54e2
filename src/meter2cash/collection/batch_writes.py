"""Writing a batch's payments and their ledger lines in bulk.

Payments get ids reserved up front, so every ledger line carries its payment's id. The lines of
the payments paid on one day are grouped into ``payment`` transactions of at most `CHUNK` payments
each, source ``batch:<source>:<batch>:<n>`` (n counts on across imports of the same batch name),
dated that day — what the late-fee accrual reads as the day the money came. Inside such a
transaction each payment's own lines still sum to zero (checked here before anything is written),
so a payment can be reversed alone (`reversals`: the lines of its id in a ``payment``
transaction, negated). docs/decisions/0009-ledger.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import cast

import polars as pl
from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from meter2cash.collection import gl
from meter2cash.collection.batch_allocation import PaymentLines
from meter2cash.collection.batch_ledger import check_balanced, txn_frame, write_ledger
from meter2cash.collection.batch_sql import bind_value, is_postgres, reserve_ids, write_rows
from meter2cash.collection.ledger_model import LedgerTxn, Payment

CHUNK = 10_000  # payments per ledger transaction
PAYMENT = cast(Table, Payment.__table__)


@dataclass(frozen=True)
class BatchHeader:
    """What every payment of the batch shares."""

    batch: str
    channel: gl.Channel
    method: gl.Method
    source: str
    at: datetime
    today: date
    actor: str

    @property
    def prefix(self) -> str:
        return f"batch:{self.source}:{self.batch}:"


def chunks_written(session: Session, *, header: BatchHeader) -> int:
    """How many payment transactions earlier imports of this batch name wrote."""
    count = session.scalar(
        select(func.count())
        .select_from(LedgerTxn)
        .where(LedgerTxn.batch == header.batch, LedgerTxn.source.startswith(header.prefix, autoescape=True))
    )
    return int(count or 0)


def write_payments(
    session: Session,
    *,
    header: BatchHeader,
    accounts: Sequence[int],
    amounts: Sequence[int],
    paid_on: Sequence[date],
    refs: Sequence[str],
    lines: PaymentLines,
    first_chunk: int,
) -> tuple[list[int], int]:
    """Write the payments (position ``i`` = ``accounts[i]``, ``amounts[i]`` fen …) and their lines;
    returns the payments' ids and the number of ledger transactions written."""
    count = len(accounts)
    ids = reserve_ids(session, table=PAYMENT, count=count)
    pg = is_postgres(session)
    received_at = (
        header.at.isoformat()
        if pg
        else bind_value(session, table=PAYMENT, column="received_at", value=header.at)
    )
    days = [day.isoformat() for day in paid_on]
    payments = pl.DataFrame(
        {
            "id": pl.Series(ids, dtype=pl.Int64),
            "account_id": pl.Series(accounts, dtype=pl.Int64),
            "amount": pl.Series(amounts, dtype=pl.Int64),
            "paid_on": pl.Series(days, dtype=pl.Utf8),
            "channel_ref": pl.Series(refs, dtype=pl.Utf8),
        }
    ).with_columns(
        channel=pl.lit(header.channel.value),
        method=pl.lit(header.method.value),
        source=pl.lit(header.source),
        received_at=pl.lit(received_at),
        received_on=pl.lit(header.today.isoformat()),
        batch=pl.lit(header.batch),
        actor=pl.lit(header.actor),
    )
    write_rows(session, table=PAYMENT, frame=payments, money=("amount",))

    txn_of = [0] * count
    business_day: list[date] = []
    order = sorted(range(count), key=lambda i: (paid_on[i], i))
    current_day: date | None = None
    filled = CHUNK
    for position in order:
        if paid_on[position] != current_day or filled == CHUNK:
            current_day, filled = paid_on[position], 0
            business_day.append(current_day)
        txn_of[position] = len(business_day) - 1
        filled += 1
    memo = f"{gl.CHANNEL_NAMES_ZH[header.channel]} {header.source} {header.batch}"
    txns = txn_frame(
        kind=["payment"] * len(business_day),
        source=[f"{header.prefix}{first_chunk + n + 1}" for n in range(len(business_day))],
        business_day=business_day,
        memo=[memo] * len(business_day),
        batch=[header.batch] * len(business_day),
    )
    positions = pl.Series(lines.payment, dtype=pl.Int64)
    entries = pl.DataFrame(
        {
            "txn": pl.Series(txn_of, dtype=pl.Int64).gather(positions),
            "gl": pl.Series(lines.gl, dtype=pl.Utf8),
            "account_id": pl.Series(lines.account_id, dtype=pl.Int64),
            "receivable_id": pl.Series(lines.receivable_id, dtype=pl.Int64),
            "payment_id": pl.Series(ids, dtype=pl.Int64).gather(positions),
            "amount": pl.Series(lines.amount, dtype=pl.Int64),
        }
    )
    check_balanced(transactions=count, entries=entries, by="payment_id")
    write_ledger(session, txns=txns, entries=entries, at=header.at, actor=header.actor)
    return ids, len(business_day)
