"""The numbers behind the late payment penalty (电费违约金), in one frozen value. Pure.

The defaults are the 1996 rules, **configurable**:

- 《供电营业规则》(1996, 电力部令第8号) art. 98: residential customers pay 1‰ of the overdue amount
  per day; other customers 2‰ per day for the current year's arrears and 3‰ per day for arrears
  carried across the year end; a total under 1 元 is charged as 1 元.
- 《电力供应与使用条例》 art. 39 lets the supply contract set the rate anywhere from 1‰ to 3‰ per day.
- The rules were revised in 2024 (国家发展改革委令2024年第14号, in force 2024-06-01); we have not
  read that text, and some fixed amounts may now be ceilings. So no rate is written in the rule
  code (`late_fees`): every rate, the per-class mapping, the minimum and the reading of "arrears
  carried across the year end" live here, and the shipped values are in the data file
  ``collection/data/late_fee_policy.yaml`` (`bundled_late_fee_policy`), whose numbers equal the
  defaults below.

Rates are written in per mille (‰) per day, as the regulation writes them: ``2`` means 2‰ of the
overdue amount per day.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import cache
from importlib.resources import files
from types import MappingProxyType
from typing import Any

import yaml

from meter2cash.billing.catalog_files import load_yaml
from meter2cash.platform.errors import InputRefused, Problem
from meter2cash.platform.money import BadAmount, NotExact, exact, round_fen

DATA_PACKAGE = "meter2cash.collection"
DATA_FILE = ("data", "late_fee_policy.yaml")
PER_MILLE = Decimal(1000)  # ‰: a unit, not a rate
MAX_PER_MILLE = Decimal(1000)  # 1000‰ = the whole amount every day: anything above is a typing error
RATE_DECIMALS = 6  # a rate finer than 0.000001‰ is a typing error; it also keeps every fee exact
MAX_MINIMUM_FEE = Decimal(10) ** 12  # 元; no minimum comes near this


class BadLateFeePolicy(ValueError):
    """A late-fee policy value out of its sensible range."""


class YearSplit(StrEnum):
    """How the current-year and after-year rates share the overdue days of a bill.

    PER_DAY (default): the days up to and including 31 December of the bill's year at the
    current-year rate, the days after it at the after-year rate (we read art. 98 this way).
    ALL_DAYS: once any overdue day falls after the bill's year ends, every overdue day is charged at
    the after-year rate (some bureaus and exam banks read art. 98 so).
    """

    PER_DAY = "per_day"
    ALL_DAYS = "all_days"


def _decimals(value: Decimal) -> int:
    """Decimal places that carry a digit: ``2.50`` has 1 (no context rounding involved)."""
    _sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int) or not value:
        return 0
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + trailing_zeros))


def _minimum(document: Mapping[str, Any], fail: _Fail) -> Decimal:
    if document.get("minimum_fee") is None:
        return DEFAULT_LATE_FEE_POLICY.minimum_fee
    number = _number(document, "minimum_fee", "minimum_fee", fail)
    if number is not None and number >= MAX_MINIMUM_FEE:
        fail("minimum_fee", "金额过大 too large", number)
        return DEFAULT_LATE_FEE_POLICY.minimum_fee
    if number is not None and round_fen(number) != number:
        fail("minimum_fee", "金额最多两位小数 at most two decimals (whole fen)", number)
    return number if number is not None else DEFAULT_LATE_FEE_POLICY.minimum_fee


@dataclass(frozen=True, slots=True)
class ClassRates:
    """The daily rates of one customer class, in ‰ of the overdue amount per day.

    label: the class as the item's rule names it (``居民``) when its two rates are equal.
    current_year: for the days in the bill's own year.
    after_year: for the days after that year ends (arrears carried across the year end).
    Equal rates mean one rate for every day, whatever the year.
    """

    label: str
    current_year: Decimal
    after_year: Decimal

    def __post_init__(self) -> None:
        for name in ("current_year", "after_year"):
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not value.is_finite():
                raise BadLateFeePolicy(f"{name} must be a Decimal, got {value!r}")
            if not Decimal(0) <= value <= MAX_PER_MILLE:
                raise BadLateFeePolicy(f"{name} must be from 0 to {MAX_PER_MILLE}‰ per day: {value}")
            if _decimals(value) > RATE_DECIMALS:
                raise BadLateFeePolicy(f"{name} must have at most {RATE_DECIMALS} decimals: {value}")
        if not isinstance(self.label, str) or not self.label.strip():
            raise BadLateFeePolicy("a class needs a label")

    @property
    def single_rate(self) -> bool:
        return self.current_year == self.after_year


DEFAULT_CLASS_RATES: Mapping[str, ClassRates] = MappingProxyType(
    {
        "residential": ClassRates(label="居民", current_year=Decimal(1), after_year=Decimal(1)),
        "general": ClassRates(label="一般工商业", current_year=Decimal(2), after_year=Decimal(3)),
        "large_industry": ClassRates(label="大工业", current_year=Decimal(2), after_year=Decimal(3)),
        "agriculture": ClassRates(label="农业生产", current_year=Decimal(2), after_year=Decimal(3)),
    }
)


@dataclass(frozen=True, slots=True)
class LateFeePolicy:
    """classes: the daily rates of each customer class (a case of a class not listed is refused).
    minimum_fee: a positive total below this is charged as this (元; 0 = no minimum).
    year_split: how the two rates share a bill's overdue days (`YearSplit`)."""

    classes: Mapping[str, ClassRates] = field(default_factory=lambda: DEFAULT_CLASS_RATES)
    minimum_fee: Decimal = Decimal("1.00")
    year_split: YearSplit = YearSplit.PER_DAY

    def __post_init__(self) -> None:
        if not self.classes:
            raise BadLateFeePolicy("the policy names no customer class")
        for category, rates in self.classes.items():
            if not isinstance(rates, ClassRates):
                raise BadLateFeePolicy(f"the rates of {category} must be ClassRates")
        if not isinstance(self.minimum_fee, Decimal) or not self.minimum_fee.is_finite():
            raise BadLateFeePolicy(f"minimum_fee must be a Decimal, got {self.minimum_fee!r}")
        if (
            not Decimal(0) <= self.minimum_fee < MAX_MINIMUM_FEE
            or round_fen(self.minimum_fee) != self.minimum_fee
        ):
            raise BadLateFeePolicy(f"minimum_fee must be zero or more, in whole fen: {self.minimum_fee}")
        if not isinstance(self.year_split, YearSplit):
            raise BadLateFeePolicy(f"year_split must be a YearSplit, got {self.year_split!r}")

    def rates(self, category: str) -> ClassRates:
        """The class's rates; `KeyError` for a class the policy does not name."""
        return self.classes[category]


