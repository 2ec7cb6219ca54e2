"""Bank files (银行文件) for collection: the debit file we send for withholding (代扣), the bank's
result file (回盘), bank statements (对账单) and collection agents' settlement files (代收结算文件).
Layouts: docs/bank-files.md. Pure apart from decoding the bytes it is given (no database, no
clock, no file system): a service reads the upload and passes its bytes and name.

Reading a file:

- ``.csv`` is decoded by the archive files' decoder (`registry.archive_files.decode_text`):
  UTF-8 with or without BOM, else GBK (what Chinese banks send), both strictly; anything else is
  refused naming the byte and line.
- ``.xlsx``: the first sheet, header in row 1. A numeric cell arrives from openpyxl as a binary
  float; it is written out as the shortest decimal that is that float (``repr``), never rounded,
  so ``12.34`` stays ``12.34`` and a cell holding ``0.30000000000000004`` (a sum Excel shows as
  0.30) is refused as not an exact number of fen rather than silently rounded.
- **A file with one bad row is refused whole** (`InputRefused`): every problem is listed with its
  row (1 = first row under the header), column and value, and nothing is accepted.
"""

from __future__ import annotations

import hashlib
import io
import math
import zipfile
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import PurePath
from typing import Literal, TypeVar

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from meter2cash.collection.bank_debit_file import debit_file_csv, debit_file_problems
from meter2cash.collection.bank_file_rows import (
    agent_settlement_rows,
    statement_rows,
    withholding_result_rows,
)
from meter2cash.collection.bank_records import (
    AgentSettlementLine,
    BankFile,
    DebitInstruction,
    LineKind,
    StatementLine,
    WithholdingResult,
    WithholdingStatus,
)
from meter2cash.platform.errors import InputRefused, Problem
from meter2cash.platform.i18n import gettext as _
from meter2cash.registry.archive_files import decode_text, read_csv_text
from meter2cash.registry.archive_rules import Numbered, cell_text

__all__ = [
    "AgentSettlementLine",
    "BankFile",
    "DebitInstruction",
    "LineKind",
    "StatementLine",
    "WithholdingResult",
    "WithholdingStatus",
    "debit_file_csv",
    "debit_file_problems",
    "parse_agent_settlement",
    "parse_statement",
    "parse_withholding_result",
    "read_bank_table",
]

FileFormat = Literal["csv", "xlsx"]
R = TypeVar("R")
Rows = list[Numbered[tuple[str, ...]]]
EXACT_INTEGERS = float(2**53)
FORMATS: dict[str, FileFormat] = {".csv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx"}


def _cannot_read(name: str, reason: str) -> InputRefused:
    return InputRefused(_("The file {name} cannot be read").format(name=name), [Problem(reason)])


def exact_cell_text(value: object) -> str:
    """An .xlsx cell as text, a float written exactly as the shortest decimal it is (``repr``):
    ``12.34`` → ``"12.34"``, ``5.0`` → ``"5"``; from 2⁵³ on, where a float has lost digits, in
    scientific notation (``6.2e+18``), which the reference and amount rules refuse. Any other cell
    as the archive files show it (`cell_text`: a date as ISO, text stripped)."""
    if isinstance(value, float) and math.isfinite(value):
        if abs(value) >= EXACT_INTEGERS:  # past 2⁵³ a float no longer holds every whole number
            text = repr(value)
            return text if "e" in text else f"{value:.16e}"
        if value.is_integer():
            return str(int(value))
        text = repr(value)
        return text if "e" in text else format(Decimal(text), "f")
    return cell_text(value)


def _trim(cells: Sequence[str]) -> tuple[str, ...]:
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return tuple(cells[:end])


def read_xlsx_bytes(data: bytes, *, name: str) -> tuple[tuple[str, ...], Rows]:
    """Header and numbered data rows of the first sheet of an .xlsx workbook given as bytes."""
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise _cannot_read(name, _("not a readable .xlsx workbook: {error}").format(error=error)) from None
    try:
        if not workbook.worksheets:
            raise _cannot_read(name, _("the workbook has no sheet"))
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = _trim([exact_cell_text(value) for value in next(rows, ())])
        body = [(n, _trim([exact_cell_text(v) for v in values])) for n, values in enumerate(rows, start=1)]
    finally:
        workbook.close()
    if not header:
        raise _cannot_read(name, _("the file is empty: the first row must hold the column headers"))
    return header, body


def file_format(filename: str, given: FileFormat | None = None) -> FileFormat:
    """The format named by the caller, else by the file name's suffix (.csv, .xlsx)."""
    if given is not None:
        return given
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".xls":
        reason = _("the old .xls format is not supported; save the workbook as .xlsx or 'CSV UTF-8'")
        raise _cannot_read(filename, reason)
    if suffix not in FORMATS:
        raise _cannot_read(
            filename, _("unknown file type {suffix}; use .csv or .xlsx").format(suffix=suffix or "-")
        )
    return FORMATS[suffix]


def read_bank_table(
    *, data: bytes, filename: str, fmt: FileFormat | None = None
) -> tuple[tuple[str, ...], Rows, str]:
    """A bank file's header, numbered rows of text cells, and how it was read (its encoding, or xlsx)."""
    if file_format(filename, fmt) == "xlsx":
        headers, rows = read_xlsx_bytes(data, name=filename)
        return headers, rows, "xlsx"
    text, encoding = decode_text(data, name=filename)
    headers, rows = read_csv_text(text, name=filename)
    return headers, rows, encoding


def _parse(
    data: bytes,
    filename: str,
    fmt: FileFormat | None,
    rows_of: Callable[..., tuple[list[R], list[Problem]]],
) -> BankFile[R]:
    headers, rows, encoding = read_bank_table(data=data, filename=filename, fmt=fmt)
    records, problems = rows_of(headers=headers, rows=rows)
    if problems:
        summary = _("{name}: {count} problem(s); the whole file is refused")
        raise InputRefused(summary.format(name=filename, count=len(problems)), problems)
    return BankFile(filename, hashlib.sha256(data).hexdigest(), encoding, tuple(records))


def parse_withholding_result(
    *, data: bytes, filename: str, fmt: FileFormat | None = None
) -> BankFile[WithholdingResult]:
    """The bank's result file for a withholding batch (扣款回盘): one row per debit instruction,
    succeeded or failed; refused whole on any problem."""
    return _parse(data, filename, fmt, withholding_result_rows)


def parse_statement(*, data: bytes, filename: str, fmt: FileFormat | None = None) -> BankFile[StatementLine]:
    """A bank statement (银行对账单) of the credits on the bureau's collection account; refused whole
    on any problem."""
    return _parse(data, filename, fmt, statement_rows)


def parse_agent_settlement(
    *, data: bytes, filename: str, fmt: FileFormat | None = None
) -> BankFile[AgentSettlementLine]:
    """A collection agent's settlement file (代收结算文件); refused whole on any problem. Reconcile
    its lines with `AgentSettlementLine.as_statement_line`."""
    return _parse(data, filename, fmt, agent_settlement_rows)
