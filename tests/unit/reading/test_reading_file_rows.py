"""The rows of a reading file (抄表文件): what refuses the file and what is left to the checks."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from meter2cash.reading.file_rows import (
    READING_FILE_COLUMNS,
    ReadingFile,
    fingerprint,
    parse_local_time,
    parse_reading_file,
    parse_register,
    parse_row,
    resolve_headers,
)
from meter2cash.registry.archive_files import read_archive_file
from meter2cash.registry.archive_rules import BadValue

D = Decimal
HEADERS = ("meter_no", "read_at", "total")
DOCS = Path(__file__).resolve().parents[3] / "docs"


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reasons are compared as their English message ids."""
    monkeypatch.setenv("M2C_LANG", "en")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second)  # noqa: DTZ001 (Beijing wall-clock time)


def parse(rows: list[tuple[str, ...]], headers: tuple[str, ...] = HEADERS, **kw: bool) -> ReadingFile:
    return parse_reading_file(headers, list(enumerate(rows, start=1)), **kw)


class TestHeaders:
    def test_english_keys_and_chinese_headers_are_both_accepted_in_any_letter_case(self) -> None:
        keys, problems = resolve_headers(["表号", "READ_AT", "总", "尖", "无功", "抄表员"])
        assert problems == []
        assert keys == ("meter_no", "read_at", "total", "sharp", "reactive", "reader")

    def test_an_unknown_a_doubled_and_a_missing_column_are_each_a_problem(self) -> None:
        _keys, problems = resolve_headers(["表号", "meter_no", "总", "remark"])
        assert [(p.column, p.reason) for p in problems] == [
            ("meter_no", "column given twice (also as 表号)"),
            ("remark", "unknown column for a reading file"),
            ("read_at", "required column is missing: add a column headed 抄表时间 or read_at"),
        ]

    def test_a_missing_required_column_is_reported_once_not_on_every_row(self) -> None:
        found = parse([("M0001", "100")], headers=("meter_no", "total"))
        assert [p.column for p in found.problems] == ["read_at"]


class TestReadingTime:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("2026-11-15 10:30", local(2026, 11, 15, 10, 30)),
            ("2026-11-15 10:30:05", local(2026, 11, 15, 10, 30, 5)),
            ("2026-11-15T10:30:05", local(2026, 11, 15, 10, 30, 5)),
            ("2026/11/5 8:05", local(2026, 11, 5, 8, 5)),
            ("2026-11-15T02:30:00Z", local(2026, 11, 15, 10, 30)),
            ("2026-11-15T10:30:00+08:00", local(2026, 11, 15, 10, 30)),
        ],
    )
    def test_common_ways_of_writing_beijing_time_are_read(self, text: str, expected: datetime) -> None:
        assert parse_local_time(text) == expected

    @pytest.mark.parametrize(
        "text", ["2026-02-30 10:00", "15.11.2026 10:30", "yesterday", "1999-12-31 10:00"]
    )
    def test_what_is_not_a_real_date_and_time_is_refused(self, text: str) -> None:
        with pytest.raises(BadValue):
            parse_local_time(text)

    def test_a_date_alone_needs_a_time_except_from_a_workbook_cell_at_midnight(self) -> None:
        for text in ("2026-11-15", "20261115"):
            with pytest.raises(BadValue, match="time of day"):
                parse_local_time(text)
        assert parse_local_time("2026-11-15", bare_date_is_midnight=True) == local(2026, 11, 15)


class TestRegisterValues:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [("1234.56", D("1234.56")), ("1,234.56", D("1234.56")), ("0", D(0)), ("-5", D(-5))],
    )
    def test_a_plain_number_is_read_even_when_the_meter_could_not_show_it(
        self, text: str, expected: D
    ) -> None:
        assert parse_register(text) == expected

    @pytest.mark.parametrize("text", ["12a.5", "1,5", "1.2E+5", "NaN", ".", "-", "1 234"])
    def test_what_is_not_a_plain_number_refuses_the_file(self, text: str) -> None:
        with pytest.raises(BadValue):
            parse_register(text)


