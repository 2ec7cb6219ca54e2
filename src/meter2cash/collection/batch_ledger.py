"""Writing many ledger transactions at once, with the invariants of `ledger.post`.

`write_ledger` takes the transactions and their lines as columns (lines point at their
transaction by position, amounts in fen) and, before anything is written, refuses — like
`ledger.check_lines` — a transaction with fewer than two lines, a zero line, or lines that do not
sum to zero (`ledger.Unbalanced`). It reserves the transactions' ids, writes them and their lines
in bulk (`batch_sql.write_rows`: COPY on PostgreSQL) and registers the ids with the unit of work
(``ledger.POSTED_KEY``), so the same check runs again in SQL before commit; on PostgreSQL the
deferred constraint trigger checks each transaction once more at commit (migration 0008).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import cast

import polars as pl
from sqlalchemy import Table
from sqlalchemy.orm import Session

from meter2cash.collection.batch_sql import bind_value, is_postgres, reserve_ids, write_rows
from meter2cash.collection.ledger import POSTED_KEY, Unbalanced
from meter2cash.collection.ledger_model import LedgerEntry, LedgerTxn

TXN = cast(Table, LedgerTxn.__table__)
ENTRY = cast(Table, LedgerEntry.__table__)
ENTRY_SCHEMA = {
    "txn": pl.Int64,
    "gl": pl.Utf8,
    "account_id": pl.Int64,
    "receivable_id": pl.Int64,
    "payment_id": pl.Int64,
    "amount": pl.Int64,
}


class LedgerRows:
    """Transactions and lines gathered one by one (bill postings, late fees, prepayment applied)."""

    def __init__(self) -> None:
        self.kind: list[str] = []
        self.source: list[str] = []
        self.business_day: list[date] = []
        self.memo: list[str | None] = []
        self.batch: list[str | None] = []
        self.lines: list[tuple[int, str, int | None, int | None, int | None, int]] = []

    def __len__(self) -> int:
        return len(self.kind)

    def add(
        self,
        *,
        kind: str,
        source: str,
        business_day: date,
        memo: str | None,
        lines: Sequence[tuple[str, int, int | None, int | None]],
        batch: str | None = None,
    ) -> int:
        """One transaction; ``lines`` are (gl, fen, account id, receivable id). Returns its position."""
        index = len(self.kind)
        self.kind.append(kind)
        self.source.append(source)
        self.business_day.append(business_day)
        self.memo.append(memo)
        self.batch.append(batch)
        self.lines.extend(
            (index, code, account, receivable, None, fen) for code, fen, account, receivable in lines
        )
        return index

    def txn_frame(self) -> pl.DataFrame:
        return txn_frame(
            kind=self.kind,
            source=self.source,
            business_day=self.business_day,
            memo=self.memo,
            batch=self.batch,
        )

    def entry_frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.lines, schema=ENTRY_SCHEMA, orient="row")


def txn_frame(
    *,
    kind: Sequence[str],
    source: Sequence[str],
    business_day: Sequence[date],
    memo: Sequence[str | None],
    batch: Sequence[str | None],
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "kind": list(kind),
            "source": list(source),
            "business_day": [day.isoformat() for day in business_day],
            "memo": list(memo),
            "batch": list(batch),
        },
        schema={
            "kind": pl.Utf8,
            "source": pl.Utf8,
            "business_day": pl.Utf8,
            "memo": pl.Utf8,
            "batch": pl.Utf8,
        },
    )


def check_balanced(*, transactions: int, entries: pl.DataFrame, by: str = "txn") -> None:
    """The ledger invariant for every transaction (or payment: ``by="payment_id"``) at once."""
    if entries.filter(pl.col("amount") == 0).height:
        raise Unbalanced("ledger line amounts must be non-zero whole fen")
    sums = entries.group_by(by).agg(pl.len().alias("lines"), pl.col("amount").sum().alias("total"))
    bad = sums.filter((pl.col("lines") < 2) | (pl.col("total") != 0))
    if bad.height or sums.height != transactions:
        shown = bad.row(0) if bad.height else f"{transactions - sums.height} without lines"
        raise Unbalanced(f"ledger lines do not balance ({by} {shown}); nothing was written")


def write_ledger(
    session: Session, *, txns: pl.DataFrame, entries: pl.DataFrame, at: datetime, actor: str
) -> list[int]:
    """Check, then write the transactions and their lines; returns the transactions' ids in order."""
    if txns.height == 0:
        return []
    check_balanced(transactions=txns.height, entries=entries)
    ids = reserve_ids(session, table=TXN, count=txns.height)
    posted_at = (
        at.isoformat()
        if is_postgres(session)
        else bind_value(session, table=TXN, column="posted_at", value=at)
    )
    id_column = pl.Series("id", ids, dtype=pl.Int64)
    write_rows(
        session,
        table=TXN,
        frame=txns.with_columns(id_column, posted_at=pl.lit(posted_at), actor=pl.lit(actor)).select(
            "id", "kind", "source", "business_day", "posted_at", "actor", "batch", "memo"
        ),
    )
    write_rows(
        session,
        table=ENTRY,
        frame=entries.with_columns(txn_id=id_column.gather(entries["txn"])).select(
            "txn_id", "gl", "account_id", "receivable_id", "payment_id", "amount"
        ),
        money=("amount",),
    )
    session.info.setdefault(POSTED_KEY, set()).update(ids)
    return ids
