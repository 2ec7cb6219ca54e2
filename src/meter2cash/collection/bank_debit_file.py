"""The debit file (代扣文件) we send a bank for withholding (pure: values in, bytes out).

Layout (docs/bank-files.md): a header row of the Chinese headers of `DEBIT_COLUMNS`
(扣款流水号, 户号, 户名, 银行账号, 金额), one row per instruction in the order given, then one
trailer row ``合计,<bank>,<number of rows>,<total>``. Amounts are written with two decimals.
CSV with CRLF line ends, in UTF-8 with BOM (Excel opens it as Unicode) or GBK when the bank asks
for it.

A debit file is refused whole (`InputRefused`, every problem with its row and column) when it has
no rows, when a reference repeats, when a cell is empty, too long or starts like a formula, or
when a name cannot be written in GBK for a GBK file. The amounts were checked when each
`DebitInstruction` was built: exact, positive, to the fen.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Literal

from meter2cash.collection.bank_cells import parse_reference
from meter2cash.collection.bank_layouts import DEBIT_COLUMNS
from meter2cash.collection.bank_records import DebitInstruction
from meter2cash.platform.errors import InputRefused, Problem
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.money import fen_text
from meter2cash.registry.archive_rules import BadValue

TRAILER = "合计"
DebitEncoding = Literal["utf-8-sig", "gbk"]


def debit_file_cells(instruction: DebitInstruction) -> tuple[str, ...]:
    """A row's cells in the order of `DEBIT_COLUMNS`."""
    return (
        instruction.reference,
        instruction.account_no,
        instruction.customer_name,
        instruction.bank_account,
        fen_text(instruction.amount),
    )


def _row_problems(number: int, cells: Sequence[str], encoding: DebitEncoding) -> list[Problem]:
    problems = []
    for column, text in zip(DEBIT_COLUMNS, cells, strict=True):
        if not text:
            problems.append(Problem(_("a value is required"), number, column.zh))
            continue
        try:
            column.parse(text)
        except BadValue as bad:
            problems.append(Problem(str(bad), number, column.zh, text))
            continue
        if encoding == "gbk" and not _fits_gbk(text):
            reason = _("cannot be written in GBK; send this bank a UTF-8 file")
            problems.append(Problem(reason, number, column.zh, text))
    return problems


def _fits_gbk(text: str) -> bool:
    try:
        text.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


def debit_file_problems(
    *, bank: str, rows: Sequence[DebitInstruction], encoding: DebitEncoding = "utf-8-sig"
) -> list[Problem]:
    """Every reason the debit file cannot be written, each with its row (from 1) and column."""
    problems: list[Problem] = []
    try:
        parse_reference(bank)
    except BadValue as bad:
        problems.append(Problem(str(bad), column="bank", value=bank))
    if not bank:
        problems.append(Problem(_("a value is required"), column="bank"))
    if not rows:
        problems.append(Problem(_("there is nothing to debit: the file would have no rows")))
    first: dict[str, int] = {}
    for number, instruction in enumerate(rows, start=1):
        problems += _row_problems(number, debit_file_cells(instruction), encoding)
        reference = instruction.reference
        if reference in first:
            reason = _("given twice in the file: the same value as row {row}").format(row=first[reference])
            problems.append(Problem(reason, number, DEBIT_COLUMNS[0].zh, reference))
        first.setdefault(reference, number)
    return problems


def debit_file_csv(
    *, bank: str, rows: Sequence[DebitInstruction], encoding: DebitEncoding = "utf-8-sig"
) -> bytes:
    """The debit file for ``bank`` as CSV bytes, or `InputRefused` naming every problem."""
    problems = debit_file_problems(bank=bank, rows=rows, encoding=encoding)
    if problems:
        summary = _("The debit file for {bank}: {count} problem(s); nothing was written")
        raise InputRefused(summary.format(bank=bank or "-", count=len(problems)), problems)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(column.zh for column in DEBIT_COLUMNS)
    writer.writerows(debit_file_cells(instruction) for instruction in rows)
    total = sum((instruction.amount for instruction in rows), start=Decimal(0))
    writer.writerow((TRAILER, bank, str(len(rows)), fen_text(total)))
    return buffer.getvalue().encode(encoding)