DEFAULT_LATE_FEE_POLICY = LateFeePolicy()


# ---------------------------------------------------------------- the data file


def bundled_late_fee_policy() -> LateFeePolicy:
    """The policy shipped in ``collection/data/late_fee_policy.yaml``, read once."""
    return _bundled()


@cache
def _bundled() -> LateFeePolicy:
    resource = files(DATA_PACKAGE).joinpath(*DATA_FILE)
    return policy_from_yaml(text=resource.read_text(encoding="utf-8"), source=str(resource))


_Fail = Callable[..., None]
SUMMARY = "违约金政策文件有误 The late-fee policy file has errors"
TOP_KEYS = frozenset({"classes", "minimum_fee", "year_split"})
CLASS_KEYS = frozenset({"label", "current_year_per_mille", "after_year_per_mille"})


def policy_from_yaml(*, text: str, source: str = "late-fee policy") -> LateFeePolicy:
    """Parse a policy file's text; every problem is named at once with its key path
    (`InputRefused`). Numbers may be plain YAML numbers or quoted text: both are read exactly.
    ``classes`` is required; ``minimum_fee`` and ``year_split`` default to `LateFeePolicy`'s."""
    problems: list[Problem] = []

    def fail(where: str, reason: str, value: object = None) -> None:
        problems.append(Problem(reason=reason, column=where, value=None if value is None else str(value)))

    try:
        document = load_yaml(text)
    except yaml.YAMLError as error:
        raise InputRefused(SUMMARY, [Problem(reason=f"不是有效的 YAML not valid YAML: {error}")]) from None
    if not isinstance(document, Mapping):
        raise InputRefused(SUMMARY, [Problem(reason=f"{source}: 应为映射 must be a mapping")])
    for key in sorted(set(map(str, document)) - TOP_KEYS):
        fail(key, "未知的键 unknown key")
    classes: dict[str, ClassRates] = {}
    raw_classes = document.get("classes")
    if not isinstance(raw_classes, Mapping) or not raw_classes:
        fail("classes", "应为用电类别到费率的映射 a mapping of customer class to rates", raw_classes)
        raw_classes = {}
    for category, raw in raw_classes.items():
        where = f"classes.{category}"
        if not isinstance(raw, Mapping):
            fail(where, "应为映射 must be a mapping", raw)
            continue
        for key in sorted(set(map(str, raw)) - CLASS_KEYS):
            fail(f"{where}.{key}", "未知的键 unknown key")
        current = _per_mille(raw, "current_year_per_mille", where, fail)
        after = _per_mille(raw, "after_year_per_mille", where, fail)
        label = raw.get("label")
        if not isinstance(label, str) or not label.strip():
            fail(f"{where}.label", "必填 required: the class name shown in each rule", label)
        elif current is not None and after is not None:
            classes[str(category)] = ClassRates(label=label.strip(), current_year=current, after_year=after)
    minimum = _minimum(document, fail)
    split_raw = document.get("year_split", DEFAULT_LATE_FEE_POLICY.year_split.value)
    if not isinstance(split_raw, str) or split_raw not in {s.value for s in YearSplit}:
        fail("year_split", "应为 per_day 或 all_days must be per_day or all_days", split_raw)
    if problems:
        raise InputRefused(SUMMARY, problems)
    return LateFeePolicy(
        classes=MappingProxyType(classes), minimum_fee=minimum, year_split=YearSplit(split_raw)
    )


def _number(raw: Mapping[str, Any], key: str, where: str, fail: _Fail) -> Decimal | None:
    value = raw.get(key)
    if value is None:
        fail(where, "必填 required")
        return None
    try:
        number = exact(value)
    except (BadAmount, NotExact):
        fail(where, "不是十进制数 not a decimal number", value)
        return None
    if number < 0:
        fail(where, "不能为负数 must not be negative", value)
        return None
    return number


def _per_mille(raw: Mapping[str, Any], key: str, where: str, fail: _Fail) -> Decimal | None:
    number = _number(raw, key, f"{where}.{key}", fail)
    if number is not None and number > MAX_PER_MILLE:
        fail(f"{where}.{key}", f"日费率过大 more than {MAX_PER_MILLE}‰ per day", number)
        return None
    if number is not None and _decimals(number) > RATE_DECIMALS:
        fail(f"{where}.{key}", f"费率最多{RATE_DECIMALS}位小数 at most {RATE_DECIMALS} decimals", number)
        return None
    return number
