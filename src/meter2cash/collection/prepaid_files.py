"""Reading the prepaid import files (CSV, UTF-8, a header row): every row is checked and the file
is refused whole (`InputRefused`) naming each bad row, column and value; nothing is written then.

- meter reports (card meters): ``meter_no,reported_on,unit,purchase_count,cumulative_purchase,
  remaining,cumulative_used``;
- daily frozen readings (smart prepaid): ``meter_no,frozen_on,total``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from meter2cash.platform.errors import InputRefused, Problem
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.money import BadAmount, NotExact, exact

REPORT_COLUMNS = (
    "meter_no",
    "reported_on",
    "unit",
    "purchase_count",
    "cumulative_purchase",
    "remaining",
    "cumulative_used",
)
READING_COLUMNS = ("meter_no", "frozen_on", "total")
MAX_DECIMALS = 4

Parser = Callable[[str], Any]


def text_of(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise InputRefused(_("Cannot read {path}: {error}").format(path=path, error=error)) from None


def a_day(text: str) -> date:
    return date.fromisoformat(text)


def a_count(text: str) -> int:
    if not text.isdigit():
        raise ValueError(text)
    return int(text)


def an_amount(text: str, *, signed: bool = False) -> Decimal:
    try:
        value = exact(text)
    except (BadAmount, NotExact):
        raise ValueError(text) from None
    if value.as_tuple().exponent < -MAX_DECIMALS:  # type: ignore[operator]
        raise ValueError(text)
    if value < 0 and not signed:
        raise ValueError(text)
    return value


def a_signed_amount(text: str) -> Decimal:
    return an_amount(text, signed=True)


def a_name(text: str) -> str:
    if not text or len(text) > 32:
        raise ValueError(text)
    return text


def a_unit(text: str) -> str:
    if text not in ("kwh", "yuan"):
        raise ValueError(text)
    return text


REPORT_PARSERS: Mapping[str, Parser] = {
    "meter_no": a_name,
    "reported_on": a_day,
    "unit": a_unit,
    "purchase_count": a_count,
    "cumulative_purchase": an_amount,
    "remaining": a_signed_amount,
    "cumulative_used": an_amount,
}
READING_PARSERS: Mapping[str, Parser] = {"meter_no": a_name, "frozen_on": a_day, "total": an_amount}
EXPECTED: Mapping[str, str] = {
    "meter_no": "meter number",
    "reported_on": "YYYY-MM-DD",
    "frozen_on": "YYYY-MM-DD",
    "unit": "kwh | yuan",
    "purchase_count": "a whole number ≥ 0",
    "cumulative_purchase": "a number ≥ 0, at most 4 decimals",
    "remaining": "a number, at most 4 decimals",
    "cumulative_used": "a number ≥ 0, at most 4 decimals",
    "total": "a number ≥ 0, at most 4 decimals",
}


def read_rows(
    *, text: str, columns: Sequence[str], parsers: Mapping[str, Parser], key: Sequence[str]
) -> list[dict[str, Any]]:
    """The file's rows, parsed; or `InputRefused` with every problem (a row given twice, by
    ``key``, included)."""
    summary = _("The file is refused: nothing was imported")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputRefused(summary, [Problem(reason=_("Missing column"), row=0, column=c) for c in missing])
    rows: list[dict[str, Any]] = []
    problems: list[Problem] = []
    seen: dict[tuple[Any, ...], int] = {}
    for number, raw in enumerate(reader, start=1):
        values = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        parsed: dict[str, Any] = {}
        for column in columns:
            try:
                parsed[column] = parsers[column](values.get(column, ""))
            except ValueError:
                reason = _("Expected {what}").format(what=EXPECTED[column])
                problems.append(Problem(reason=reason, row=number, column=column, value=values.get(column)))
        if len(parsed) == len(columns):
            ident = tuple(parsed[k] for k in key)
            if ident in seen:
                reason = _("The same as row {row}").format(row=seen[ident])
                problems.append(Problem(reason=reason, row=number))
            seen[ident] = number
            parsed["row"] = number
            rows.append(parsed)
    if problems:
        raise InputRefused(summary, problems)
    if not rows:
        raise InputRefused(summary, [Problem(reason=_("The file has no rows"))])
    return rows