class TestRows:
    def test_a_full_row_becomes_one_reading(self) -> None:
        cells = {
            "meter_no": "M0001",
            "read_at": "2026-11-15 10:30",
            "total": "1234.56",
            "sharp": "100",
            "peak": "400",
            "flat": "434.56",
            "valley": "300",
            "reactive": "12.5",
            "max_demand_kw": "3.2",
            "meter_clock": "2026-11-15 10:31:12",
            "multiplier": "30",
            "source": "导入",
            "reader": "张三",
        }
        row, problems = parse_row(7, cells)
        assert problems == []
        assert row is not None
        assert (row.row, row.total, row.tou["flat"], row.reactive, row.multiplier) == (
            7,
            D("1234.56"),
            D("434.56"),
            D("12.5"),
            D(30),
        )
        assert (row.source, row.reader, row.meter_clock) == (
            "import",
            "张三",
            local(2026, 11, 15, 10, 31, 12),
        )

    def test_empty_optional_cells_are_absent_and_the_source_defaults_to_handheld(self) -> None:
        row, _ = parse_row(1, {"meter_no": "M1", "read_at": "2026-11-15 10:30", "total": "5", "sharp": ""})
        assert row is not None
        assert (dict(row.tou), row.reactive, row.source) == ({}, None, "handheld")

    def test_every_unreadable_cell_of_a_row_is_named(self) -> None:
        cells = {
            "meter_no": "",
            "read_at": "2026-13-01 10:00",
            "total": "abc",
            "reactive": "-1",
            "multiplier": "0",
            "source": "remote",
        }
        row, problems = parse_row(4, cells)
        assert row is None
        assert {(p.row, p.column) for p in problems} == {
            (4, "meter_no"),
            (4, "read_at"),
            (4, "total"),
            (4, "reactive"),
            (4, "multiplier"),
            (4, "source"),
        }

    def test_two_rows_for_the_same_meter_and_time_refuse_the_file_naming_both(self) -> None:
        found = parse([("M1", "2026-11-15 10:30", "5"), ("M1", "2026-11-15T10:30:00", "6")])
        assert [(p.row, p.reason) for p in found.problems] == [
            (2, "the same meter and reading time as row 1")
        ]

    def test_problems_name_the_column_as_the_file_heads_it(self) -> None:
        found = parse([("M1", "2026-11-15 10:30", "x")], headers=("表号", "抄表时间", "总"))
        assert [(p.row, p.column, p.value) for p in found.problems] == [(1, "总", "x")]

    def test_a_file_without_data_rows_is_refused(self) -> None:
        assert [p.reason for p in parse([]).problems] == ["the file has no data rows"]


class TestFingerprint:
    def test_the_same_readings_in_another_order_or_formatting_have_the_same_fingerprint(self) -> None:
        one = parse([("M1", "2026-11-15 10:30", "250.00"), ("M2", "2026-11-15 10:40", "1,000")])
        two = parse([("M2", "2026-11-15T10:40:00", "1000"), ("M1", "2026/11/15 10:30", "250")])
        assert fingerprint(one.rows) == fingerprint(two.rows)

    def test_a_different_value_changes_the_fingerprint(self) -> None:
        one = parse([("M1", "2026-11-15 10:30", "250.00")])
        two = parse([("M1", "2026-11-15 10:30", "250.01")])
        assert fingerprint(one.rows) != fingerprint(two.rows)


class TestDocumentation:
    def test_every_column_is_documented_with_its_key_and_chinese_header(self) -> None:
        text = (DOCS / "reading-files.md").read_text(encoding="utf-8")
        for column in READING_FILE_COLUMNS:
            assert f"| `{column.key}` | {column.zh} | {'yes' if column.required else 'no'} |" in text

    def test_the_example_file_reads_without_problems(self) -> None:
        table = read_archive_file(DOCS / "examples" / "readings.csv")
        found = parse_reading_file(table.headers, table.rows)
        assert (found.problems, [r.meter_no for r in found.rows]) == ([], ["M0001", "M0002"])
