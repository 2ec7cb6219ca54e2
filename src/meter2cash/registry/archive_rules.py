"""Rules of the archive files (档案导入校验), pure: text cells in, typed rows and problems out.

A file arrives as a `Table`: its rows of text cells under the column keys its headers name (see
`archive_columns`). `parse_table` reads it column by column — each column's cell rule (`Cell`)
turns text into a value, and every cell it cannot read becomes a `Problem` naming the row
(1 = first data row), the column and the reason — then assembles each clean row into a frozen,
typed row (`RouteBookRow`, `AreaRow`, `AccountRow`, `EnergySplitRow`). Small named checks then run
over each typed row (`ACCOUNT_CHECKS`, `AREA_CHECKS`, `SPLIT_CHECKS`: dates in order, readings that
fit the register, a storable multiplier, a coherent two-part contract), over the whole file
(`check_file`: duplicate keys, one customer with two names, 套扣 cycles, overlapping 定量定比 splits)
and, given what the archive already holds (`KnownArchive`), against the database (`plan_import`).
Problems are values (the Beancount habit); the caller refuses the whole file when there is any.

Formatting (`format_*`) is the inverse of parsing and is what export writes: an exported file
imports again unchanged, and canonical input comes back as the same text.

No database, no files, no clock: everything the rules need is passed in.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from functools import cached_property, partial
from typing import Any, TypeVar

from meter2cash.platform.errors import Problem
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.money import BadAmount, exact
from meter2cash.registry.archive_columns import COLUMNS_BY_KIND, Column
from meter2cash.registry.codes import (
    ZH_NAMES,
    CustomerCategory,
    PaymentMode,
    PowerFactorStandard,
    TouRegister,
    VoltageLevel,
)

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)
Numbered = tuple[int, T]  # (row number counted from 1 at the first data row, value)

KINDS: tuple[str, ...] = tuple(COLUMNS_BY_KIND)
STORED_PLACES = 4  # ExactDecimal(scale=4) in the model
STORED_INTEGER_DIGITS = 14  # NUMERIC(18, 4)
SUPPLY_INTEGER_DIGITS = 6  # DL/T 645-2007 energy format XXXXXX.XX, used for area supply meters
SUPPLY_DECIMAL_DIGITS = 2
AREA_SUPPLY_PREFIX = "AREA-"
BROADCAST_ADDRESSES = frozenset({"999999999999", "AAAAAAAAAAAA"})
TRUE_WORDS = frozenset({"yes", "是", "true", "1"})
FALSE_WORDS = frozenset({"no", "否", "false", "0"})
TOU_ORDER: tuple[TouRegister, ...] = tuple(TouRegister)
HIGH_VOLTAGES = frozenset({VoltageLevel.KV10, VoltageLevel.KV35, VoltageLevel.KV110, VoltageLevel.KV220})
# Columns added to a kind after its first release: they enter a file's fingerprint only when one of
# them is filled, so a file imported before they existed is still recognised as imported.
LATER_COLUMNS: dict[str, tuple[str, ...]] = {
    "accounts": (
        "basic_charge_by",
        "contract_demand_kw",
        "transformer_loss_kwh",
        "transformer_loss_kvarh",
        "line_loss_kwh",
        "master_account_no",
    ),
}
TOU_SEPARATORS = re.compile(r"[|,，、;；\s]+")
DATE_PATTERN = re.compile(
    r"^(\d{4})(?:[-/.](\d{1,2})[-/.](\d{1,2})|年(\d{1,2})月(\d{1,2})日)(?:[ T]0?0:00(?::00)?)?$"
)
HOST_PATTERN = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)$")
POWERS_OF_TEN = tuple(Decimal(10) ** n for n in range(STORED_INTEGER_DIGITS + 1))
QUANTA = tuple(Decimal(1).scaleb(-n) for n in range(STORED_PLACES + 1))


class BadValue(ValueError):
    """A cell that cannot be read; the message tells the clerk why."""


class BasicChargeBy(StrEnum):
    """基本电费计收方式 of a two-part (两部制, large industry) account (domain rules §2.3)."""

    CAPACITY = "capacity"  # 按容量, 元/kVA·月
    CONTRACT_DEMAND = "contract_demand"  # 按合同最大需量, 元/kW·月
    ACTUAL_DEMAND = "actual_demand"  # 按实际最大需量, 元/kW·月


BASIC_CHARGE_ZH: dict[str, str] = {
    "capacity": "按容量",
    "contract_demand": "按合同需量",
    "actual_demand": "按实际需量",
}


# ---------------------------------------------------------------- typed rows


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a meter's gateway listens: ``host:port``."""

    host: str
    port: int


@dataclass(frozen=True, slots=True)
class RouteBookRow:
    code: str
    name: str
    reading_day: int
    reader: str | None


@dataclass(frozen=True, slots=True)
class SupplyMeterRow:
    """A transformer area's supply-side meter (台区总表); its register is six plus two digits."""

    meter_no: str
    meter_address: str
    comm_endpoint: Endpoint | None
    ct_ratio: Decimal
    pt_ratio: Decimal
    installed_on: date
    start_total: Decimal


@dataclass(frozen=True, slots=True)
class AreaRow:
    code: str
    name: str
    capacity_kva: Decimal
    supply: SupplyMeterRow | None

    @property
    def supply_point(self) -> str:
        """The code of the area's supply service point."""
        return AREA_SUPPLY_PREFIX + self.code


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    name: str
    phone: str | None
    address: str | None


@dataclass(frozen=True, slots=True)
class AccountRow:
    """One row of an accounts file; its fields are the columns, in the columns' order."""

    account_no: str
    customer_code: str
    customer_name: str
    phone: str | None
    address: str | None
    category: CustomerCategory
    voltage_level: VoltageLevel
    contract_capacity_kva: Decimal
    pf_standard: PowerFactorStandard
    payment_mode: PaymentMode
    important: bool
    low_income: bool
    route_book: str
    transformer_area: str
    opened_on: date
    service_point: str
    meter_no: str
    meter_address: str
    comm_endpoint: Endpoint | None
    ct_ratio: Decimal
    pt_ratio: Decimal
    integer_digits: int
    decimal_digits: int
    tou_registers: tuple[TouRegister, ...]
    installed_on: date
    start_total: Decimal
    start_sharp: Decimal | None
    start_peak: Decimal | None
    start_flat: Decimal | None
    start_valley: Decimal | None
    tariff_code: str
    tariff_from: date
    basic_charge_by: BasicChargeBy = BasicChargeBy.CAPACITY
    contract_demand_kw: Decimal | None = None
    transformer_loss_kwh: Decimal | None = None
    transformer_loss_kvarh: Decimal | None = None
    line_loss_kwh: Decimal | None = None
    master_account_no: str | None = None

    @property
    def customer(self) -> CustomerFacts:
        return CustomerFacts(self.customer_name, self.phone, self.address)


