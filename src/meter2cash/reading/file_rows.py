"""Reading files (抄表文件) from handheld terminals (抄表机) and collection-system exports: their
columns, and the rules that turn a file's text cells into readings. Pure: text in, rows and
problems out (no database, files or clock).

Which problems refuse the file, and which become reading findings (documented in
docs/reading-files.md):

- **The file is refused** (nothing is written) when a cell cannot be *read*: a required column or
  value is missing, a column is unknown or given twice, a time is not a date and time, a register
  is not a plain decimal number, a non-register number (reactive, demand, field multiplier) is not
  a number that can be stored, a source is unknown, or two rows give the same meter and time.
  Unknown meters and meters not installed on the day are refused by the service, which knows the
  archive.
- **A number that can be read but is implausible goes through the checks (VEE)**: a negative
  register, more integer digits or decimals than the meter shows, a time-of-use register the meter
  does not keep, a time in the future. That reading becomes an INVALID exception in the route
  book's queue with its raw value, like a collected or hand-entered one; the rest of the file is
  stored (`meter2cash.reading.intake`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import TypeVar

from meter2cash.platform.clock import BUSINESS_TZ
from meter2cash.platform.errors import Problem
from meter2cash.platform.i18n import gettext as _
from meter2cash.registry.archive_columns import Column
from meter2cash.registry.archive_rules import (
    BadValue,
    Numbered,
    Table,
    check_shape,
    parse_decimal,
    parse_text,
    relabel,
)

READING_FILE_COLUMNS: tuple[Column, ...] = (
    Column("meter_no", "表号", True, "meter number (must be in the archive)"),
    Column(
        "read_at", "抄表时间", True, "reading time, Beijing time: YYYY-MM-DD HH:MM[:SS] or 2026-11-15T10:30"
    ),
    Column("total", "总", True, "total active-energy register (kWh), as the meter shows it"),
    Column("sharp", "尖", False, "sharp (尖) time-of-use register"),
    Column("peak", "峰", False, "peak (峰) time-of-use register"),
    Column("flat", "平", False, "flat (平) time-of-use register"),
    Column("valley", "谷", False, "valley (谷) time-of-use register"),
    Column("reactive", "无功", False, "reactive register (kvarh)"),
    Column("max_demand_kw", "最大需量", False, "maximum demand register (kW)"),
    Column("meter_clock", "表计时钟", False, "what the meter's clock showed, written like read_at"),
    Column("multiplier", "现场倍率", False, "multiplier found in the field (CT × PT), > 0"),
    Column("source", "来源", False, "handheld (抄表机, the default) or import (导入)"),
    Column("reader", "抄表员", False, "who read the meter; informational"),
)
TOU_KEYS = ("sharp", "peak", "flat", "valley")
SOURCES = {"handheld": "handheld", "抄表机": "handheld", "import": "import", "导入": "import"}
READER_LIMIT = 64
YEARS = (2000, 2099)
T = TypeVar("T")
PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)?(?:\.\d+)?$")
LOCAL_TIME = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?$"
)
FINGERPRINT_KIND = b"reading-file"


@dataclass(frozen=True, slots=True)
class ReadingRow:
    """One clean row of a reading file. Times are Beijing wall-clock time, without a zone."""

    row: int
    meter_no: str
    read_at: datetime
    total: Decimal
    tou: Mapping[str, Decimal] = field(default_factory=dict)
    reactive: Decimal | None = None
    max_demand_kw: Decimal | None = None
    meter_clock: datetime | None = None
    multiplier: Decimal | None = None
    source: str = "handheld"
    reader: str | None = None


@dataclass(frozen=True)
class ReadingFile:
    """The clean rows of a file and every problem found, columns named as the file's headers."""

    rows: list[ReadingRow]
    problems: list[Problem]
    table: Table
    labels: Mapping[str, str]

    def label(self, key: str) -> str:
        return self.labels.get(key, key)


