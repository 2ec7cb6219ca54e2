"""Bank files (银行文件): the debit file we write, and the withholding results, bank statements and
agent settlement files we read — as .csv (UTF-8, UTF-8 with BOM, GBK) and .xlsx — each refused
whole, every problem named by row, column and value, when one row is bad."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from meter2cash.collection.bank_cells import parse_amount
from meter2cash.collection.bank_files import (
    AgentSettlementLine,
    DebitInstruction,
    LineKind,
    StatementLine,
    WithholdingStatus,
    debit_file_csv,
    exact_cell_text,
    parse_agent_settlement,
    parse_statement,
    parse_withholding_result,
)
from meter2cash.collection.bank_layouts import AGENT_SETTLEMENT, DEBIT_COLUMNS, STATEMENT, WITHHOLDING_RESULT
from meter2cash.platform.errors import InputRefused
from meter2cash.platform.money import BadAmount, NotExact
from meter2cash.registry.archive_rules import BadValue

DOCS = Path(__file__).resolve().parents[3] / "docs"
EXAMPLES = DOCS / "examples" / "bank"
STATEMENT_HEADER = "交易日期,金额,银行流水号,户号,付款人,摘要,类型,批次号"
EXAMPLE_DEBITS = (
    DebitInstruction("1500000001", "王建国", "6222020602001234567", D("126.40"), "WH-202611-01-0001"),
    DebitInstruction("1500000002", "李秀英", "6217000602009876543", D("88.15"), "WH-202611-01-0002"),
    DebitInstruction("1500000003", "张伟", "6228480602005551234", D("231.00"), "WH-202611-01-0003"),
)


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(tmp_path: Path, rows: list[list[Any]], *, stored: dict[str, str] | None = None) -> bytes:
    """An .xlsx workbook built with openpyxl in a temporary directory, as the bank would send it.

    openpyxl writes a float with 15 significant digits; Excel writes all 17 (``0.30000000000000004``
    for =0.1+0.2). ``stored`` replaces a cell's stored number, ``<v>0.3</v>``, the way Excel writes it."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    path = tmp_path / "upload.xlsx"
    workbook.save(path)
    if not stored:
        return path.read_bytes()
    patched = tmp_path / "excel.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(patched, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                for written, excel in stored.items():
                    content = content.replace(f"<v>{written}</v>".encode(), f"<v>{excel}</v>".encode())
            target.writestr(item, content)
    return patched.read_bytes()


def problems_of(parse: Callable[[], object]) -> list[tuple[int | None, str | None, str | None]]:
    with pytest.raises(InputRefused) as refused:
        parse()
    return [(p.row, p.column, p.value) for p in refused.value.problems]


def statement(*rows: str, encoding: str = "utf-8") -> tuple[StatementLine, ...]:
    data = csv_bytes(STATEMENT_HEADER, *rows, encoding=encoding)
    return parse_statement(data=data, filename="statement.csv").lines


class TestTheDebitFile:
    def test_it_writes_a_header_then_a_row_per_account_then_a_trailer_with_count_and_total(self) -> None:
        text = debit_file_csv(bank="ICBC", rows=EXAMPLE_DEBITS).decode("utf-8-sig")
        lines = text.split("\r\n")
        assert lines[0] == "扣款流水号,户号,户名,银行账号,金额"
        assert lines[1] == "WH-202611-01-0001,1500000001,王建国,6222020602001234567,126.40"
        assert lines[4] == "合计,ICBC,3,445.55"
        assert lines[5:] == [""]

    def test_the_documented_example_is_what_the_writer_writes(self) -> None:
        written = debit_file_csv(bank="ICBC", rows=EXAMPLE_DEBITS)
        assert (EXAMPLES / "debit-file.csv").read_bytes() == written

    def test_a_bank_that_asks_for_gbk_gets_gbk(self) -> None:
        data = debit_file_csv(bank="ICBC", rows=EXAMPLE_DEBITS, encoding="gbk")
        assert data.decode("gbk").startswith("扣款流水号,户号")
        assert not data.startswith(b"\xef\xbb\xbf")

    def test_a_name_that_gbk_cannot_hold_refuses_a_gbk_file_but_not_a_utf8_one(self) -> None:
        rare = DebitInstruction("1500000009", "𠮷田", "6222020602001230000", D("1.00"), "WH-9")
        assert problems_of(lambda: debit_file_csv(bank="ICBC", rows=[rare], encoding="gbk")) == [
            (1, "户名", "𠮷田")
        ]
        assert "𠮷田" in debit_file_csv(bank="ICBC", rows=[rare]).decode("utf-8-sig")

    def test_every_problem_is_listed_and_nothing_is_written(self) -> None:
        rows = [
            EXAMPLE_DEBITS[0],
            DebitInstruction("1500000002", "=HYPERLINK(1)", "6217000602009876543", D("1.00"), "WH-2"),
            DebitInstruction("", "李秀英", "6217000602009876543", D("1.00"), EXAMPLE_DEBITS[0].reference),
        ]
        assert problems_of(lambda: debit_file_csv(bank="ICBC", rows=rows)) == [
            (2, "户名", "=HYPERLINK(1)"),
            (3, "户号", None),
            (3, "扣款流水号", "WH-202611-01-0001"),
        ]

    def test_a_file_without_rows_or_without_a_bank_is_refused(self) -> None:
        assert len(problems_of(lambda: debit_file_csv(bank="", rows=[]))) == 2

    @pytest.mark.parametrize("amount", [12.5, D("12.345"), D("0"), D("-1.00"), D("NaN"), D("1E+12")])
    def test_an_instruction_refuses_an_amount_that_is_not_an_exact_positive_number_of_fen(
        self, amount: Any
    ) -> None:
        with pytest.raises((NotExact, BadAmount)):
            DebitInstruction("1500000001", "王建国", "6222020602001234567", amount, "WH-1")


