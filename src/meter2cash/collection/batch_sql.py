"""Bulk reads and writes for the batch payment path (`batch_payments`), on both backends.

- Money travels as integer fen. PostgreSQL sums are cast to fen in SQL (`fen_sql`); SQLite already
  stores an ``ExactDecimal(scale=2)`` as the fen integer (`platform.db_types`).
- Sets of keys (account ids, account numbers, channel references) are loaded into a temporary
  table (`key_table`) that queries join, instead of giant ``IN`` lists.
- Rows are written with ``COPY … FROM STDIN`` on PostgreSQL (psycopg's ``cursor.copy`` on the
  session's own connection, so inside its transaction) and ``executemany`` on SQLite
  (`write_rows`). Dates and times are converted by the column's own SQLAlchemy type, so a row
  written here reads back exactly like one written through the ORM.
- Ids are reserved from the table's sequence on PostgreSQL; on SQLite the unit of work holds the
  database's write lock (``BEGIN IMMEDIATE``), so the next ids after ``max(id)`` are ours.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any, cast

import polars as pl
from sqlalchemy import Table, text
from sqlalchemy.orm import Session

Value = Any


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def driver(session: Session) -> Any:
    """The session's own DBAPI connection (psycopg or sqlite3), inside its transaction."""
    return session.connection().connection.driver_connection


def fen_sql(session: Session, expression: str) -> str:
    """``expression`` (a money column or sum of one) in integer fen."""
    if is_postgres(session):
        return f"CAST(({expression}) * 100 AS BIGINT)"
    return f"({expression})"


def key_table(session: Session, *, name: str, column: str, sql_type: str, keys: Iterable[Value]) -> str:
    """(Re)fill the temporary table ``name`` with one column of distinct keys; returns its name."""
    values = list(dict.fromkeys(keys))
    if is_postgres(session):
        session.execute(
            text(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({column} {sql_type} PRIMARY KEY) ON COMMIT DROP")
        )
        session.execute(text(f"TRUNCATE {name}"))
        with driver(session).cursor() as cursor, cursor.copy(f"COPY {name} ({column}) FROM STDIN") as copy:
            for start in range(0, len(values), 100_000):
                copy.write("".join(f"{_copy_text(v)}\n" for v in values[start : start + 100_000]))
        session.execute(text(f"ANALYZE {name}"))
    else:
        session.execute(text(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({column} {sql_type} PRIMARY KEY)"))
        session.execute(text(f"DELETE FROM {name}"))
        cursor = driver(session).cursor()
        cursor.executemany(f"INSERT INTO {name} ({column}) VALUES (?)", [(v,) for v in values])
        cursor.close()
    return name


def _copy_text(value: Value) -> str:
    if value is None:
        return "\\N"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def reserve_ids(session: Session, *, table: Table, count: int) -> list[int]:
    """``count`` fresh primary keys for ``table``."""
    if count == 0:
        return []
    if is_postgres(session):
        rows = session.execute(
            text(
                f"SELECT nextval(pg_get_serial_sequence('{table.name}', 'id')) "
                "FROM generate_series(1, :count) ORDER BY 1"
            ),
            {"count": count},
        ).all()
        return [row[0] for row in rows]
    last = session.execute(text(f"SELECT coalesce(max(id), 0) FROM {table.name}")).scalar_one()
    return list(range(int(last) + 1, int(last) + 1 + count))


def bind_value(session: Session, *, table: Table, column: str, value: Value) -> Value:
    """``value`` as the column's SQLAlchemy type sends it to this backend (dates, times)."""
    processor = table.c[column].type.bind_processor(session.get_bind().dialect)
    return processor(value) if processor else value


def money_text(fen: pl.Expr) -> pl.Expr:
    """Integer fen as decimal text (``-12.30``) for PostgreSQL's COPY."""
    sign = pl.when(fen < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    units = (fen.abs() // 100).cast(pl.Utf8)
    cents = (fen.abs() % 100).cast(pl.Utf8).str.zfill(2)
    return pl.concat_str([sign, units, pl.lit("."), cents])


def write_rows(session: Session, *, table: Table, frame: pl.DataFrame, money: Sequence[str] = ()) -> int:
    """Insert the rows of ``frame`` (columns named as the table's) into ``table``.

    ``money`` names the columns that hold integer fen. Date and time columns must already hold
    the backend's value (`bind_value`) on SQLite; on PostgreSQL anything whose text PostgreSQL
    reads (ISO dates and times) will do.
    """
    if frame.height == 0:
        return 0
    names = list(frame.columns)
    if is_postgres(session):
        shaped = frame.with_columns([money_text(pl.col(name)).alias(name) for name in money])
        buffer = io.BytesIO()
        shaped.write_csv(buffer, include_header=False, null_value="")
        statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN (FORMAT csv)"
        with driver(session).cursor() as cursor, cursor.copy(statement) as copy:
            view = buffer.getbuffer()
            for start in range(0, len(view), 8 << 20):
                copy.write(view[start : start + (8 << 20)])
        return frame.height
    placeholders = ", ".join("?" for _ in names)
    cursor = driver(session).cursor()
    cursor.executemany(
        f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({placeholders})",
        cast(Iterable[Sequence[Any]], frame.iter_rows()),
    )
    cursor.close()
    return frame.height
