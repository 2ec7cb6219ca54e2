"""Interval data on disk: a Parquet dataset partitioned by day.

Layout (Hive style, readable by Polars, DuckDB, Spark and Dask alike)::

    <root>/day=2026-01-15/part-0.parquet    one file per day: meter_no, v00 … v95[, register_advance_wh]

Values are **integer Wh** (``Int32``, null = missing) and the advance is ``Int64`` Wh. Integer Wh
is exact: 1 Wh is finer than the 0.01 kWh a DL/T 645 energy register shows, sums never round, and
Int32 holds up to 2.1 GWh per 15 minutes, far above any metering point. kWh for a bill comes from
``Decimal(wh) / 1000`` at the edge. Writing a day replaces that day's file atomically, so re-running
an import never duplicates a day.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from meter2cash.reading.interval_checks import ADVANCE_COLUMN, INTERVAL_COLUMNS, BadIntervals

KEY_COLUMN = "meter_no"
DAY_COLUMN = "day"
PART_FILE = "part-0.parquet"


def partition_dir(root: Path, day: date) -> Path:
    return root / f"{DAY_COLUMN}={day.isoformat()}"


def write_day(root: Path, day: date, frame: pl.DataFrame) -> Path:
    """Write (or replace) one day's curves. Refuses inexact or out-of-range values and meters that
    appear twice, before anything is written."""
    table = _normalized(frame, day)
    folder = partition_dir(root, day)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / PART_FILE
    scratch = folder / f".{PART_FILE}.{os.getpid()}.tmp"
    table.write_parquet(scratch, compression="zstd", statistics=True)
    scratch.replace(target)
    return target


def write_days(root: Path, frame: pl.DataFrame) -> list[Path]:
    """Write a frame holding a ``day`` column as one partition per day."""
    if DAY_COLUMN not in frame.columns:
        raise BadIntervals(f"column {DAY_COLUMN!r} missing")
    written = []
    for (day,), part in frame.partition_by(DAY_COLUMN, as_dict=True, maintain_order=True).items():
        if not isinstance(day, date):
            raise BadIntervals(f"{DAY_COLUMN} must be a date, got {day!r}")
        written.append(write_day(root, day, part))
    return written


def stored_days(root: Path) -> list[date]:
    """Days that have a partition, oldest first."""
    if not root.exists():
        return []
    prefix = f"{DAY_COLUMN}="
    days = [
        date.fromisoformat(p.name.removeprefix(prefix))
        for p in root.iterdir()
        if p.name.startswith(prefix) and (p / PART_FILE).exists()
    ]
    return sorted(days)


def scan_days(root: Path, *, start: date, end: date) -> pl.LazyFrame:
    """Curves for days in ``[start, end)`` with a ``day`` column, lazily (nothing read until
    collected). Days without a partition are simply absent."""
    parts = [
        pl.scan_parquet(partition_dir(root, day) / PART_FILE).with_columns(pl.lit(day).alias(DAY_COLUMN))
        for day in _days(start, end)
        if (partition_dir(root, day) / PART_FILE).exists()
    ]
    if not parts:
        return pl.LazyFrame(
            schema={KEY_COLUMN: pl.String, **dict.fromkeys(INTERVAL_COLUMNS, pl.Int32), DAY_COLUMN: pl.Date}
        )
    return pl.concat(parts, how="diagonal_relaxed")


def _normalized(frame: pl.DataFrame, day: date) -> pl.DataFrame:
    if KEY_COLUMN not in frame.columns:
        raise BadIntervals(f"column {KEY_COLUMN!r} missing")
    missing = [c for c in INTERVAL_COLUMNS if c not in frame.columns]
    if missing:
        raise BadIntervals(f"interval columns missing: {', '.join(missing[:5])}")
    if DAY_COLUMN in frame.columns and frame[DAY_COLUMN].n_unique() > 1:
        raise BadIntervals("one day per partition")
    if DAY_COLUMN in frame.columns and frame.height and frame[DAY_COLUMN][0] != day:
        raise BadIntervals(f"rows are for {frame[DAY_COLUMN][0]}, not {day}")
    has_advance = ADVANCE_COLUMN in frame.columns
    columns = [KEY_COLUMN, *INTERVAL_COLUMNS] + ([ADVANCE_COLUMN] if has_advance else [])
    for name in columns[1:]:
        if not frame.schema[name].is_integer() and frame.schema[name] != pl.Null:
            raise BadIntervals(f"{name} must be integer Wh, not {frame.schema[name]}")
    try:
        table = frame.select(
            pl.col(KEY_COLUMN).cast(pl.String),
            *[pl.col(c).cast(pl.Int32, strict=True) for c in INTERVAL_COLUMNS],
            *(
                [pl.col(ADVANCE_COLUMN).cast(pl.Int64, strict=True)]
                if ADVANCE_COLUMN in frame.columns
                else []
            ),
        )
    except pl.exceptions.InvalidOperationError as error:
        raise BadIntervals(f"a value does not fit integer Wh: {str(error).splitlines()[0]}") from None
    if table[KEY_COLUMN].null_count():
        raise BadIntervals(f"{KEY_COLUMN} must not be empty")
    if table[KEY_COLUMN].n_unique() != table.height:
        raise BadIntervals(f"a meter appears twice on {day}")
    return table


def _days(start: date, end: date) -> Iterator[date]:
    day = start
    while day < end:
        yield day
        day += timedelta(days=1)
