from __future__ import annotations

import codecs
import hashlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from meter2cash.platform.errors import InputRefused
from meter2cash.registry.archive_files import read_archive_file, write_archive_file

CSV_TEXT = (
    "客户编号,客户名称,用电地址\r\n"
    "C000001,张伟,呼和浩特市新城区新华大街1号\r\n"
    "C000002,李秀英,包头市昆都仑区钢铁大街2号\r\n"
)
NAMES = ["张伟", "李秀英"]
EXCEL_DATE = datetime(2024, 3, 1)  # noqa: DTZ001 (a spreadsheet date has no time zone)


@pytest.fixture(autouse=True)
def english_messages(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("M2C_LANG", "en")
    yield


def _file(tmp_path: Path, data: bytes, name: str = "accounts.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _refusal(path: Path) -> str:
    with pytest.raises(InputRefused) as refused:
        read_archive_file(path)
    return " ".join(p.reason for p in refused.value.problems)


class TestCsvEncodings:
    @pytest.mark.parametrize(
        ("encoded", "encoding"),
        [
            (CSV_TEXT.encode("utf-8"), "utf-8"),
            (codecs.BOM_UTF8 + CSV_TEXT.encode("utf-8"), "utf-8-sig"),
            (CSV_TEXT.encode("gbk"), "gbk"),
        ],
    )
    def test_chinese_names_are_read_right_in_each_accepted_encoding(
        self, tmp_path: Path, encoded: bytes, encoding: str
    ) -> None:
        table = read_archive_file(_file(tmp_path, encoded))
        assert table.encoding == encoding
        assert table.headers == ("客户编号", "客户名称", "用电地址")
        assert [cells[1] for _, cells in table.rows] == NAMES

    def test_a_gbk_name_with_a_character_outside_gb2312_is_read(self, tmp_path: Path) -> None:
        table = read_archive_file(_file(tmp_path, "客户名称\r\n朱镕基\r\n".encode("gbk")))
        assert table.rows == [(1, ("朱镕基",))]

    def test_a_latin1_file_is_refused_naming_the_encoding_problem(self, tmp_path: Path) -> None:
        reason = _refusal(_file(tmp_path, "name\r\nMüller München\r\n".encode("latin-1")))
        assert "neither UTF-8 nor GBK" in reason and "line 2" in reason

    def test_a_utf16_file_is_refused(self, tmp_path: Path) -> None:
        assert "UTF-16" in _refusal(_file(tmp_path, CSV_TEXT.encode("utf-16")))

    def test_a_utf16_file_without_bom_is_refused(self, tmp_path: Path) -> None:
        assert "NUL" in _refusal(_file(tmp_path, CSV_TEXT.encode("utf-16-le")))

    def test_garbage_bytes_are_refused(self, tmp_path: Path) -> None:
        assert "neither UTF-8 nor GBK" in _refusal(_file(tmp_path, bytes(range(0x80, 0x100)) * 4))

    def test_the_refusal_says_nothing_was_read_from_which_file(self, tmp_path: Path) -> None:
        with pytest.raises(InputRefused, match=r"accounts\.csv"):
            read_archive_file(_file(tmp_path, b"\xff\xfe\x00"))


class TestCsvRows:
    def test_rows_are_numbered_from_the_first_row_under_the_header_and_blank_rows_keep_their_number(
        self, tmp_path: Path
    ) -> None:
        table = read_archive_file(_file(tmp_path, b"code,name\r\nA, x \r\n,\r\n\r\nB,y,\r\n"))
        assert table.rows == [(1, ("A", "x")), (2, ()), (3, ()), (4, ("B", "y"))]

    def test_the_sha256_of_the_files_bytes_is_kept(self, tmp_path: Path) -> None:
        data = b"code\r\nA\r\n"
        assert read_archive_file(_file(tmp_path, data)).sha256 == hashlib.sha256(data).hexdigest()

    def test_an_empty_file_is_refused(self, tmp_path: Path) -> None:
        assert "header" in _refusal(_file(tmp_path, b"\r\n\r\n"))

    @pytest.mark.parametrize(("name", "reason"), [("a.xls", ".xls"), ("a.json", "unknown file type")])
    def test_other_file_types_are_refused(self, tmp_path: Path, name: str, reason: str) -> None:
        assert reason in _refusal(_file(tmp_path, b"x", name))


class TestXlsx:
    def _workbook(self, tmp_path: Path, rows: list[list[object]]) -> Path:
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        for row in rows:
            sheet.append(row)
        workbook.create_sheet("ignored").append(["not", "read"])
        path = tmp_path / "accounts.xlsx"
        workbook.save(path)
        return path

    def test_numbers_and_dates_in_cells_become_the_text_a_clerk_sees(self, tmp_path: Path) -> None:
        path = self._workbook(
            tmp_path,
            [
                ["表号", "整数位数", "装表示数总", "CT变比", "装表日期", "通信地址", "客户名称"],
                ["M1", 6.0, 1234.56, 40, EXCEL_DATE, "000000000001", "张伟"],
            ],
        )
        table = read_archive_file(path)
        assert table.encoding == "xlsx"
        assert table.headers[0] == "表号"
        assert table.rows == [(1, ("M1", "6", "1234.56", "40", "2024-03-01", "000000000001", "张伟"))]

    def test_only_the_first_sheet_is_read_and_trailing_blank_rows_are_dropped(self, tmp_path: Path) -> None:
        path = self._workbook(tmp_path, [["code"], ["A"], [None], ["B"], [None], [None]])
        assert read_archive_file(path).rows == [(1, ("A",)), (2, ()), (3, ("B",))]

    def test_a_file_that_is_not_a_workbook_is_refused(self, tmp_path: Path) -> None:
        assert "not a readable .xlsx" in _refusal(_file(tmp_path, b"PK\x03\x04 nonsense", "a.xlsx"))


class TestWritingFiles:
    def test_a_csv_is_written_as_utf8_with_bom_and_crlf(self, tmp_path: Path) -> None:
        path = tmp_path / "out.csv"
        headers, rows = ["户号", "客户名称"], [["0001", "张伟"]]
        count = write_archive_file(path, headers=headers, rows=rows, sheet="accounts")
        assert count == 1
        assert path.read_bytes() == codecs.BOM_UTF8 + "户号,客户名称\r\n0001,张伟\r\n".encode()

    def test_an_xlsx_keeps_every_cell_as_text_even_leading_zeros_and_formula_lookalikes(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "out.xlsx"
        headers = ["户号", "名称", "空"]
        write_archive_file(path, headers=headers, rows=[["0001", "=1+1", ""]], sheet="accounts")
        sheet = load_workbook(path).worksheets[0]
        assert sheet.title == "accounts"
        assert [[c.value for c in row] for row in sheet.iter_rows()] == [headers, ["0001", "=1+1", None]]
        assert sheet["B2"].data_type == "s"

    def test_what_is_written_reads_back_the_same(self, tmp_path: Path) -> None:
        rows = [["0001", "张伟", "1234.50"], ["0002", "李秀英", ""]]
        for suffix in (".csv", ".xlsx"):
            path = tmp_path / f"out{suffix}"
            write_archive_file(path, headers=["a", "b", "c"], rows=rows, sheet="x")
            read = [list(cells) + [""] * (3 - len(cells)) for _, cells in read_archive_file(path).rows]
            assert read == rows

    def test_a_failed_write_leaves_no_file_behind(self, tmp_path: Path) -> None:
        def rows() -> Iterator[list[str]]:
            yield ["1"]
            raise RuntimeError("database went away")

        with pytest.raises(RuntimeError):
            write_archive_file(tmp_path / "out.csv", headers=["a"], rows=rows(), sheet="x")
        assert list(tmp_path.iterdir()) == []

    def test_writing_into_a_missing_folder_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(InputRefused, match=r"out\.csv"):
            write_archive_file(tmp_path / "nowhere" / "out.csv", headers=["a"], rows=[], sheet="x")
