from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from meter2cash.reading.interval_checks import ADVANCE_COLUMN, INTERVAL_COLUMNS, BadIntervals, check_intervals
from meter2cash.reading.interval_store import partition_dir, scan_days, stored_days, write_day, write_days

DAY = date(2026, 1, 15)
NEXT = date(2026, 1, 16)


def curves(*meters: str, value: int = 100) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"meter_no": m, **dict.fromkeys(INTERVAL_COLUMNS, value), ADVANCE_COLUMN: 96 * value}
            for m in meters
        ]
    )


class TestIntervalStore:
    def test_a_day_written_is_read_back_exactly_with_its_day(self, tmp_path: Path) -> None:
        written = curves("M1", "M2").with_columns(pl.lit(None, dtype=pl.Int64).alias("v07"))
        path = write_day(tmp_path, DAY, written)
        assert path.parent == partition_dir(tmp_path, DAY) and path.parent.name == "day=2026-01-15"
        back = scan_days(tmp_path, start=DAY, end=NEXT).collect()
        assert back.schema["v00"] == pl.Int32 and back.schema[ADVANCE_COLUMN] == pl.Int64
        assert back["v07"].null_count() == 2 and back["day"].to_list() == [DAY, DAY]
        assert back.drop("day").equals(written.with_columns(pl.col(INTERVAL_COLUMNS).cast(pl.Int32)))

    def test_writing_a_day_again_replaces_it(self, tmp_path: Path) -> None:
        write_day(tmp_path, DAY, curves("M1", "M2"))
        write_day(tmp_path, DAY, curves("M1", value=7))
        back = scan_days(tmp_path, start=DAY, end=NEXT).collect()
        assert back["meter_no"].to_list() == ["M1"] and back["v00"].to_list() == [7]

    def test_a_frame_with_a_day_column_is_split_into_one_partition_per_day(self, tmp_path: Path) -> None:
        both = pl.concat(
            [
                curves("M1").with_columns(pl.lit(DAY).alias("day")),
                curves("M1", "M2").with_columns(pl.lit(NEXT).alias("day")),
            ]
        )
        write_days(tmp_path, both)
        assert stored_days(tmp_path) == [DAY, NEXT]
        assert scan_days(tmp_path, start=NEXT, end=date(2026, 1, 17)).collect().height == 2

    def test_days_without_a_partition_read_as_no_rows(self, tmp_path: Path) -> None:
        assert scan_days(tmp_path, start=DAY, end=NEXT).collect().height == 0

    def test_stored_days_are_checked_like_days_in_memory(self, tmp_path: Path) -> None:
        write_day(tmp_path, DAY, curves("M1").with_columns(pl.lit(-3).alias("v02")))
        checked = check_intervals(scan_days(tmp_path, start=DAY, end=NEXT))
        assert checked.select("meter_no", "day", "negative_count").row(0) == ("M1", DAY, 1)

    def test_fractional_values_are_refused_and_nothing_is_written(self, tmp_path: Path) -> None:
        with pytest.raises(BadIntervals, match="integer Wh"):
            write_day(tmp_path, DAY, curves("M1").with_columns(pl.lit(1.5).alias("v03")))
        assert stored_days(tmp_path) == []

    def test_a_value_beyond_int32_wh_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(BadIntervals, match="does not fit"):
            write_day(tmp_path, DAY, curves("M1").with_columns(pl.lit(3_000_000_000).alias("v03")))

    def test_a_meter_twice_on_one_day_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(BadIntervals, match="twice"):
            write_day(tmp_path, DAY, curves("M1", "M1"))

    def test_rows_of_another_day_are_refused(self, tmp_path: Path) -> None:
        with pytest.raises(BadIntervals, match="not 2026-01-15"):
            write_day(tmp_path, DAY, curves("M1").with_columns(pl.lit(NEXT).alias("day")))