class TestTheWithholdingResultFile:
    def test_the_documented_example_reads_as_two_successes_and_one_failure(self) -> None:
        data = (EXAMPLES / "withholding-result.csv").read_bytes()
        results = parse_withholding_result(data=data, filename="withholding-result.csv").lines
        assert [r.status for r in results] == [
            WithholdingStatus.SUCCEEDED,
            WithholdingStatus.SUCCEEDED,
            WithholdingStatus.FAILED,
        ]
        assert results[0].bank_ref == "ICBC20261116000187"
        assert results[2].reason == "余额不足"
        assert results[2].bank_ref is None
        assert [r.row for r in results] == [1, 2, 3]

    def test_english_headers_and_status_words_are_read_too(self) -> None:
        data = csv_bytes(
            "reference,account_no,amount,status,bank_ref,reason",
            "WH-1,1500000001,10.00,Success,B1,",
            "WH-2,1500000002,20.00,FAILED,,account frozen",
        )
        results = parse_withholding_result(data=data, filename="result.csv").lines
        assert [r.status for r in results] == [WithholdingStatus.SUCCEEDED, WithholdingStatus.FAILED]

    def test_a_success_without_the_banks_reference_and_a_failure_without_a_reason_are_refused(self) -> None:
        data = csv_bytes(
            "扣款流水号,户号,金额,状态,银行流水号,失败原因", "WH-1,1,10.00,成功,,", "WH-2,2,5.00,失败,,"
        )
        problems = problems_of(lambda: parse_withholding_result(data=data, filename="r.csv"))
        assert problems == [(1, "银行流水号", None), (2, "失败原因", None)]

    def test_a_reference_or_bank_reference_given_twice_refuses_the_file(self) -> None:
        data = csv_bytes(
            "扣款流水号,户号,金额,状态,银行流水号",
            "WH-1,1,10.00,成功,B1",
            "WH-1,2,10.00,成功,B1",
        )
        problems = problems_of(lambda: parse_withholding_result(data=data, filename="r.csv"))
        assert problems == [(2, "扣款流水号", "WH-1"), (2, "银行流水号", "B1")]

    def test_an_unknown_status_is_refused_with_its_value(self) -> None:
        data = csv_bytes("扣款流水号,户号,金额,状态,银行流水号", "WH-1,1,10.00,pending,B1")
        assert problems_of(lambda: parse_withholding_result(data=data, filename="r.csv")) == [
            (1, "状态", "pending")
        ]