@dataclass(frozen=True, slots=True)
class EnergySplitRow:
    """定量定比: a fixed kWh (``kwh``) or a share (``ratio``) of an account's energy priced at
    ``tariff_code`` for ``[effective_from, effective_to)``."""

    account_no: str
    tariff_code: str
    kwh: Decimal | None
    ratio: Decimal | None
    effective_from: date
    effective_to: date | None

    @property
    def key(self) -> str:
        """What names a split in the archive: its account, tariff and first day."""
        return f"{self.account_no}|{self.tariff_code}|{self.effective_from.isoformat()}"

    def overlaps(self, other: EnergySplitRow) -> bool:
        """Both periods share a day (an empty ``effective_to`` is open-ended)."""
        return (other.effective_to is None or self.effective_from < other.effective_to) and (
            self.effective_to is None or other.effective_from < self.effective_to
        )

    def active_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day < self.effective_to)


ArchiveRow = RouteBookRow | AreaRow | AccountRow | EnergySplitRow


# ---------------------------------------------------------------- cell values


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a clerk sees: ``5.0`` → ``"5"``, a date → ISO, blanks stripped.

    Floats are shown to 15 significant digits as Excel shows them, so binary noise never reaches an
    amount; amounts are parsed from this text as decimals.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer():
            return str(int(value))
        text = format(value, ".15g")
        return format(Decimal(text), "f") if "e" in text else text
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        if value.time() == time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()


def fits_places(value: Decimal, places: int) -> bool:
    """``value`` (below 10¹⁴) needs at most ``places`` decimals."""
    return value == value.quantize(QUANTA[places])


def parse_decimal(
    text: str,
    *,
    positive: bool = False,
    places: int = STORED_PLACES,
    integer_digits: int = STORED_INTEGER_DIGITS,
    ratio: bool = False,
) -> Decimal:
    """A non-negative decimal (strictly positive when ``positive``) with at most ``places`` decimals.

    Thousands separators are allowed (``1,250``). With ``ratio``, ``200/5`` is read as 40: CT ratios
    are often written that way.
    """
    try:
        if ratio and "/" in text:
            top, _slash, bottom = text.partition("/")
            divisor = exact(bottom)
            if divisor == 0:
                raise BadValue(_("is not a number"))
            value = exact(top) / divisor
        else:
            value = exact(text)
    except BadAmount:
        raise BadValue(_("is not a number")) from None
    if value < 0:
        raise BadValue(_("must not be negative"))
    if positive and value == 0:
        raise BadValue(_("must be greater than 0"))
    if value >= POWERS_OF_TEN[integer_digits]:
        raise BadValue(_("is too large (at most {digits} integer digits)").format(digits=integer_digits))
    if not fits_places(value, places):
        raise BadValue(_("has too many decimals (at most {places})").format(places=places))
    return value