def _lookup() -> dict[str, str]:
    found = {c.key.lower(): c.key for c in READING_FILE_COLUMNS}
    found.update({c.zh: c.key for c in READING_FILE_COLUMNS})
    return found


def resolve_headers(headers: Sequence[str]) -> tuple[tuple[str | None, ...], list[Problem]]:
    """The column key of each header (English key or Chinese header; None for an empty header)
    and the problems: unknown columns, columns given twice, required columns missing."""
    lookup = _lookup()
    keys: list[str | None] = []
    problems = []
    seen: dict[str, str] = {}
    for header in headers:
        text = header.strip()
        key = lookup.get(text.lower()) if text else None
        if text and key is None:
            problems.append(Problem(_("unknown column for a reading file"), column=text))
        elif key is not None and key in seen:
            reason = _("column given twice (also as {other})").format(other=seen[key])
            problems.append(Problem(reason, column=text))
            key = None
        elif key is not None:
            seen[key] = text
        keys.append(key)
    for column in READING_FILE_COLUMNS:
        if column.required and column.key not in seen:
            reason = _("required column is missing: add a column headed {zh} or {key}")
            problems.append(Problem(reason.format(zh=column.zh, key=column.key), column=column.key))
    return tuple(keys), problems


def parse_register(text: str) -> Decimal:
    """A register value written as a plain decimal number (``1234.56``, ``1,234.56``, ``-5``).

    Only the *form* is checked here: whether the meter can show the value (sign, digits) is the
    INVALID check's business."""
    if not PLAIN_NUMBER.match(text) or not any(ch.isdigit() for ch in text):
        raise BadValue(_("is not a number"))
    return Decimal(text.replace(",", ""))


def parse_local_time(text: str, *, bare_date_is_midnight: bool = False) -> datetime:
    """Beijing wall-clock time: ``2026-11-15 10:30[:00]``, ``2026/11/15 10:30``, ISO
    ``2026-11-15T10:30:00``; a time with an offset (``+08:00``, ``Z``) is converted to Beijing time.
    A date alone is refused unless ``bare_date_is_midnight`` (an .xlsx date-time cell at 00:00 shows
    as a date)."""
    match = LOCAL_TIME.match(text)
    if match is not None:
        year, month, day, hour, minute, second, fraction = match.groups()
        if hour is None and not bare_date_is_midnight:
            raise BadValue(_("needs the time of day: write it as YYYY-MM-DD HH:MM"))
        try:
            value = datetime(  # noqa: DTZ001 (Beijing wall-clock time, the VEE convention)
                int(year),
                int(month),
                int(day),
                int(hour or 0),
                int(minute or 0),
                int(second or 0),
                int((fraction or "0").ljust(6, "0")),
            )
        except ValueError:
            raise BadValue(_("is not a real date and time")) from None
    else:
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise BadValue(_("is not a date and time; write it as YYYY-MM-DD HH:MM[:SS]")) from None
        if not re.search(r"[T ]\d", text):  # ISO basic dates such as 20261115 carry no time
            raise BadValue(_("needs the time of day: write it as YYYY-MM-DD HH:MM"))
        if value.tzinfo is not None:
            value = value.astimezone(BUSINESS_TZ).replace(tzinfo=None)
    if not YEARS[0] <= value.year <= YEARS[1]:
        raise BadValue(_("year must be between {low} and {high}").format(low=YEARS[0], high=YEARS[1]))
    return value


def parse_source(text: str) -> str:
    source = SOURCES.get(text.lower())
    if source is None:
        raise BadValue(_("must be handheld (抄表机) or import (导入)"))
    return source


class _Row:
    """Reads the cells of one row, collecting a problem per cell that cannot be read."""

    def __init__(self, number: int, cells: Mapping[str, str]) -> None:
        self.number = number
        self.cells = cells
        self.problems: list[Problem] = []

    def read(self, key: str, parse: Callable[[str], T], *, required: bool = False) -> T | None:
        text = self.cells.get(key, "")
        if not text:
            if required:
                self.problems.append(Problem(_("a value is required"), self.number, key))
            return None
        try:
            return parse(text)
        except BadValue as bad:
            self.problems.append(Problem(str(bad), self.number, key, text))
            return None


