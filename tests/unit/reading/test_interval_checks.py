from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from meter2cash.reading.interval_checks import (
    ADVANCE_COLUMN,
    INTERVAL_COLUMNS,
    BadIntervals,
    IntervalPolicy,
    check_intervals,
    flagged,
    summarize,
)

FLAT = dict.fromkeys(INTERVAL_COLUMNS, 100)  # 100 Wh every 15 minutes: 9600 Wh a day


def frame(*rows: dict[str, object], advance: bool = True) -> pl.DataFrame:
    schema: dict[str, pl.DataType] = {"meter_no": pl.String(), **{c: pl.Int32() for c in INTERVAL_COLUMNS}}
    if advance:
        schema[ADVANCE_COLUMN] = pl.Int64()
    return pl.DataFrame([{**FLAT, ADVANCE_COLUMN: 9600, **row} for row in rows], schema=schema)


def one(*changes: dict[str, object], policy: IntervalPolicy | None = None) -> dict[str, object]:
    return check_intervals(frame(*changes), policy=policy or IntervalPolicy()).row(0, named=True)


class TestIntervalChecks:
    def test_a_clean_day_raises_nothing(self) -> None:
        assert one({"meter_no": "A"}) == {
            "meter_no": "A",
            "gap_count": 0,
            "negative_count": 0,
            "spike_count": 0,
            "interval_sum_wh": 9600,
            "sum_mismatch": False,
        }

    def test_missing_intervals_are_counted_as_gaps(self) -> None:
        row = one({"meter_no": "A", "v00": None, "v95": None})
        assert row["gap_count"] == 2
        assert row["sum_mismatch"] is None  # a day with gaps can't be compared with the register

    def test_negative_values_are_counted(self) -> None:
        assert one({"meter_no": "A", "v10": -5, ADVANCE_COLUMN: 9495})["negative_count"] == 1

    def test_an_interval_far_above_the_rest_of_the_day_is_a_spike(self) -> None:
        row = one({"meter_no": "A", "v40": 5000, ADVANCE_COLUMN: 14500})
        assert (row["spike_count"], row["sum_mismatch"]) == (1, False)

    def test_a_high_interval_within_the_ratio_is_no_spike(self) -> None:
        assert one({"meter_no": "A", "v40": 700, ADVANCE_COLUMN: 10200})["spike_count"] == 0  # 7× the rest

    def test_a_small_bump_on_an_idle_day_is_no_spike(self) -> None:
        idle = dict.fromkeys(INTERVAL_COLUMNS, 1)
        assert (
            one({**idle, "meter_no": "A", "v40": 300, ADVANCE_COLUMN: 395})["spike_count"] == 0
        )  # under 500 Wh

    def test_intervals_not_adding_up_to_the_register_advance_are_flagged(self) -> None:
        assert one({"meter_no": "A", ADVANCE_COLUMN: 12000})["sum_mismatch"] is True

    def test_a_difference_within_tolerance_is_accepted(self) -> None:
        assert one({"meter_no": "A", ADVANCE_COLUMN: 9640})["sum_mismatch"] is False  # 40 Wh < 0.5 % of 9640
        strict = IntervalPolicy(sum_tolerance_wh=0, sum_tolerance_relative=Decimal("0.001"))
        assert one({"meter_no": "A", ADVANCE_COLUMN: 9640}, policy=strict)["sum_mismatch"] is True

    def test_without_a_register_advance_the_sum_is_not_checked(self) -> None:
        checked = check_intervals(frame({"meter_no": "A"}, advance=False))
        assert checked["sum_mismatch"].to_list() == [None]

    def test_the_summary_counts_meter_days_and_intervals_per_check(self) -> None:
        checked = check_intervals(
            frame(
                {"meter_no": "A"},
                {"meter_no": "B", "v01": None, "v02": None},
                {"meter_no": "C", "v03": -1, "v04": -1, ADVANCE_COLUMN: 9398},
            )
        )
        assert summarize(checked) == {
            "INTERVAL_GAP": {"meter_days": 1, "intervals": 2},
            "INTERVAL_NEGATIVE": {"meter_days": 1, "intervals": 2},
            "INTERVAL_SPIKE": {"meter_days": 0, "intervals": 0},
            "INTERVAL_SUM_MISMATCH": {"meter_days": 0},
        }
        assert flagged(checked)["meter_no"].to_list() == ["B", "C"]

    def test_a_lazy_frame_is_checked_the_same_way(self) -> None:
        assert check_intervals(frame({"meter_no": "A", "v00": None}).lazy())["gap_count"].to_list() == [1]


class TestRefusedIntervalFrames:
    def test_float_values_are_refused_as_inexact(self) -> None:
        with pytest.raises(BadIntervals, match="integer"):
            check_intervals(frame({"meter_no": "A"}).with_columns(pl.col("v00").cast(pl.Float64)))

    def test_a_frame_without_all_96_intervals_is_refused(self) -> None:
        with pytest.raises(BadIntervals, match="v95"):
            check_intervals(frame({"meter_no": "A"}).drop("v95"))
