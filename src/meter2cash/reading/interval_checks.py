"""Validation of 15-minute interval data (96 points a day), column-wise with Polars. Pure.

One row is one meter-day: key columns (e.g. ``meter_no``, ``day``), the 96 interval values
``v00`` … ``v95`` in integer Wh (``v00`` is 00:00–00:15, ``v95`` is 23:45–24:00; China keeps no
daylight saving, so a day always has 96), null where the value is missing, and optionally the
day's register advance ``register_advance_wh`` (daily frozen register difference × multiplier).
Every check is an expression over whole columns, never a loop over rows, and integer arithmetic
throughout (ratios are applied as exact fractions), so millions of meter-days check in seconds.

Checks (codes of their own, related to the reading codes as noted):

- INTERVAL_GAP: missing (null) intervals — Oracle MDM missing quantity; cf. MISSING.
- INTERVAL_NEGATIVE: a negative value on a consumption channel — Oracle MDM negative
  consumption; cf. INVALID.
- INTERVAL_SPIKE: an interval above ``spike_ratio`` × the mean of the day's other intervals and
  more than ``spike_min_wh`` above it — Oracle MDM interval spike check; cf. SPIKE_HIGH.
- INTERVAL_SUM_MISMATCH: the day's intervals don't add up to the register advance, beyond both
  tolerances (checked only on days without gaps) — Oracle MDM sum check (interval vs scalar).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

import polars as pl

INTERVALS_PER_DAY = 96
INTERVAL_MINUTES = 15
INTERVAL_COLUMNS: tuple[str, ...] = tuple(f"v{i:02d}" for i in range(INTERVALS_PER_DAY))
ADVANCE_COLUMN = "register_advance_wh"
RESULT_COLUMNS = ("gap_count", "negative_count", "spike_count", "interval_sum_wh", "sum_mismatch")


class IntervalCode(StrEnum):
    INTERVAL_GAP = "INTERVAL_GAP"  # 曲线缺点
    INTERVAL_NEGATIVE = "INTERVAL_NEGATIVE"  # 负值
    INTERVAL_SPIKE = "INTERVAL_SPIKE"  # 曲线尖峰
    INTERVAL_SUM_MISMATCH = "INTERVAL_SUM_MISMATCH"  # 曲线与示数不符


class BadIntervals(ValueError):
    """A frame that is not a set of 96-point integer curves."""


@dataclass(frozen=True, slots=True)
class IntervalPolicy:
    """Numbers behind the interval checks.

    spike_ratio: an interval is a spike when above this multiple of the mean of the day's other
        intervals ...
    spike_min_wh: ... and more than this many Wh above that mean (500 Wh in 15 min = 2 kW), so
        a near-idle day's small bumps are not spikes.
    sum_tolerance_wh / sum_tolerance_relative: the day's interval sum may differ from the register
        advance by up to the larger of these (Wh; fraction of the advance) — register resolution
        and the meter's own rounding of each interval.
    """

    spike_ratio: Decimal = Decimal("8")
    spike_min_wh: int = 500
    sum_tolerance_wh: int = 20
    sum_tolerance_relative: Decimal = Decimal("0.005")

    def __post_init__(self) -> None:
        if self.spike_ratio <= 1 or self.spike_min_wh < 0:
            raise BadIntervals("spike_ratio must exceed 1 and spike_min_wh must not be negative")
        if self.sum_tolerance_wh < 0 or self.sum_tolerance_relative < 0:
            raise BadIntervals("sum tolerances must not be negative")


DEFAULT_INTERVAL_POLICY = IntervalPolicy()


def check_intervals(
    frame: pl.DataFrame | pl.LazyFrame, *, policy: IntervalPolicy = DEFAULT_INTERVAL_POLICY
) -> pl.DataFrame:
    """Per meter-day: the key columns, then ``gap_count``, ``negative_count``, ``spike_count``,
    ``interval_sum_wh`` and ``sum_mismatch`` (null when there is no advance or the day has gaps)."""
    lazy = frame.lazy()
    schema = lazy.collect_schema()
    _require_curves(schema)
    keys = [name for name in schema.names() if name not in INTERVAL_COLUMNS and name != ADVANCE_COLUMN]
    values = [pl.col(name).cast(pl.Int64) for name in INTERVAL_COLUMNS]
    present = pl.sum_horizontal([v.is_not_null().cast(pl.Int64) for v in values])
    total = pl.sum_horizontal(values)
    checked = lazy.with_columns(present.alias("_present"), total.alias("interval_sum_wh")).with_columns(
        (INTERVALS_PER_DAY - pl.col("_present")).cast(pl.Int32).alias("gap_count"),
        pl.sum_horizontal([(v < 0).cast(pl.Int32) for v in values]).alias("negative_count"),
        pl.sum_horizontal([_is_spike(v, policy) for v in values]).cast(pl.Int32).alias("spike_count"),
        _sum_mismatch(policy, has_advance=ADVANCE_COLUMN in schema.names()).alias("sum_mismatch"),
    )
    return checked.select([*keys, *RESULT_COLUMNS]).collect()


def summarize(checked: pl.DataFrame) -> dict[str, dict[str, int]]:
    """Meter-days and intervals flagged per check, from :func:`check_intervals`' result."""
    totals = checked.select(
        (pl.col("gap_count") > 0).sum().alias("gap_days"),
        pl.col("gap_count").sum().alias("gap_intervals"),
        (pl.col("negative_count") > 0).sum().alias("negative_days"),
        pl.col("negative_count").sum().alias("negative_intervals"),
        (pl.col("spike_count") > 0).sum().alias("spike_days"),
        pl.col("spike_count").sum().alias("spike_intervals"),
        pl.col("sum_mismatch").fill_null(False).sum().alias("mismatch_days"),
    ).row(0, named=True)
    return {
        IntervalCode.INTERVAL_GAP.value: {
            "meter_days": totals["gap_days"],
            "intervals": totals["gap_intervals"],
        },
        IntervalCode.INTERVAL_NEGATIVE.value: {
            "meter_days": totals["negative_days"],
            "intervals": totals["negative_intervals"],
        },
        IntervalCode.INTERVAL_SPIKE.value: {
            "meter_days": totals["spike_days"],
            "intervals": totals["spike_intervals"],
        },
        IntervalCode.INTERVAL_SUM_MISMATCH.value: {"meter_days": totals["mismatch_days"]},
    }