class TestTheBankStatement:
    def test_the_documented_example_reads_a_batch_line_and_single_lines(self) -> None:
        data = (EXAMPLES / "statement.csv").read_bytes()
        lines = parse_statement(data=data, filename="statement.csv").lines
        assert [line.kind for line in lines] == [
            LineKind.BATCH,
            LineKind.SINGLE,
            LineKind.SINGLE,
            LineKind.SINGLE,
        ]
        assert lines[0].batch == "WH-202611-01"
        assert lines[0].account_no is None
        assert lines[2].value_date == date(2026, 11, 17)  # written 20261117

    def test_gbk_and_utf8_with_bom_files_read_the_same(self) -> None:
        row = "2026-11-15,125.30,B1,1500000001,张三,电费,单笔,"
        gbk = statement(row, encoding="gbk")
        bom = parse_statement(data=b"\xef\xbb\xbf" + csv_bytes(STATEMENT_HEADER, row), filename="s.csv").lines
        assert gbk == bom
        assert gbk[0].payer == "张三"

    @pytest.mark.parametrize(
        ("text", "day"),
        [("2026-11-05", date(2026, 11, 5)), ("20261105", date(2026, 11, 5)), ("2026/11/5", date(2026, 11, 5)),
         ("2026-11-05 14:30:00", date(2026, 11, 5))],
    )  # fmt: skip
    def test_a_value_date_is_iso_or_compact(self, text: str, day: date) -> None:
        assert statement(f"{text},1.00,B1,,,,,")[0].value_date == day

    @pytest.mark.parametrize(
        ("text", "amount"), [("12.3", D("12.30")), ("12.340", D("12.34")), ("1,234.50", D("1234.50"))]
    )
    def test_an_amount_exact_to_the_fen_is_read_with_two_decimals(self, text: str, amount: D) -> None:
        line = statement(f'2026-11-05,"{text}",B1,,,,,')[0]
        assert line.amount == amount
        assert str(line.amount) == str(amount)

    def test_a_file_with_bad_rows_is_refused_whole_naming_row_column_and_value(self) -> None:
        problems = problems_of(
            lambda: statement(
                "2026-11-05,12.30,B1,1500000001,,,,",
                "2026-02-30,12.345,B2,,,,,",
                "20261105,0,B3,,,,,",
                "2026-11-05,-5.00,B1,,,,,",
                "2026-11-05,1.2E+3,6.22202E+18,,,,,",
                "11/05/2026,abc,,,,,weekly,",
            )
        )
        assert problems == [
            (2, "交易日期", "2026-02-30"),
            (2, "金额", "12.345"),
            (3, "金额", "0"),
            (4, "金额", "-5.00"),
            (4, "银行流水号", "B1"),
            (5, "金额", "1.2E+3"),
            (5, "银行流水号", "6.22202E+18"),
            (6, "交易日期", "11/05/2026"),
            (6, "金额", "abc"),
            (6, "银行流水号", None),
            (6, "类型", "weekly"),
        ]

    def test_a_batch_line_needs_its_batch_and_a_single_line_has_none(self) -> None:
        problems = problems_of(
            lambda: statement("2026-11-05,1.00,B1,,,,批量,", "2026-11-05,1.00,B2,,,,单笔,WH-1")
        )
        assert problems == [(1, "批次号", None), (2, "批次号", "WH-1")]

    def test_unknown_doubled_and_missing_columns_are_named(self) -> None:
        data = csv_bytes("date,交易日期,金额,余额", "2026-11-05,2026-11-06,1.00,5.00")
        problems = problems_of(lambda: parse_statement(data=data, filename="s.csv"))
        assert problems == [
            (None, "交易日期", None),
            (None, "余额", None),
            (None, "bank_ref", None),
            (1, "#2", "2026-11-06"),
            (1, "#4", "5.00"),
        ]

    def test_a_file_without_data_rows_is_refused(self) -> None:
        assert problems_of(statement) == [(None, None, None)]

    def test_a_file_that_is_neither_utf8_nor_gbk_is_refused(self) -> None:
        data = csv_bytes("value_date,amount,bank_ref,payer", "2026-11-05,1.00,B1,Müller", encoding="latin-1")
        with pytest.raises(InputRefused, match=r"s\.csv"):
            parse_statement(data=data, filename="s.csv")