def parse_row(
    number: int, cells: Mapping[str, str], *, bare_date_is_midnight: bool = False
) -> tuple[ReadingRow | None, list[Problem]]:
    """One data row (cells by column key) as a `ReadingRow`, or None and its problems."""
    row = _Row(number, cells)
    meter_no = row.read("meter_no", str, required=True)
    read_at = row.read(
        "read_at", partial(parse_local_time, bare_date_is_midnight=bare_date_is_midnight), required=True
    )
    total = row.read("total", parse_register, required=True)
    tou = {key: row.read(key, parse_register) for key in TOU_KEYS}
    reactive = row.read("reactive", parse_decimal)
    demand = row.read("max_demand_kw", parse_decimal)
    meter_clock = row.read("meter_clock", parse_local_time)
    multiplier = row.read("multiplier", partial(parse_decimal, positive=True))
    source = row.read("source", parse_source) or "handheld"
    reader = row.read("reader", partial(parse_text, limit=READER_LIMIT))
    if row.problems or meter_no is None or read_at is None or total is None:
        return None, row.problems
    clean = ReadingRow(
        row=number,
        meter_no=meter_no,
        read_at=read_at,
        total=total,
        tou={key: value for key, value in tou.items() if value is not None},
        reactive=reactive,
        max_demand_kw=demand,
        meter_clock=meter_clock,
        multiplier=multiplier,
        source=source,
        reader=reader,
    )
    return clean, []


def check_duplicates(rows: Sequence[ReadingRow]) -> list[Problem]:
    """Two rows with the same meter and reading time: which one is right can't be told."""
    first: dict[tuple[str, datetime], int] = {}
    problems = []
    for row in rows:
        key = (row.meter_no, row.read_at)
        if key in first:
            reason = _("the same meter and reading time as row {row}").format(row=first[key])
            problems.append(Problem(reason, row.row, "read_at", row.read_at.isoformat(sep=" ")))
        else:
            first[key] = row.row
    return problems


def parse_reading_file(
    headers: Sequence[str], rows: Sequence[Numbered[Sequence[str]]], *, bare_date_is_midnight: bool = False
) -> ReadingFile:
    """Every clean row of a file and every problem; the caller refuses the file when there is any."""
    keys, problems = resolve_headers(headers)
    table, shape_problems = check_shape(keys, rows)
    problems += shape_problems
    labels = {key: header.strip() for key, header in zip(keys, headers, strict=True) if key}
    parsed: list[ReadingRow] = []
    if not any(c.required and c.key not in labels for c in READING_FILE_COLUMNS):
        for number, cells in table.rows:
            by_key = {key: cells[i] for i, key in enumerate(keys) if key}
            row, found = parse_row(number, by_key, bare_date_is_midnight=bare_date_is_midnight)
            problems += found
            if row is not None:
                parsed.append(row)
        problems += check_duplicates(parsed)
        if not table.rows:
            problems.append(Problem(_("the file has no data rows")))
    return ReadingFile(rows=parsed, problems=relabel(problems, labels), table=table, labels=labels)


def _number(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def fingerprint(rows: Sequence[ReadingRow]) -> str:
    """SHA-256 of the readings a file holds, whatever its format, encoding, header language, column
    or row order and number formatting (``250.00`` = ``250``); the reader's name is left out."""
    lines = sorted(
        "\x1f".join(
            (
                row.meter_no,
                row.read_at.isoformat(),
                _number(row.total),
                *(_number(row.tou.get(key)) for key in TOU_KEYS),
                _number(row.reactive),
                _number(row.max_demand_kw),
                row.meter_clock.isoformat() if row.meter_clock else "",
                _number(row.multiplier),
                row.source,
            )
        )
        for row in rows
    )
    digest = hashlib.sha256(FINGERPRINT_KIND)
    for line in lines:
        digest.update(("\x1e" + line).encode())
    return digest.hexdigest()
