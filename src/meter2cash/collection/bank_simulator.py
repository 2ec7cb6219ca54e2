"""The test bank (测试银行), pure: what a bank does with our debit file, for tests and the demo —
never for real money. Docs: docs/bank-files.md ("The test bank").

`answer_debit_file` reads a debit file as `bank_debit_file.debit_file_csv` writes it (the header,
one row per instruction, the ``合计`` trailer) and writes the withholding result file (代扣回盘) a bank
would send back: every instruction debited in full with a bank reference
``<bank><yyyymmdd><nnnnnn>``, except the accounts named in ``fail``, which fail with the reason
given. `statement_batch_line` is the line the bank's statement then shows for the batch.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from meter2cash.collection.bank_debit_file import TRAILER
from meter2cash.collection.bank_layouts import DEBIT_COLUMNS, WITHHOLDING_RESULT
from meter2cash.platform.money import fen_text
from meter2cash.registry.archive_files import decode_text


def debit_rows(data: bytes) -> tuple[str, list[dict[str, str]]]:
    """The bank named in a debit file's trailer, and its rows by column key."""
    text, _encoding = decode_text(data, name="debit file")
    rows = list(csv.reader(io.StringIO(text)))
    header, *body = rows
    keys = {column.zh: column.key for column in DEBIT_COLUMNS}
    trailer = body.pop() if body and body[-1] and body[-1][0] == TRAILER else []
    bank = trailer[1] if len(trailer) > 1 else ""
    return bank, [{keys[h]: cell for h, cell in zip(header, row, strict=True)} for row in body if row]


def answer_debit_file(*, data: bytes, on: date, fail: Mapping[str, str] | None = None) -> bytes:
    """The result file for a debit file: succeeded, except ``fail`` (account number → reason)."""
    failing = fail or {}
    bank, rows = debit_rows(data)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(column.zh for column in WITHHOLDING_RESULT.columns)
    for number, row in enumerate(rows, start=1):
        reason = failing.get(row["account_no"])
        status, bank_ref = ("失败", "") if reason else ("成功", f"{bank}{on:%Y%m%d}{number:06d}")
        writer.writerow((row["reference"], row["account_no"], row["amount"], status, bank_ref, reason or ""))
    return buffer.getvalue().encode("utf-8")


def debited_total(*, data: bytes, fail: Mapping[str, str] | None = None) -> Decimal:
    """What the bank credits the bureau for the batch: the debits that succeeded."""
    failing = fail or {}
    _bank, rows = debit_rows(data)
    return sum((Decimal(row["amount"]) for row in rows if row["account_no"] not in failing), Decimal("0.00"))


def statement_batch_line(*, batch: str, on: date, amount: Decimal, bank_ref: str) -> str:
    """A statement CSV (header and one batch line) crediting a withholding batch's lump sum."""
    return (
        "交易日期,金额,银行流水号,户号,付款人,摘要,类型,批次号\r\n"
        f"{on.isoformat()},{fen_text(amount)},{bank_ref},,,代扣电费 {batch},批量,{batch}\r\n"
    )
