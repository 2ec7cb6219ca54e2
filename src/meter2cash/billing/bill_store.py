"""Writing priced bills in bulk: bill ids allocated in one step, bills and lines inserted with
the database's fast path (COPY on PostgreSQL, executemany on SQLite), inside the caller's
transaction. Values are written exactly: amounts in fen, quantities at the column's scale."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from meter2cash.billing.bill_model import (
    MONEY,
    QUANTITY,
    REPRICEABLE_STATES,
    Bill,
    BillFinding,
    BillLine,
    BillReview,
)

BILL_COLUMNS = (
    "id",
    "account_id",
    "period",
    "kind",
    "state",
    "run_id",
    "determinant_id",
    "tariff_version",
    "start_on",
    "end_on",
    "kwh",
    "total",
    "power_factor",
    "pf_percent",
    "quality",
    "computed_by",
    "computed_at",
)
LINE_COLUMNS = (
    "bill_id",
    "seq",
    "code",
    "label",
    "quantity",
    "unit",
    "unit_price",
    "amount",
    "rule",
    "tariff_version",
)


def allocate_bill_ids(session: Session, count: int) -> list[int]:
    """Reserve ``count`` bill ids: from the sequence on PostgreSQL (safe beside other runs), after
    the highest id on SQLite (whose writer holds the database lock) — the highest of the bills and
    of the review decisions, so the id of a rejected bill that was priced again is not reused."""
    if count == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            text("SELECT nextval(pg_get_serial_sequence('bill', 'id')) FROM generate_series(1, :n)"),
            {"n": count},
        )
        return [int(r[0]) for r in rows]
    top = max(
        session.scalar(select(func.max(Bill.id))) or 0,
        # a reviewed bill priced again keeps its id in the decision log and the audit trail:
        # never hand that id to another bill
        session.scalar(select(func.max(BillReview.bill_id))) or 0,
    )
    return list(range(top + 1, top + 1 + count))


def write(session: Session, *, bills: Sequence[tuple[Any, ...]], lines: Iterable[tuple[Any, ...]]) -> None:
    """Insert bills then lines. Money is in fen and quantities at 10⁻⁸ (the columns' scales);
    on SQLite those integers are exactly what ExactDecimal stores."""
    if session.get_bind().dialect.name == "postgresql":
        _copy(session, "bill", BILL_COLUMNS, (_pg_bill(b) for b in bills))
        _copy(session, "bill_line", LINE_COLUMNS, (_pg_line(line) for line in lines))
        return
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    bill_sql = f"INSERT INTO bill ({', '.join(BILL_COLUMNS)}) VALUES ({', '.join('?' * len(BILL_COLUMNS))})"
    line_sql = (
        f"INSERT INTO bill_line ({', '.join(LINE_COLUMNS)}) VALUES ({', '.join('?' * len(LINE_COLUMNS))})"
    )
    cursor = raw.cursor()
    cursor.executemany(bill_sql, [_sqlite_bill(b) for b in bills])
    cursor.executemany(line_sql, list(lines))
    cursor.close()


def _sqlite_bill(bill: tuple[Any, ...]) -> tuple[Any, ...]:
    values = list(bill)
    values[8] = bill[8].isoformat()
    values[9] = bill[9].isoformat()
    values[12] = None if bill[12] is None else int(bill[12] * 100)
    values[13] = None if bill[13] is None else int(bill[13] * 10**4)
    return tuple(values)


def _pg_bill(bill: tuple[Any, ...]) -> tuple[Any, ...]:
    values = list(bill)
    values[10] = Decimal(bill[10]).scaleb(-QUANTITY.scale)
    values[11] = Decimal(bill[11]).scaleb(-MONEY.scale)
    return tuple(values)


def _pg_line(line: tuple[Any, ...]) -> tuple[Any, ...]:
    values = list(line)
    values[4] = Decimal(line[4]).scaleb(-QUANTITY.scale)
    values[7] = Decimal(line[7]).scaleb(-MONEY.scale)
    return tuple(values)


def _copy(session: Session, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
        for row in rows:
            copy.write_row(row)


def remove_drafts(session: Session, *, bill_ids: Sequence[int]) -> None:
    """Delete bills about to be priced again (and their lines and review findings): only those a
    run may replace — draft, flagged or rejected (``REPRICEABLE_STATES``); an approved or issued
    bill is left as it is (and an issued one the database would refuse to delete anyway)."""
    for start in range(0, len(bill_ids), 20000):
        chunk = list(bill_ids[start : start + 20000])
        replaceable = select(Bill.id).where(Bill.id.in_(chunk), Bill.state.in_(REPRICEABLE_STATES))
        session.execute(delete(BillFinding).where(BillFinding.bill_id.in_(replaceable)))
        session.execute(delete(BillLine).where(BillLine.bill_id.in_(replaceable)))
        session.execute(delete(Bill).where(Bill.id.in_(chunk), Bill.state.in_(REPRICEABLE_STATES)))
