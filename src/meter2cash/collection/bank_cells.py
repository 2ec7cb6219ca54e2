"""How the cells of a bank file are read (pure): text in, a value out, or `BadValue` saying why.

- **Amounts** are exact numbers of fen: plain decimal text (``1234.56``, ``1,234.56``), greater
  than 0, below 10¹² 元, and exact to the fen — ``12.345`` is refused, ``12.340`` is read as 12.34.
  Scientific notation (``1.2E+3``) is refused: Excel writes it for long numbers it has rounded.
- **Dates** are ISO (``2026-11-15``, also ``2026/11/15``) or compact (``20261115``); a time of day
  after the date (an .xlsx date-time cell, a ``交易时间``) is allowed and dropped.
- **References and account numbers** are text of at most 64 characters; one that looks like a long
  number in scientific notation (``6.22202E+18``) is refused, because its digits are lost.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from meter2cash.collection.bank_records import AMOUNT_LIMIT, LineKind, WithholdingStatus
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.money import FEN
from meter2cash.registry.archive_rules import BadValue, parse_text

REFERENCE_LIMIT = 64  # payment.channel_ref is String(64)
ACCOUNT_NO_LIMIT = 32  # account.account_no is String(32)
BATCH_LIMIT = 80  # payment.batch is String(80)
TEXT_LIMIT = 200
YEARS = (2000, 2099)
PLAIN_AMOUNT = re.compile(r"^[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d+)?$")
SCIENTIFIC = re.compile(r"^[+-]?\d+(?:\.\d*)?[eE][+-]?\d+$")
BANK_DATE = re.compile(
    r"^(\d{4})(?:([-/.])(\d{1,2})\2(\d{1,2})|(\d{2})(\d{2}))(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?$"
)
STATUS_WORDS: dict[str, WithholdingStatus] = {
    "succeeded": WithholdingStatus.SUCCEEDED,
    "success": WithholdingStatus.SUCCEEDED,
    "成功": WithholdingStatus.SUCCEEDED,
    "扣款成功": WithholdingStatus.SUCCEEDED,
    "failed": WithholdingStatus.FAILED,
    "failure": WithholdingStatus.FAILED,
    "失败": WithholdingStatus.FAILED,
    "扣款失败": WithholdingStatus.FAILED,
}
KIND_WORDS: dict[str, LineKind] = {
    "single": LineKind.SINGLE,
    "单笔": LineKind.SINGLE,
    "batch": LineKind.BATCH,
    "批量": LineKind.BATCH,
}


def parse_amount(text: str) -> Decimal:
    """An amount in 元: positive, below 10¹², exact to the fen; returned with two decimals."""
    if SCIENTIFIC.match(text):
        raise BadValue(_("is in scientific notation; write the amount in full, e.g. 1234.56"))
    if not PLAIN_AMOUNT.match(text):
        raise BadValue(_("is not an amount; write it like 1234.56"))
    value = Decimal(text.replace(",", ""))
    if value <= 0:
        raise BadValue(_("must be greater than 0"))
    if value >= AMOUNT_LIMIT:
        raise BadValue(_("is too large for an amount (at most 12 integer digits)"))
    if value != value.quantize(FEN):
        raise BadValue(_("has more than 2 decimals: not an exact number of fen"))
    return value.quantize(FEN)


def parse_bank_date(text: str) -> date:
    """A value date: ``2026-11-15``, ``2026/11/15``, ``2026.11.15`` or ``20261115``, optionally
    followed by a time of day, which is dropped."""
    match = BANK_DATE.match(text)
    if match is None:
        raise BadValue(_("is not a date; write it as YYYY-MM-DD or YYYYMMDD"))
    year, _separator, month, day, compact_month, compact_day = match.groups()
    try:
        value = date(int(year), int(month or compact_month), int(day or compact_day))
    except ValueError:
        raise BadValue(_("is not a real calendar date")) from None
    if not YEARS[0] <= value.year <= YEARS[1]:
        raise BadValue(_("year must be between {low} and {high}").format(low=YEARS[0], high=YEARS[1]))
    return value


def parse_reference(text: str, *, limit: int = REFERENCE_LIMIT) -> str:
    """A reference or account number: text of at most ``limit`` characters, not a formula, not a
    long number that a spreadsheet turned into scientific notation."""
    if SCIENTIFIC.match(text):
        raise BadValue(
            _(
                "looks like a long number in scientific notation, so digits are lost; "
                "format the column as text"
            )
        )
    return parse_text(text, limit=limit)


def parse_account_no(text: str) -> str:
    return parse_reference(text, limit=ACCOUNT_NO_LIMIT)


def parse_batch(text: str) -> str:
    return parse_reference(text, limit=BATCH_LIMIT)


def parse_free_text(text: str) -> str:
    """A name, memo or reason: at most 200 characters, not starting like a formula."""
    return parse_text(text, limit=TEXT_LIMIT)


def parse_status(text: str) -> WithholdingStatus:
    """succeeded / success / 成功 / 扣款成功, or failed / failure / 失败 / 扣款失败 (any letter case)."""
    status = STATUS_WORDS.get(text.lower())
    if status is None:
        raise BadValue(_("must be succeeded (成功) or failed (失败)"))
    return status


def parse_kind(text: str) -> LineKind:
    """single / 单笔, or batch / 批量 (any letter case)."""
    kind = KIND_WORDS.get(text.lower())
    if kind is None:
        raise BadValue(_("must be single (单笔) or batch (批量)"))
    return kind