def parse_int(text: str, *, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high``; ``5.0`` is read as 5."""
    try:
        number = int(text)
    except ValueError:
        try:
            value = exact(text)
        except BadAmount:
            raise BadValue(_("is not a whole number")) from None
        if value != value.to_integral_value():
            raise BadValue(_("is not a whole number")) from None
        number = int(value)
    if not low <= number <= high:
        raise BadValue(_("must be between {low} and {high}").format(low=low, high=high))
    return number


def parse_date(text: str) -> date:
    """A calendar date: ``2025-03-05`` (also ``2025/3/5``, ``2025.3.5``, ``2025年3月5日``)."""
    match = DATE_PATTERN.match(text)
    if match is None:
        raise BadValue(_("is not a date; write it as YYYY-MM-DD"))
    year, month, day = match.group(1), match.group(2) or match.group(4), match.group(3) or match.group(5)
    try:
        value = date(int(year), int(month), int(day))
    except ValueError:
        raise BadValue(_("is not a real calendar date")) from None
    if not 1900 <= value.year <= 2099:
        raise BadValue(_("year must be between 1900 and 2099"))
    return value


def parse_flag(text: str) -> bool:
    """yes/no, 是/否, true/false, 1/0 (any letter case)."""
    word = text.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise BadValue(_("must be yes/no (是/否, true/false, 1/0)"))


def _code_lookup(enum: type[E]) -> dict[str, E]:
    lookup: dict[str, E] = {}
    for member in enum:
        lookup[member.value.lower()] = member
        if member.value in ZH_NAMES:
            lookup[ZH_NAMES[member.value]] = member
    return lookup


_CATEGORIES = _code_lookup(CustomerCategory)
_PAYMENT_MODES = _code_lookup(PaymentMode)
_VOLTAGES = _code_lookup(VoltageLevel)
_TOU = _code_lookup(TouRegister)
_PF_WORDS = {"none": PowerFactorStandard.NONE, "无": PowerFactorStandard.NONE}
_PF_VALUES = {Decimal(m.value): m for m in PowerFactorStandard if m is not PowerFactorStandard.NONE}


def _unknown_code(enum: Iterable[StrEnum]) -> BadValue:
    return BadValue(_("unknown code; use one of: {codes}").format(codes=" | ".join(m.value for m in enum)))


def _parse_code(text: str, lookup: Mapping[str, E], enum: type[E]) -> E:
    member = lookup.get(text.lower().replace(" ", ""))
    if member is None:
        raise _unknown_code(enum)
    return member


def parse_category(text: str) -> CustomerCategory:
    """residential | general | large_industry | agriculture, or the Chinese name (居民生活 …)."""
    return _parse_code(text, _CATEGORIES, CustomerCategory)


def parse_payment_mode(text: str) -> PaymentMode:
    """postpaid | smart_prepaid | card_prepaid, or the Chinese name (后付费 …)."""
    return _parse_code(text, _PAYMENT_MODES, PaymentMode)


def parse_voltage_level(text: str) -> VoltageLevel:
    """220V | 380V | 10kV | 35kV | 110kV | 220kV, in any letter case."""
    return _parse_code(text, _VOLTAGES, VoltageLevel)


def parse_pf_standard(text: str) -> PowerFactorStandard:
    """0.90 | 0.85 | 0.80 | none (无); ``0.9``, as Excel shows 0.90, is 0.90."""
    member = _PF_WORDS.get(text.lower())
    if member is None:
        try:
            member = _PF_VALUES.get(exact(text))
        except BadAmount:
            member = None
    if member is None:
        raise _unknown_code(PowerFactorStandard)
    return member


_BASIC_CHARGE = {
    **_code_lookup(BasicChargeBy),
    **{zh: BasicChargeBy(code) for code, zh in BASIC_CHARGE_ZH.items()},
}


def parse_basic_charge_by(text: str) -> BasicChargeBy:
    """capacity | contract_demand | actual_demand, or 按容量 / 按合同需量 / 按实际需量."""
    return _parse_code(text, _BASIC_CHARGE, BasicChargeBy)


def parse_share(text: str) -> Decimal:
    """A share of the energy, more than 0 and at most 1: ``0.15``, or ``15%``."""
    if text.endswith(("%", "％")):
        value = parse_decimal(text[:-1].strip(), positive=True, places=STORED_PLACES - 2) / 100
    else:
        value = parse_decimal(text, positive=True)
    if value > 1:
        raise BadValue(_("must be at most 1 (a share of the energy: 0.15 = 15 %)"))
    return value


def parse_tou_registers(text: str) -> tuple[TouRegister, ...]:
    """Time-of-use registers such as ``sharp|peak|flat|valley`` (or 尖|峰|平|谷), kept in that order."""
    found: set[TouRegister] = set()
    for token in TOU_SEPARATORS.split(text):
        if not token:
            continue
        member = _TOU.get(token.lower())
        if member is None:
            raise BadValue(
                _("unknown register {name}; use sharp|peak|flat|valley (尖|峰|平|谷)").format(name=token)
            )
        if member in found:
            raise BadValue(_("register {name} is listed twice").format(name=token))
        found.add(member)
    return tuple(m for m in TOU_ORDER if m in found)


def parse_address(text: str) -> str:
    """A DL/T 645 communication address: exactly 12 digits, not the broadcast address."""
    if len(text) != 12 or not (text.isdigit() and text.isascii()):
        if text.isdigit() and len(text) < 12:
            raise BadValue(
                _(
                    "must be 12 digits, got {count}; Excel drops leading zeros unless the column is text"
                ).format(count=len(text))
            )
        raise BadValue(_("must be exactly 12 digits 0-9 (DL/T 645 address)"))
    if text in BROADCAST_ADDRESSES:
        raise BadValue(_("is the DL/T 645 broadcast address, not a meter's address"))
    return text


def parse_endpoint(text: str) -> Endpoint:
    """``host:port`` with a port from 1 to 65535 (an IPv6 host in brackets: ``[fd00::1]:8001``)."""
    host, colon, port = text.rpartition(":")
    if not colon or not host or len(host) > 100 or not HOST_PATTERN.match(host):
        raise BadValue(_("must be host:port, e.g. 10.0.0.5:8001"))
    if not (port.isdigit() and port.isascii()) or not 1 <= int(port) <= 65535:
        raise BadValue(_("port must be a number from 1 to 65535"))
    return Endpoint(host.strip("[]"), int(port))


def parse_text(text: str, *, limit: int) -> str:
    """Free text up to ``limit`` characters, not starting like a spreadsheet formula."""
    if len(text) > limit:
        raise BadValue(_("is too long (at most {limit} characters)").format(limit=limit))
    if text.startswith("="):
        raise BadValue(_("starts with '=' like a spreadsheet formula"))
    return text


# ---------------------------------------------------------------- how each column is read


@dataclass(frozen=True, slots=True)
class Cell:
    """How one column is read: its parser, and its value when the cell is empty and optional.

    ``repeats`` marks columns whose texts repeat down the file (codes, dates, ratios): each
    distinct text is parsed once.
    """

    parse: Callable[[str], Any]
    default: Any = None
    repeats: bool = True
    limit: int | None = None  # free text of at most this many characters


def _text(limit: int, *, repeats: bool = False) -> Cell:
    return Cell(partial(parse_text, limit=limit), repeats=repeats, limit=limit)


_READING = Cell(partial(parse_decimal, integer_digits=8), repeats=False)
_RATIO = Cell(partial(parse_decimal, positive=True, ratio=True))
_DATE = Cell(parse_date)

CELLS: dict[str, dict[str, Cell]] = {
    "route-books": {
        "code": _text(32),
        "name": _text(200),
        "reading_day": Cell(partial(parse_int, low=1, high=28)),
        "reader": _text(64),
    },
    "areas": {
        "code": _text(32),
        "name": _text(200),
        "capacity_kva": Cell(partial(parse_decimal, positive=True)),
        "supply_meter_no": _text(32),
        "supply_meter_address": Cell(parse_address, repeats=False),
        "supply_comm_endpoint": Cell(parse_endpoint),
        "supply_ct_ratio": Cell(_RATIO.parse, default=Decimal(1)),
        "supply_pt_ratio": Cell(_RATIO.parse, default=Decimal(1)),
        "supply_installed_on": _DATE,
        "supply_start_total": Cell(
            partial(parse_decimal, integer_digits=SUPPLY_INTEGER_DIGITS), repeats=False
        ),
    },
    "accounts": {
        "account_no": _text(32),
        "customer_code": _text(32),
        "customer_name": _text(200),
        "phone": _text(40),
        "address": _text(300),
        "category": Cell(parse_category),
        "voltage_level": Cell(parse_voltage_level),
        "contract_capacity_kva": Cell(parse_decimal),
        "pf_standard": Cell(parse_pf_standard),
        "payment_mode": Cell(parse_payment_mode),
        "important": Cell(parse_flag, default=False),
        "low_income": Cell(parse_flag, default=False),
        "route_book": _text(32, repeats=True),
        "transformer_area": _text(32, repeats=True),
        "opened_on": _DATE,
        "service_point": _text(40),
        "meter_no": _text(32),
        "meter_address": Cell(parse_address, repeats=False),
        "comm_endpoint": Cell(parse_endpoint),
        "ct_ratio": _RATIO,
        "pt_ratio": _RATIO,
        "integer_digits": Cell(partial(parse_int, low=4, high=8)),
        "decimal_digits": Cell(partial(parse_int, low=0, high=4)),
        "tou_registers": Cell(parse_tou_registers, default=()),
        "installed_on": _DATE,
        "start_total": _READING,
        "start_sharp": _READING,
        "start_peak": _READING,
        "start_flat": _READING,
        "start_valley": _READING,
        "tariff_code": _text(40),
        "tariff_from": _DATE,
        "basic_charge_by": Cell(parse_basic_charge_by, default=BasicChargeBy.CAPACITY),
        "contract_demand_kw": Cell(partial(parse_decimal, positive=True)),
        "transformer_loss_kwh": Cell(parse_decimal),
        "transformer_loss_kvarh": Cell(parse_decimal),
        "line_loss_kwh": Cell(parse_decimal),
        "master_account_no": _text(32),
    },
    "energy-splits": {
        "account_no": _text(32, repeats=True),
        "tariff_code": _text(40, repeats=True),
        "kwh": Cell(partial(parse_decimal, positive=True)),
        "ratio": Cell(parse_share),
        "effective_from": _DATE,
        "effective_to": _DATE,
    },
}
ROW_TYPES: dict[str, Callable[..., ArchiveRow]] = {
    "route-books": RouteBookRow,
    "accounts": AccountRow,
    "energy-splits": EnergySplitRow,
}
SUPPLY_KEYS = (
    "supply_meter_address",
    "supply_comm_endpoint",
    "supply_ct_ratio",
    "supply_pt_ratio",
    "supply_installed_on",
    "supply_start_total",
)
SUPPLY_REQUIRED = ("supply_meter_address", "supply_installed_on", "supply_start_total")


# ---------------------------------------------------------------- a file's headers and rows


@dataclass(frozen=True)
class Table:
    """Data rows of text cells under column keys (None: a column without header).

    Every row is padded to one cell more than there are keys, so a column the file lacks reads
    as empty cells.
    """

    keys: tuple[str | None, ...]
    rows: list[Numbered[tuple[str, ...]]]

    def index(self, key: str) -> int:
        return self.keys.index(key) if key in self.keys else len(self.keys)

    @cached_property
    def _columns(self) -> list[tuple[str, ...]]:
        return list(zip(*(cells for _, cells in self.rows), strict=True)) if self.rows else []

    def column(self, key: str) -> Sequence[str]:
        return self._columns[self.index(key)] if self.rows else ()

    @cached_property
    def numbers(self) -> list[int]:
        return [number for number, _ in self.rows]


def _header_lookup(columns: Sequence[Column]) -> dict[str, str]:
    lookup = {c.key.lower(): c.key for c in columns}
    lookup.update({c.zh.lower(): c.key for c in columns})
    return lookup


def header_key(kind: str, header: str) -> str | None:
    """The column key a header names: the English key or the Chinese header, in any letter case."""
    return _header_lookup(COLUMNS_BY_KIND[kind]).get(header.strip().lower())


def check_kind(kind: str) -> list[Problem]:
    if kind in COLUMNS_BY_KIND:
        return []
    reason = _("unknown kind of archive file; use one of: {kinds}").format(kinds=" | ".join(KINDS))
    return [Problem(reason, value=kind)]


def resolve_headers(kind: str, headers: Sequence[str]) -> tuple[tuple[str | None, ...], list[Problem]]:
    """The key of each header (None for an empty one) and the problems: unknown, doubled, missing."""
    columns = COLUMNS_BY_KIND[kind]
    lookup = _header_lookup(columns)
    keys: list[str | None] = []
    problems = []
    seen: dict[str, str] = {}
    for header in headers:
        text = header.strip()
        key = lookup.get(text.lower()) if text else None
        if text and key is None:
            problems.append(Problem(_("unknown column for a {kind} file").format(kind=kind), column=text))
        elif key is not None and key in seen:
            problems.append(
                Problem(_("column given twice (also as {other})").format(other=seen[key]), column=text)
            )
            key = None
        elif key is not None:
            seen[key] = text
        keys.append(key)
    for column in columns:
        if column.required and column.key not in seen:
            reason = _("required column is missing: add a column headed {zh} or {key}")
            problems.append(Problem(reason.format(zh=column.zh, key=column.key), column=column.key))
    return tuple(keys), problems


def infer_kind(headers: Sequence[str]) -> str | None:
    """The one kind of file these headers fit, or None when it is not clear."""
    named = [h for h in headers if h.strip()]
    fitting = [k for k in KINDS if named and all(header_key(k, h) for h in named)]
    if len(fitting) > 1:
        fitting = [k for k in fitting if not resolve_headers(k, named)[1]]
    return fitting[0] if len(fitting) == 1 else None


def check_shape(
    keys: Sequence[str | None], rows: Iterable[Numbered[Sequence[str]]]
) -> tuple[Table, list[Problem]]:
    """The rows as a `Table`, blank rows left out (their numbers are kept), and problems: cells past
    the last header, or under an empty header."""
    width = len(keys)
    unnamed = [i for i, key in enumerate(keys) if key is None]
    kept: list[Numbered[tuple[str, ...]]] = []
    problems = []
    for number, cells in rows:
        if not any(cells):
            continue
        if len(cells) > width and any(cells[width:]):
            problems.append(Problem(_("has more cells than the header row has columns"), number))
        for index in unnamed:
            if index < len(cells) and cells[index]:
                problems.append(
                    Problem(
                        _("a value under a column without a header"), number, f"#{index + 1}", cells[index]
                    )
                )
        padded = tuple(cells[:width]) + ("",) * (width + 1 - min(len(cells), width))
        kept.append((number, padded))
    return Table(tuple(keys), kept), problems


def _read_clean_column(cell: Cell, texts: Sequence[str], *, required: bool) -> list[Any] | None:
    """The column's values if every cell is readable (and filled, when required); else None, and
    `read_column` goes through it cell by cell to name each problem."""
    if required and not all(texts):
        return None
    parse, default = cell.parse, cell.default
    try:
        if cell.limit is not None:
            if max(map(len, texts), default=0) > cell.limit or "\n=" in "\n" + "\n".join(texts):
                return None  # too long, or looks like a formula (or a line inside a cell does)
            return list(texts) if required else [t or default for t in texts]
        if cell.repeats:
            values = {text: parse(text) if text else default for text in set(texts)}
            return [values[text] for text in texts]
        return [parse(text) if text else default for text in texts]
    except BadValue:
        return None


def read_column(
    key: str,
    cell: Cell,
    *,
    texts: Sequence[str],
    numbers: Sequence[int],
    required: bool,
    problems: list[Problem],
) -> list[Any]:
    """Parse one column; every empty required or unreadable cell adds a problem."""
    clean = _read_clean_column(cell, texts, required=required)
    if clean is not None:
        return clean
    parsed: dict[str, Any] = {}
    refused: dict[str, str] = {}
    values: list[Any] = []
    for number, text in zip(numbers, texts, strict=True):
        if not text:
            if required:
                problems.append(Problem(_("a value is required"), number, key))
            values.append(cell.default)
        elif text in parsed:
            values.append(parsed[text])
        elif text in refused:
            problems.append(Problem(refused[text], number, key, text))
            values.append(None)
        else:
            try:
                parsed[text] = cell.parse(text)
            except BadValue as bad:
                refused[text] = str(bad)
                problems.append(Problem(refused[text], number, key, text))
                values.append(None)
                continue
            values.append(parsed[text])
    return values


def _read_columns(kind: str, table: Table, problems: list[Problem]) -> dict[str, list[Any]]:
    numbers = table.numbers
    return {
        column.key: read_column(
            column.key,
            CELLS[kind][column.key],
            texts=table.column(column.key),
            numbers=numbers,
            required=column.required,
            problems=problems,
        )
        for column in COLUMNS_BY_KIND[kind]
    }


def _area_rows(table: Table, problems: list[Problem]) -> list[Numbered[ArchiveRow]]:
    """Areas; the supply meter's columns are required together, and only with its number."""
    values = _read_columns("areas", table, problems)
    bad = {p.row for p in problems}
    at = {key: table.index(key) for key in ("supply_meter_no", *SUPPLY_KEYS)}
    rows: list[Numbered[ArchiveRow]] = []
    for index, (number, texts) in enumerate(table.rows):
        cell = {key: column[index] for key, column in values.items()}
        if texts[at["supply_meter_no"]]:
            found = [
                Problem(_("a value is required when supply_meter_no (总表表号) is given"), number, key)
                for key in SUPPLY_REQUIRED
                if not texts[at[key]]
            ]
        else:
            found = [
                Problem(_("is given but supply_meter_no (总表表号) is empty"), number, key, texts[at[key]])
                for key in SUPPLY_KEYS
                if texts[at[key]]
            ]
        problems += found
        if found or number in bad:
            continue
        supply = None
        if cell["supply_meter_no"] is not None:
            supply = SupplyMeterRow(
                cell["supply_meter_no"],
                cell["supply_meter_address"],
                cell["supply_comm_endpoint"],
                cell["supply_ct_ratio"],
                cell["supply_pt_ratio"],
                cell["supply_installed_on"],
                cell["supply_start_total"],
            )
        rows.append((number, AreaRow(cell["code"], cell["name"], cell["capacity_kva"], supply)))
    return rows


def parse_table(kind: str, table: Table) -> tuple[list[Numbered[ArchiveRow]], list[Problem]]:
    """Every row parsed and checked, and the whole file checked; all problems, in row order."""
    problems: list[Problem] = []
    if not table.rows:
        problems.append(Problem(_("the file has no data rows")))
    rows: list[Numbered[ArchiveRow]]
    if kind == "areas":
        rows = _area_rows(table, problems)
    else:
        make = ROW_TYPES[kind]
        columns = _read_columns(kind, table, problems)
        bad = {p.row for p in problems}
        rows = [
            (number, make(*values))
            for number, *values in zip(table.numbers, *columns.values(), strict=True)
            if number not in bad
        ]
    for number, row in rows:
        problems += check_row(row, number)
    problems += check_file(kind, rows)
    problems = in_file_order(kind, problems)
    bad = {p.row for p in problems}
    return [(number, row) for number, row in rows if number not in bad], problems


def in_file_order(kind: str, problems: Iterable[Problem]) -> list[Problem]:
    """Problems by row, then by column in the file's column order (file-wide ones first)."""
    order = {c.key: i for i, c in enumerate(COLUMNS_BY_KIND[kind])}
    return sorted(problems, key=lambda p: (p.row or 0, order.get(p.column or "", len(order))))


def parse_row(
    kind: str, cells: Mapping[str, str], *, row: int = 1
) -> tuple[ArchiveRow | None, list[Problem]]:
    """One row given as ``{column key: text}``, parsed and checked like a file of one row."""
    keys = tuple(cells)
    table = Table(keys, [(row, (*cells.values(), ""))])
    parsed, problems = parse_table(kind, table)
    return (parsed[0][1] if parsed else None), problems


def fingerprint(kind: str, table: Table) -> str:
    """SHA-256 of the content: the kind, and each row's cells in the columns' order.

    The same rows give the same fingerprint whatever the file format, encoding, header language or
    column order, so importing them again is recognised.
    """
    later = LATER_COLUMNS.get(kind, ())
    first = [table.index(c.key) for c in COLUMNS_BY_KIND[kind] if c.key not in later]
    added = [table.index(key) for key in later]
    digest = hashlib.sha256(kind.encode())
    for _number, cells in table.rows:
        picked = [cells[i] for i in first]
        extra = [cells[i] for i in added]
        if any(extra):  # the later columns count only when filled (see LATER_COLUMNS)
            picked += extra
        digest.update(("\x1e" + "\x1f".join(picked)).encode())
    return digest.hexdigest()


def relabel(problems: Iterable[Problem], labels: Mapping[str, str]) -> list[Problem]:
    """Name columns as the file's own headers do (Chinese or English)."""
    return [
        Problem(p.reason, p.row, labels.get(p.column, p.column), p.value) if p.column else p for p in problems
    ]


# ---------------------------------------------------------------- checks on one typed row


def _fits_register(value: Decimal, *, integer_digits: int, decimal_digits: int) -> str | None:
    if value >= POWERS_OF_TEN[integer_digits]:
        return _("has more integer digits than the register holds ({digits})").format(digits=integer_digits)
    if not fits_places(value, decimal_digits):
        return _("has more decimals than the register shows ({digits})").format(digits=decimal_digits)
    return None


def check_account_dates(row: AccountRow, number: int) -> list[Problem]:
    """The meter is installed, and the tariff applies, no earlier than the account opened."""
    if row.installed_on >= row.opened_on and row.tariff_from >= row.opened_on:
        return []
    reason = _("is before opened_on (立户日期) {day}").format(day=row.opened_on)
    return [
        Problem(reason, number, column, day.isoformat())
        for column, day in (("installed_on", row.installed_on), ("tariff_from", row.tariff_from))
        if day < row.opened_on
    ]


def check_start_readings(row: AccountRow, number: int) -> list[Problem]:
    """Each start reading fits the register's digits, and there is one exactly for each time-of-use
    register the meter keeps (besides the total)."""
    problems = []
    readings = (
        ("start_total", row.start_total, True),
        ("start_sharp", row.start_sharp, TouRegister.SHARP),
        ("start_peak", row.start_peak, TouRegister.PEAK),
        ("start_flat", row.start_flat, TouRegister.FLAT),
        ("start_valley", row.start_valley, TouRegister.VALLEY),
    )
    for column, value, register in readings:
        kept = register is True or register in row.tou_registers
        if value is None:
            if kept:
                problems.append(
                    Problem(_("a value is required: the meter keeps this register"), number, column)
                )
        elif not kept:
            reason = _("is given but tou_registers (分时寄存器) does not list this register")
            problems.append(Problem(reason, number, column, format_decimal(value)))
        else:
            misfit = _fits_register(
                value, integer_digits=row.integer_digits, decimal_digits=row.decimal_digits
            )
            if misfit:
                problems.append(Problem(misfit, number, column, format_decimal(value)))
    return problems


def _check_multiplier(ct: Decimal, pt: Decimal, number: int, column: str) -> list[Problem]:
    multiplier = ct * pt
    if multiplier < POWERS_OF_TEN[STORED_INTEGER_DIGITS] and fits_places(multiplier, STORED_PLACES):
        return []
    reason = _("CT ratio × PT ratio = {value} cannot be stored as a multiplier (4 decimals at most)")
    return [Problem(reason.format(value=format_decimal(multiplier)), number, column, format_decimal(ct))]


def check_multiplier(row: AccountRow, number: int) -> list[Problem]:
    """The multiplier (倍率 = CT ratio × PT ratio) can be stored: at most four decimals."""
    return _check_multiplier(row.ct_ratio, row.pt_ratio, number, "ct_ratio")


def check_supply_meter(row: AreaRow, number: int) -> list[Problem]:
    """The supply meter's start reading fits its six-plus-two-digit register; its multiplier is storable."""
    if row.supply is None:
        return []
    problems = _check_multiplier(row.supply.ct_ratio, row.supply.pt_ratio, number, "supply_ct_ratio")
    reason = _fits_register(
        row.supply.start_total, integer_digits=SUPPLY_INTEGER_DIGITS, decimal_digits=SUPPLY_DECIMAL_DIGITS
    )
    if reason:
        problems.append(Problem(reason, number, "supply_start_total", format_decimal(row.supply.start_total)))
    return problems


def check_two_part(row: AccountRow, number: int) -> list[Problem]:
    """Only large industry (大工业) pays a basic charge, so only it may choose a demand method; the
    contract demand (合同最大需量) is given exactly when the basic charge is billed on it."""
    problems = []
    by_demand = row.basic_charge_by is not BasicChargeBy.CAPACITY
    if by_demand and row.category is not CustomerCategory.LARGE_INDUSTRY:
        reason = _(
            "only large_industry (大工业) accounts pay a basic charge (两部制); "
            "use capacity or leave it empty"
        )
        problems.append(Problem(reason, number, "basic_charge_by", row.basic_charge_by.value))
    if row.basic_charge_by is BasicChargeBy.CONTRACT_DEMAND:
        if row.contract_demand_kw is None:
            reason = _("a value is required when basic_charge_by (基本电费计收方式) is contract_demand")
            problems.append(Problem(reason, number, "contract_demand_kw"))
    elif row.contract_demand_kw is not None:
        reason = _("is given but basic_charge_by (基本电费计收方式) is not contract_demand")
        problems.append(Problem(reason, number, "contract_demand_kw", format_decimal(row.contract_demand_kw)))
    return problems


def check_losses(row: AccountRow, number: int) -> list[Problem]:
    """Transformer losses (变损) are borne by a customer supplied at 10 kV or above and metered on
    the low side (高供低计); a reactive loss comes with an active one."""
    problems = []
    losses = (
        ("transformer_loss_kwh", row.transformer_loss_kwh),
        ("transformer_loss_kvarh", row.transformer_loss_kvarh),
    )
    if row.voltage_level not in HIGH_VOLTAGES:
        reason = _("transformer losses (变损) apply only to accounts supplied at 10 kV or above (高供低计)")
        problems += [
            Problem(reason, number, column, format_decimal(value))
            for column, value in losses
            if value is not None
        ]
    if row.transformer_loss_kvarh is not None and row.transformer_loss_kwh is None:
        reason = _("is given but transformer_loss_kwh (月变损kWh) is empty")
        problems.append(
            Problem(reason, number, "transformer_loss_kvarh", format_decimal(row.transformer_loss_kvarh))
        )
    return problems


def check_master_account(row: AccountRow, number: int) -> list[Problem]:
    """An account is not its own master meter (套扣)."""
    if row.master_account_no != row.account_no:
        return []
    reason = _("is the account itself; the master account (总表户号) must be another account")
    return [Problem(reason, number, "master_account_no", row.master_account_no)]


def check_split_amount(row: EnergySplitRow, number: int) -> list[Problem]:
    """A split is either a fixed kWh (定量) or a share (定比), not both and not neither."""
    if row.kwh is None and row.ratio is None:
        return [Problem(_("give either kwh (定量kWh) or ratio (定比)"), number, "kwh")]
    if row.kwh is not None and row.ratio is not None:
        reason = _("give kwh (定量kWh) or ratio (定比), not both")
        return [Problem(reason, number, "ratio", format_decimal(row.ratio))]
    return []


def check_split_period(row: EnergySplitRow, number: int) -> list[Problem]:
    """A split ends after it starts."""
    if row.effective_to is None or row.effective_to > row.effective_from:
        return []
    reason = _("must be after effective_from (生效日期) {day}").format(day=row.effective_from)
    return [Problem(reason, number, "effective_to", row.effective_to.isoformat())]


ACCOUNT_CHECKS: tuple[Callable[[AccountRow, int], list[Problem]], ...] = (
    check_account_dates,
    check_start_readings,
    check_multiplier,
    check_two_part,
    check_losses,
    check_master_account,
)
AREA_CHECKS: tuple[Callable[[AreaRow, int], list[Problem]], ...] = (check_supply_meter,)
SPLIT_CHECKS: tuple[Callable[[EnergySplitRow, int], list[Problem]], ...] = (
    check_split_amount,
    check_split_period,
)


def check_row(row: ArchiveRow, number: int) -> list[Problem]:
    """Every check of one parsed row."""
    if isinstance(row, AccountRow):
        return [problem for check in ACCOUNT_CHECKS for problem in check(row, number)]
    if isinstance(row, AreaRow):
        return [problem for check in AREA_CHECKS for problem in check(row, number)]
    if isinstance(row, EnergySplitRow):
        return [problem for check in SPLIT_CHECKS for problem in check(row, number)]
    return []


# ---------------------------------------------------------------- checks over the whole file


def check_unique(values: Iterable[tuple[int, str | None]], *, column: str) -> list[Problem]:
    """No two rows of the file share a value of ``column``."""
    first_row: dict[str, int] = {}
    problems = []
    for number, value in values:
        if value is None:
            continue
        earlier = first_row.setdefault(value, number)
        if earlier != number:
            reason = _("duplicate: already used on row {row}").format(row=earlier)
            problems.append(Problem(reason, number, column, value))
    return problems


def customer_differences(
    row: AccountRow, facts: CustomerFacts, number: int, reason: Callable[..., str]
) -> list[Problem]:
    """One problem per customer column where ``row`` differs from ``facts``."""
    pairs = (
        ("customer_name", row.customer_name, facts.name),
        ("phone", row.phone, facts.phone),
        ("address", row.address, facts.address),
    )
    return [
        Problem(reason(value=theirs or _("(empty)")), number, column, mine)
        for column, mine, theirs in pairs
        if mine != theirs
    ]


def check_customers_agree(rows: Sequence[Numbered[AccountRow]]) -> list[Problem]:
    """A customer code repeated on several rows has the same name, phone and address on each."""
    first: dict[str, Numbered[tuple[str, str | None, str | None]]] = {}
    problems = []
    for number, row in rows:
        facts = (row.customer_name, row.phone, row.address)
        earlier, first_facts = first.setdefault(row.customer_code, (number, facts))
        if first_facts != facts:
            template = _("customer {code} is given on row {row} with {value}")
            problems += customer_differences(
                row,
                CustomerFacts(*first_facts),
                number,
                partial(template.format, code=row.customer_code, row=earlier),
            )
    return problems


def check_master_cycles(rows: Sequence[Numbered[AccountRow]]) -> list[Problem]:
    """Master accounts (套扣) named in the file do not lead back to the account: A's master is B,
    B's master is A (or a longer loop). Every row on a loop is named; an account that is its own
    master is `check_master_account`'s."""
    master_of = {
        row.account_no: row.master_account_no
        for _, row in rows
        if row.master_account_no and row.master_account_no != row.account_no
    }
    problems = []
    for number, row in rows:
        path = [row.account_no]
        current = master_of.get(row.account_no)
        while current is not None and current not in path and len(path) <= len(master_of):
            path.append(current)
            current = master_of.get(current)
        if current == row.account_no:
            reason = _("master accounts (总表户号) form a cycle: {path}").format(
                path=" → ".join([*path, row.account_no])
            )
            problems.append(Problem(reason, number, "master_account_no", row.master_account_no))
    return problems


def check_split_overlaps(rows: Sequence[Numbered[EnergySplitRow]]) -> list[Problem]:
    """Two splits of one account at one tariff do not overlap in time (the same first day is a
    duplicate, named by `check_unique`)."""
    by_pair: dict[tuple[str, str], list[Numbered[EnergySplitRow]]] = {}
    problems = []
    for number, row in rows:
        earlier = by_pair.setdefault((row.account_no, row.tariff_code), [])
        for other_number, other in earlier:
            if other.effective_from != row.effective_from and row.overlaps(other):
                reason = _("overlaps the split on row {row} (same account and tariff)").format(
                    row=other_number
                )
                problems.append(Problem(reason, number, "effective_from", row.effective_from.isoformat()))
                break
        earlier.append((number, row))
    return problems


def ratio_overloads(
    splits: Iterable[tuple[int | None, EnergySplitRow]],
) -> list[tuple[int | None, EnergySplitRow, date, Decimal]]:
    """The splits in force on a day when one account's shares (定比) add up to more than 1:
    (row number or None for an archived split, the split, the first such day, the total)."""
    by_account: dict[str, list[tuple[int | None, EnergySplitRow]]] = {}
    for number, split in splits:
        if split.ratio is not None:
            by_account.setdefault(split.account_no, []).append((number, split))
    found = []
    for shares in by_account.values():
        named: set[int] = set()
        for day in sorted({split.effective_from for _number, split in shares}):
            active = [(n, s) for n, s in shares if s.active_on(day)]
            total = sum((s.ratio or Decimal(0) for _, s in active), Decimal(0))
            if total <= 1:
                continue
            for number, split in active:
                if id(split) not in named:
                    named.add(id(split))
                    found.append((number, split, day, total))
    return found


def _overload_problems(
    overloads: Iterable[tuple[int | None, EnergySplitRow, date, Decimal]],
) -> list[Problem]:
    template = _("the ratios (定比) of account {account} add up to {total} on {day}; at most 1")
    return [
        Problem(
            template.format(account=split.account_no, total=format_decimal(total), day=day),
            number,
            "ratio",
            format_decimal(split.ratio or Decimal(0)),
        )
        for number, split, day, total in overloads
        if number is not None
    ]


def check_file(kind: str, rows: Sequence[Numbered[ArchiveRow]]) -> list[Problem]:
    """Every whole-file check of ``kind``: keys unique within the file; customers that agree; no
    loops of master accounts; splits that neither overlap nor share out more than the energy."""
    splits = [(n, r) for n, r in rows if isinstance(r, EnergySplitRow)]
    if splits:
        return (
            [
                Problem(p.reason, p.row, p.column, p.value.rsplit("|", 1)[-1] if p.value else None)
                for p in check_unique([(n, r.key) for n, r in splits], column="effective_from")
            ]
            + check_split_overlaps(splits)
            + _overload_problems(ratio_overloads(splits))
        )
    accounts = [(n, r) for n, r in rows if isinstance(r, AccountRow)]
    areas = [(n, r) for n, r in rows if isinstance(r, AreaRow)]
    books = [(n, r) for n, r in rows if isinstance(r, RouteBookRow)]
    codes = [(n, r.code) for n, r in books] + [(n, r.code) for n, r in areas]
    keys: list[tuple[str, Sequence[tuple[int, str | None]]]] = [
        ("code", codes),
        ("supply_meter_no", [(n, r.supply.meter_no if r.supply else None) for n, r in areas]),
        ("supply_meter_address", [(n, r.supply.meter_address if r.supply else None) for n, r in areas]),
        ("account_no", [(n, r.account_no) for n, r in accounts]),
        ("service_point", [(n, r.service_point) for n, r in accounts]),
        ("meter_no", [(n, r.meter_no) for n, r in accounts]),
        ("meter_address", [(n, r.meter_address) for n, r in accounts]),
    ]
    problems = [problem for column, values in keys for problem in check_unique(values, column=column)]
    return problems + check_customers_agree(accounts) + check_master_cycles(accounts)


# ---------------------------------------------------------------- against the archive


@dataclass(frozen=True)
class KnownArchive:
    """What the archive already holds that a file's rows are checked against.

    ``rows`` are the archive's rows as export writes them, keyed by account number, code or split
    key (`EnergySplitRow.key`), for the keys that occur in the file. ``accounts`` are the archived
    account numbers among those the file refers to (master accounts, the accounts of splits), with
    their opening dates in ``opened_on``; ``splits`` are the archived splits of those accounts.
    """

    route_books: frozenset[str] = frozenset()
    areas: frozenset[str] = frozenset()
    service_points: frozenset[str] = frozenset()
    meter_nos: frozenset[str] = frozenset()
    meter_addresses: frozenset[str] = frozenset()
    customers: Mapping[str, CustomerFacts] = field(default_factory=dict)
    rows: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    accounts: frozenset[str] = frozenset()
    opened_on: Mapping[str, date] = field(default_factory=dict)
    splits: Mapping[str, Sequence[EnergySplitRow]] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """What importing the rows would do: write ``new``, leave ``unchanged`` alone — or refuse."""

    new: list[Numbered[ArchiveRow]]
    unchanged: int
    problems: list[Problem]


def row_key(row: ArchiveRow) -> str:
    if isinstance(row, AccountRow):
        return row.account_no
    if isinstance(row, EnergySplitRow):
        return row.key
    return row.code


def differences(mine: Mapping[str, str], archived: Mapping[str, str], number: int) -> list[Problem]:
    """One problem per column where the file's row differs from the archive's."""
    reason = _("already exists with different data; the archive has {value}")
    return [
        Problem(reason.format(value=archived.get(key) or _("(empty)")), number, key, text)
        for key, text in mine.items()
        if text != archived.get(key, "")
    ]


def _taken(value: str, taken: frozenset[str], number: int, column: str) -> list[Problem]:
    return [Problem(_("already used in the archive"), number, column, value)] if value in taken else []


def check_new_account(
    row: AccountRow, number: int, known: KnownArchive, *, in_file: frozenset[str] = frozenset()
) -> list[Problem]:
    """A new account names an archived route book and area, reuses no archived service point, meter
    number or address, agrees with its customer if that is archived already, and its master account
    (套扣), if any, is in the file (``in_file``: its account numbers) or in the archive."""
    problems: list[Problem] = []
    master = row.master_account_no
    if master is not None and master not in in_file and master not in known.accounts:
        reason = _("no such account in this file or in the archive")
        problems.append(Problem(reason, number, "master_account_no", master))
    if row.route_book not in known.route_books:
        problems.append(
            Problem(
                _("no such route book in the archive; import it first"), number, "route_book", row.route_book
            )
        )
    if row.transformer_area not in known.areas:
        problems.append(
            Problem(
                _("no such transformer area in the archive; import it first"),
                number,
                "transformer_area",
                row.transformer_area,
            )
        )
    problems += _taken(row.service_point, known.service_points, number, "service_point")
    problems += _taken(row.meter_no, known.meter_nos, number, "meter_no")
    problems += _taken(row.meter_address, known.meter_addresses, number, "meter_address")
    facts = known.customers.get(row.customer_code)
    if facts is not None and facts != row.customer:
        template = _("customer {code} is in the archive with {value}")
        problems += customer_differences(row, facts, number, partial(template.format, code=row.customer_code))
    return problems


def check_new_area(row: AreaRow, number: int, known: KnownArchive) -> list[Problem]:
    """A new area's supply point, meter number and address are not in the archive yet."""
    if row.supply is None:
        return []
    return (
        _taken(row.supply_point, known.service_points, number, "code")
        + _taken(row.supply.meter_no, known.meter_nos, number, "supply_meter_no")
        + _taken(row.supply.meter_address, known.meter_addresses, number, "supply_meter_address")
    )


def check_new_split(row: EnergySplitRow, number: int, known: KnownArchive) -> list[Problem]:
    """A new split belongs to an archived account, starts no earlier than the account opened and
    overlaps no archived split of the account at the same tariff."""
    if row.account_no not in known.accounts:
        reason = _("no such account in the archive; import it first")
        return [Problem(reason, number, "account_no", row.account_no)]
    problems = []
    opened = known.opened_on.get(row.account_no)
    if opened is not None and row.effective_from < opened:
        reason = _("is before opened_on (立户日期) {day}").format(day=opened)
        problems.append(Problem(reason, number, "effective_from", row.effective_from.isoformat()))
    for other in known.splits.get(row.account_no, ()):
        if other.tariff_code == row.tariff_code and row.overlaps(other):
            reason = _("overlaps the archived split from {day} (same account and tariff)").format(
                day=other.effective_from
            )
            problems.append(Problem(reason, number, "effective_from", row.effective_from.isoformat()))
            break
    return problems


def plan_import(
    rows: Sequence[Numbered[ArchiveRow]], known: KnownArchive, *, in_file: Iterable[str] | None = None
) -> Plan:
    """Rows the archive holds with identical data are left alone; with different data, refused
    (an import never edits the archive). The other rows are new and checked as such.

    ``in_file``: every account number of an accounts file, rows that did not read well included
    (default: those of ``rows``), where a master account (套扣) may be found besides the archive.
    """
    new: list[Numbered[ArchiveRow]] = []
    problems: list[Problem] = []
    unchanged = 0
    accounts_in_file = frozenset(
        in_file if in_file is not None else (r.account_no for _, r in rows if isinstance(r, AccountRow))
    )
    for number, row in rows:
        archived = known.rows.get(row_key(row))
        if archived is not None:
            found = differences(format_row(row), archived, number)
            problems += found
            unchanged += not found
            continue
        if isinstance(row, AccountRow):
            problems += check_new_account(row, number, known, in_file=accounts_in_file)
        elif isinstance(row, AreaRow):
            problems += check_new_area(row, number, known)
        elif isinstance(row, EnergySplitRow):
            problems += check_new_split(row, number, known)
        new.append((number, row))
    splits = [(n, r) for n, r in new if isinstance(r, EnergySplitRow)]
    if splits:  # with the archived splits of the same accounts, shares add up to at most 1
        archived_splits = [
            (None, split)
            for account in {r.account_no for _, r in splits}
            for split in known.splits.get(account, ())
        ]
        problems += _overload_problems(ratio_overloads([*archived_splits, *splits]))
    return Plan(new=new, unchanged=unchanged, problems=problems)


# ---------------------------------------------------------------- formatting (what export writes)


def format_decimal(value: Decimal) -> str:
    """Plain decimal text without trailing zeros: ``40.0000`` → ``40``, ``0.50`` → ``0.5``."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_reading(value: Decimal | None, *, decimal_digits: int) -> str:
    """A register reading as the meter shows it, with exactly ``decimal_digits`` decimals."""
    if value is None:
        return ""
    return format(value.quantize(Decimal(1).scaleb(-decimal_digits)), "f")


def format_optional(value: Decimal | None) -> str:
    """A decimal as `format_decimal` writes it; empty when there is none."""
    return "" if value is None else format_decimal(value)


def format_flag(value: bool) -> str:
    return "是" if value else "否"


def format_endpoint(value: Endpoint | None) -> str:
    if value is None:
        return ""
    host = f"[{value.host}]" if ":" in value.host else value.host
    return f"{host}:{value.port}"


def format_tou(registers: Iterable[TouRegister]) -> str:
    return "|".join(r.value for r in registers)


def format_route_book(row: RouteBookRow) -> dict[str, str]:
    return {
        "code": row.code,
        "name": row.name,
        "reading_day": str(row.reading_day),
        "reader": row.reader or "",
    }


def format_area(row: AreaRow) -> dict[str, str]:
    cells = {"code": row.code, "name": row.name, "capacity_kva": format_decimal(row.capacity_kva)}
    s = row.supply
    cells.update(
        {
            "supply_meter_no": s.meter_no if s else "",
            "supply_meter_address": s.meter_address if s else "",
            "supply_comm_endpoint": format_endpoint(s.comm_endpoint) if s else "",
            "supply_ct_ratio": format_decimal(s.ct_ratio) if s else "",
            "supply_pt_ratio": format_decimal(s.pt_ratio) if s else "",
            "supply_installed_on": s.installed_on.isoformat() if s else "",
            "supply_start_total": format_reading(s.start_total, decimal_digits=SUPPLY_DECIMAL_DIGITS)
            if s
            else "",
        }
    )
    return cells


def format_account(row: AccountRow) -> dict[str, str]:
    digits = row.decimal_digits
    return {
        "account_no": row.account_no,
        "customer_code": row.customer_code,
        "customer_name": row.customer_name,
        "phone": row.phone or "",
        "address": row.address or "",
        "category": row.category.value,
        "voltage_level": row.voltage_level.value,
        "contract_capacity_kva": format_decimal(row.contract_capacity_kva),
        "pf_standard": row.pf_standard.value,
        "payment_mode": row.payment_mode.value,
        "important": format_flag(row.important),
        "low_income": format_flag(row.low_income),
        "route_book": row.route_book,
        "transformer_area": row.transformer_area,
        "opened_on": row.opened_on.isoformat(),
        "service_point": row.service_point,
        "meter_no": row.meter_no,
        "meter_address": row.meter_address,
        "comm_endpoint": format_endpoint(row.comm_endpoint),
        "ct_ratio": format_decimal(row.ct_ratio),
        "pt_ratio": format_decimal(row.pt_ratio),
        "integer_digits": str(row.integer_digits),
        "decimal_digits": str(digits),
        "tou_registers": format_tou(row.tou_registers),
        "installed_on": row.installed_on.isoformat(),
        "start_total": format_reading(row.start_total, decimal_digits=digits),
        "start_sharp": format_reading(row.start_sharp, decimal_digits=digits),
        "start_peak": format_reading(row.start_peak, decimal_digits=digits),
        "start_flat": format_reading(row.start_flat, decimal_digits=digits),
        "start_valley": format_reading(row.start_valley, decimal_digits=digits),
        "tariff_code": row.tariff_code,
        "tariff_from": row.tariff_from.isoformat(),
        "basic_charge_by": row.basic_charge_by.value,
        "contract_demand_kw": format_optional(row.contract_demand_kw),
        "transformer_loss_kwh": format_optional(row.transformer_loss_kwh),
        "transformer_loss_kvarh": format_optional(row.transformer_loss_kvarh),
        "line_loss_kwh": format_optional(row.line_loss_kwh),
        "master_account_no": row.master_account_no or "",
    }


def format_energy_split(row: EnergySplitRow) -> dict[str, str]:
    return {
        "account_no": row.account_no,
        "tariff_code": row.tariff_code,
        "kwh": format_optional(row.kwh),
        "ratio": format_optional(row.ratio),
        "effective_from": row.effective_from.isoformat(),
        "effective_to": row.effective_to.isoformat() if row.effective_to else "",
    }


def format_row(row: ArchiveRow) -> dict[str, str]:
    """The row's cells by column key, as export writes them."""
    if isinstance(row, AccountRow):
        return format_account(row)
    if isinstance(row, AreaRow):
        return format_area(row)
    if isinstance(row, EnergySplitRow):
        return format_energy_split(row)
    return format_route_book(row)