class TestStatementsInExcel:
    def test_numeric_cells_are_read_exactly_and_dates_as_dates(self, tmp_path: Path) -> None:
        data = xlsx_bytes(
            tmp_path,
            [
                ["交易日期", "金额", "银行流水号", "户号"],
                [datetime(2026, 11, 5), 125.3, "B1", 1500000001],  # noqa: DTZ001 (an .xlsx cell)
                [20261106, 1234567.89, "B2", "1500000002"],
                [date(2026, 11, 7), 40, "B3", None],
            ],
        )
        lines = parse_statement(data=data, filename="statement.xlsx").lines
        assert [(ln.value_date, ln.amount, ln.account_no) for ln in lines] == [
            (date(2026, 11, 5), D("125.30"), "1500000001"),
            (date(2026, 11, 6), D("1234567.89"), "1500000002"),
            (date(2026, 11, 7), D("40.00"), None),
        ]

    def test_a_float_that_is_not_an_exact_number_of_fen_is_refused_not_rounded(self, tmp_path: Path) -> None:
        data = xlsx_bytes(
            tmp_path,
            [
                ["交易日期", "金额", "银行流水号"],
                ["2026-11-05", 0.1 + 0.2, "B1"],
                ["2026-11-05", 12.345, "B2"],
                ["2026-11-05", 6222021234567890123, "B3"],
            ],
            stored={"0.3": "0.30000000000000004"},
        )
        problems = problems_of(lambda: parse_statement(data=data, filename="statement.xlsx"))
        assert problems == [
            (1, "金额", "0.30000000000000004"),
            (2, "金额", "12.345"),
            (3, "金额", "6.22202123456789e+18"),
        ]

    def test_a_long_reference_stored_as_a_float_is_refused_because_its_digits_are_lost(
        self, tmp_path: Path
    ) -> None:
        data = xlsx_bytes(
            tmp_path, [["交易日期", "金额", "银行流水号"], ["2026-11-05", 1.5, 6.222021234567891e18]]
        )
        problems = problems_of(lambda: parse_statement(data=data, filename="statement.xlsx"))
        assert problems == [(1, "银行流水号", "6.222021234567891e+18")]

    def test_the_format_can_be_named_when_the_file_name_does_not_say(self, tmp_path: Path) -> None:
        data = xlsx_bytes(tmp_path, [["交易日期", "金额", "银行流水号"], ["2026-11-05", "1.00", "B1"]])
        assert len(parse_statement(data=data, filename="upload", fmt="xlsx").lines) == 1

    @pytest.mark.parametrize(
        ("name", "data"), [("s.xls", b"\xd0\xcf\x11\xe0"), ("s.txt", b"x"), ("s.xlsx", b"PK")]
    )
    def test_old_excel_unknown_types_and_broken_workbooks_are_refused(self, name: str, data: bytes) -> None:
        with pytest.raises(InputRefused, match=r"cannot be read|无法读取"):
            parse_statement(data=data, filename=name)


class TestTheAgentSettlementFile:
    def test_the_documented_example_reads_and_becomes_statement_lines(self) -> None:
        data = (EXAMPLES / "agent-settlement.csv").read_bytes()
        settled = parse_agent_settlement(data=data, filename="agent-settlement.csv")
        first = settled.lines[0]
        assert first == AgentSettlementLine(
            "POST", date(2026, 11, 15), "1500000006", D("95.60"), "PS202611150001", 1
        )
        assert first.as_statement_line() == StatementLine(
            date(2026, 11, 15), D("95.60"), "PS202611150001", "1500000006", None, "POST", row=1
        )
        assert settled.encoding == "utf-8"
        assert len(settled.sha256) == 64

    def test_a_settlement_row_without_its_account_is_refused(self) -> None:
        data = csv_bytes("agent,date,account_no,amount,agent_ref", "POST,2026-11-15,,1.00,P1")
        assert problems_of(lambda: parse_agent_settlement(data=data, filename="a.csv")) == [
            (1, "account_no", None)
        ]


class TestAmountsAreExact:
    @given(st.integers(min_value=1, max_value=10**14 - 1))
    def test_every_amount_of_fen_below_the_limit_reads_back_exactly_from_text_and_from_an_excel_float(
        self, fen: int
    ) -> None:
        amount = D(fen).scaleb(-2)
        assert parse_amount(str(amount)) == amount
        assert parse_amount(exact_cell_text(float(str(amount)))) == amount

    @given(st.integers(min_value=1, max_value=10**9), st.integers(min_value=1, max_value=9))
    def test_an_amount_with_a_third_decimal_is_always_refused(self, fen: int, mill: int) -> None:
        with pytest.raises(BadValue):
            parse_amount(f"{D(fen).scaleb(-2)}{mill}")


class TestTheDocumentedLayouts:
    @pytest.mark.parametrize(
        "columns",
        [DEBIT_COLUMNS, WITHHOLDING_RESULT.columns, STATEMENT.columns, AGENT_SETTLEMENT.columns],
        ids=["debit", "withholding-result", "statement", "agent-settlement"],
    )
    def test_every_column_and_every_accepted_header_is_in_the_guide(self, columns: tuple[Any, ...]) -> None:
        guide = (DOCS / "bank-files.md").read_text(encoding="utf-8")
        missing = [h for c in columns for h in c.headers if f"`{h}`" not in guide and f" {h}" not in guide]
        assert missing == []