def flagged(checked: pl.DataFrame) -> pl.DataFrame:
    """Only the meter-days that raised at least one check."""
    return checked.filter(
        (pl.col("gap_count") > 0)
        | (pl.col("negative_count") > 0)
        | (pl.col("spike_count") > 0)
        | pl.col("sum_mismatch").fill_null(False)
    )


def _is_spike(value: pl.Expr, policy: IntervalPolicy) -> pl.Expr:
    # v > ratio × mean(others) and v − mean(others) > min, with mean(others) = (sum − v) / (n − 1),
    # multiplied out so everything stays in integers: ratio = p / q.
    p, q = policy.spike_ratio.as_integer_ratio()
    others = pl.col("interval_sum_wh") - value
    n_others = pl.col("_present") - 1
    above_ratio = value * n_others * q > others * p
    above_min = value * n_others - others > policy.spike_min_wh * n_others
    return (above_ratio & above_min & (n_others > 0)).fill_null(False).cast(pl.Int32)


def _sum_mismatch(policy: IntervalPolicy, *, has_advance: bool) -> pl.Expr:
    if not has_advance:
        return pl.lit(None, dtype=pl.Boolean)
    p, q = policy.sum_tolerance_relative.as_integer_ratio()
    advance = pl.col(ADVANCE_COLUMN).cast(pl.Int64)
    diff = (pl.col("interval_sum_wh") - advance).abs()
    beyond = (diff > policy.sum_tolerance_wh) & (diff * q > advance.abs() * p)
    checkable = advance.is_not_null() & (pl.col("_present") == INTERVALS_PER_DAY)
    return pl.when(checkable).then(beyond).otherwise(None)


def _require_curves(schema: pl.Schema) -> None:
    missing = [name for name in INTERVAL_COLUMNS if name not in schema]
    if missing:
        raise BadIntervals(
            f"interval columns missing: {', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}"
        )
    inexact = [name for name in INTERVAL_COLUMNS if not schema[name].is_integer()]
    if ADVANCE_COLUMN in schema and not schema[ADVANCE_COLUMN].is_integer():
        inexact.append(ADVANCE_COLUMN)
    if inexact:
        raise BadIntervals(f"interval values must be integer Wh, not {schema[inexact[0]]}: {inexact[0]}")
