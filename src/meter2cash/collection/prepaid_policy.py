"""The numbers behind prepaid electricity (预付费): smart prepaid (费控) and card meters (IC卡表). Pure.

No law fixes these numbers; they are contract and bureau practice (the 智能交费/费控 agreement a
customer signs says when the bureau warns and when it trips), so every one is configuration. The
shipped values are in ``collection/data/prepaid_policy.yaml`` (`bundled_prepaid_policy`), equal to
the defaults below; `policy_from_yaml` reads a bureau's own file and refuses it whole
(`BadPrepaidPolicy`), every problem naming its key, e.g. ``classes.residential.notice_hours``.

Smart prepaid, per customer class (`SmartPrepaidRules`):

- ``alert_threshold`` (元): a balance *below* it raises the low-balance alert (余额预警) once; the
  alert re-arms when the balance is back at or above it.
- ``notice_hours``: the meter trips only when a low-balance notice was sent at least this many
  hours before the moment of the trip decision.
- ``trip_at`` (元, 0 or less): the meter trips (跳闸/停电) when the balance is *at or below* it;
  below 0 is an overdraft (透支额度) the contract allows.
- ``reconnect_minimum`` (元, 0 or more): a tripped meter closes (自动复电) when a top-up brings the
  balance *above* it.

Card meters (`CardMeterRules`): the tolerances of the reconciliation of vends against what the
meter reports, and how long an account may go without buying while its meter keeps running.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from importlib.resources import files
from types import MappingProxyType
from typing import Any

import yaml

from meter2cash.billing.catalog_files import load_yaml
from meter2cash.platform.errors import InputRefused, Problem
from meter2cash.platform.money import BadAmount, NotExact, exact, round_fen

DATA_PACKAGE = "meter2cash.collection"
DATA_FILE = ("data", "prepaid_policy.yaml")
SUMMARY = "预付费政策有误 The prepaid policy has errors"
MAX_AMOUNT = Decimal(10) ** 9  # 元; no threshold comes near this: a larger one is a typing error
MAX_NOTICE_HOURS = 24 * 31
MAX_DAYS = 3660
KWH_STEP = Decimal("0.0001")  # the billing engine keeps kWh to 4 decimals
CLASS_KEYS = ("label", "alert_threshold", "notice_hours", "trip_at", "reconnect_minimum")
CARD_KEYS = ("kwh_tolerance", "amount_tolerance", "stopped_buying_days", "running_kwh", "running_amount")
TOP_KEYS = frozenset({"classes", "card_meters"})


class BadPrepaidPolicy(InputRefused):
    """A policy value out of its range or of the wrong type; each problem names its key."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(SUMMARY, problems)

    def __str__(self) -> str:
        return f"{self.summary}: " + "; ".join(p.describe() for p in self.problems)


class UnknownPrepaidClass(KeyError):
    """The policy has no smart-prepaid rules for the customer class."""


# ---------------------------------------------------------------- range checks, one place


def _money_problem(value: object, *, low: Decimal, high: Decimal) -> str | None:
    if not isinstance(value, Decimal) or not value.is_finite():
        return "不是十进制金额 not a decimal amount"
    if round_fen(value) != value:
        return "金额最多两位小数 at most two decimals (whole fen)"
    if not low <= value <= high:
        return f"应在 {low} 到 {high} 元之间 must be from {low} to {high} 元"
    return None


def _kwh_problem(value: object) -> str | None:
    if not isinstance(value, Decimal) or not value.is_finite():
        return "不是十进制电量 not a decimal kWh"
    if value.quantize(KWH_STEP) != value:
        return "电量最多四位小数 at most four decimals"
    if not Decimal(0) <= value < MAX_AMOUNT:
        return f"应在 0 到 {MAX_AMOUNT} 之间 must be from 0 to {MAX_AMOUNT}"
    return None


def _int_problem(value: object, *, low: int, high: int) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return f"应为 {low}–{high} 的整数 must be a whole number from {low} to {high}"
    return None


def _label_problem(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return None
    return "必填 required: the class name shown to staff"


def _listed(found: Mapping[str, str | None], values: Mapping[str, object]) -> list[Problem]:
    return [
        Problem(reason=reason, column=key, value=None if values.get(key) is None else str(values[key]))
        for key, reason in found.items()
        if reason is not None
    ]


def class_problems(values: Mapping[str, object]) -> list[Problem]:
    """Every problem of one class's rules (``CLASS_KEYS`` → value), each naming its key."""
    threshold, trip_at = values.get("alert_threshold"), values.get("trip_at")
    found: dict[str, str | None] = {
        "label": _label_problem(values.get("label")),
        "alert_threshold": _money_problem(threshold, low=-MAX_AMOUNT, high=MAX_AMOUNT),
        "notice_hours": _int_problem(values.get("notice_hours"), low=0, high=MAX_NOTICE_HOURS),
        "trip_at": _money_problem(trip_at, low=-MAX_AMOUNT, high=Decimal(0)),
        "reconnect_minimum": _money_problem(values.get("reconnect_minimum"), low=Decimal(0), high=MAX_AMOUNT),
    }
    if (
        isinstance(threshold, Decimal)
        and isinstance(trip_at, Decimal)
        and found["alert_threshold"] is found["trip_at"] is None
        and threshold <= trip_at
    ):
        found["alert_threshold"] = "应高于 trip_at must be above trip_at (the alert comes before the trip)"
    return _listed(found, values)


def card_problems(values: Mapping[str, object]) -> list[Problem]:
    """Every problem of the card-meter thresholds (``CARD_KEYS`` → value), each naming its key."""
    found = {
        "kwh_tolerance": _kwh_problem(values.get("kwh_tolerance")),
        "amount_tolerance": _money_problem(values.get("amount_tolerance"), low=Decimal(0), high=MAX_AMOUNT),
        "stopped_buying_days": _int_problem(values.get("stopped_buying_days"), low=1, high=MAX_DAYS),
        "running_kwh": _kwh_problem(values.get("running_kwh")),
        "running_amount": _money_problem(values.get("running_amount"), low=Decimal(0), high=MAX_AMOUNT),
    }
    return _listed(found, values)


# ---------------------------------------------------------------- the rules


@dataclass(frozen=True, slots=True)
class SmartPrepaidRules:
    """The smart-prepaid (费控) rules of one customer class; see the module docstring."""

    label: str
    alert_threshold: Decimal = Decimal("20.00")
    notice_hours: int = 24
    trip_at: Decimal = Decimal("0.00")
    reconnect_minimum: Decimal = Decimal("0.00")

    def __post_init__(self) -> None:
        problems = class_problems({key: getattr(self, key) for key in CLASS_KEYS})
        if problems:
            raise BadPrepaidPolicy(problems)


@dataclass(frozen=True, slots=True)
class CardMeterRules:
    """kwh_tolerance / amount_tolerance: a difference up to this is not an exception (kWh for
    energy-counting meters, 元 for money-counting ones: register rounding, a small emergency credit).
    stopped_buying_days: an account with no vend for this many days whose meter's usage grew by
    more than ``running_kwh`` / ``running_amount`` in that time is an exception."""

    kwh_tolerance: Decimal = Decimal(1)
    amount_tolerance: Decimal = Decimal("0.50")
    stopped_buying_days: int = 90
    running_kwh: Decimal = Decimal(1)
    running_amount: Decimal = Decimal("0.50")

    def __post_init__(self) -> None:
        problems = card_problems({key: getattr(self, key) for key in CARD_KEYS})
        if problems:
            raise BadPrepaidPolicy(problems)


DEFAULT_CLASSES: Mapping[str, SmartPrepaidRules] = MappingProxyType(
    {
        "residential": SmartPrepaidRules(label="居民", alert_threshold=Decimal("20.00")),
        "general": SmartPrepaidRules(label="一般工商业", alert_threshold=Decimal("200.00")),
        "agriculture": SmartPrepaidRules(label="农业生产", alert_threshold=Decimal("50.00")),
    }
)


@dataclass(frozen=True, slots=True)
class PrepaidPolicy:
    """classes: the smart-prepaid rules of each customer class (a class not listed is refused).
    card_meters: the card-meter reconciliation thresholds."""

    classes: Mapping[str, SmartPrepaidRules] = field(default_factory=lambda: DEFAULT_CLASSES)
    card_meters: CardMeterRules = field(default_factory=CardMeterRules)

    def __post_init__(self) -> None:
        if not self.classes:
            raise BadPrepaidPolicy([Problem(reason="至少一个用电类别 at least one class", column="classes")])
        for category, rules in self.classes.items():
            if not isinstance(rules, SmartPrepaidRules):
                where = f"classes.{category}"
                raise BadPrepaidPolicy([Problem(reason="应为 SmartPrepaidRules", column=where)])
        if not isinstance(self.card_meters, CardMeterRules):
            raise BadPrepaidPolicy([Problem(reason="应为 CardMeterRules", column="card_meters")])

    def rules(self, category: str) -> SmartPrepaidRules:
        """The class's smart-prepaid rules; `UnknownPrepaidClass` for a class the policy omits."""
        try:
            return self.classes[category]
        except KeyError:
            known = ", ".join(sorted(self.classes))
            message = f"no prepaid rules for the class {category!r}; known: {known}"
            raise UnknownPrepaidClass(message) from None


DEFAULT_PREPAID_POLICY = PrepaidPolicy()


# ---------------------------------------------------------------- the data file


def bundled_prepaid_policy() -> PrepaidPolicy:
    """The policy shipped in ``collection/data/prepaid_policy.yaml``, read once."""
    return _bundled()


@cache
def _bundled() -> PrepaidPolicy:
    resource = files(DATA_PACKAGE).joinpath(*DATA_FILE)
    return policy_from_yaml(text=resource.read_text(encoding="utf-8"), source=str(resource))


_Fail = Callable[[str, str, object], None]
WHOLE_KEYS = frozenset({"notice_hours", "stopped_buying_days"})


def _read(raw: Mapping[str, Any], key: str) -> object:
    """A value as the checks expect it: numbers exact (a Decimal; an int for the whole-number
    keys), anything unreadable left as it is for the checks to name."""
    value = raw[key]
    if key == "label":
        return value
    if key in WHOLE_KEYS:
        if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
            return int(value)
        return value
    try:
        return exact(value)
    except (BadAmount, NotExact):
        return value


def _section(
    raw: object, where: str, keys: tuple[str, ...], fail: _Fail, *, defaults: Mapping[str, object]
) -> dict[str, object] | None:
    """The section's values (defaults filled in), or None when it is not a mapping. Unknown and
    missing keys are named; value problems are left to the range checks."""
    if not isinstance(raw, Mapping):
        fail(where, "应为映射 must be a mapping", raw)
        return None
    for key in sorted(set(map(str, raw)) - set(keys)):
        fail(f"{where}.{key}", f"未知的键 unknown key (known: {', '.join(keys)})", None)
    values: dict[str, object] = {}
    for key in keys:
        if raw.get(key) is not None:
            values[key] = _read(raw, key)
        elif key in defaults:
            values[key] = defaults[key]
        else:
            fail(f"{where}.{key}", "必填 required", None)
            values[key] = None
    return values


def policy_from_yaml(*, text: str, source: str = "prepaid policy") -> PrepaidPolicy:
    """Parse a policy file's text; every problem is named at once with its key path
    (`BadPrepaidPolicy`). Numbers may be plain YAML numbers or quoted text, read exactly.
    ``classes`` is required and each class gives every key; ``card_meters`` may give some keys or
    none, the others keep `CardMeterRules`' defaults."""
    problems: list[Problem] = []

    def fail(where: str, reason: str, value: object) -> None:
        problems.append(Problem(reason=reason, column=where, value=None if value is None else str(value)))

    try:
        document = load_yaml(text)
    except yaml.YAMLError as error:
        raise BadPrepaidPolicy([Problem(reason=f"不是有效的 YAML not valid YAML: {error}")]) from None
    if not isinstance(document, Mapping):
        raise BadPrepaidPolicy([Problem(reason=f"{source}: 应为映射 must be a mapping")])
    for key in sorted(set(map(str, document)) - TOP_KEYS):
        fail(key, f"未知的键 unknown key (known: {', '.join(sorted(TOP_KEYS))})", None)
    raw_classes = document.get("classes")
    if not isinstance(raw_classes, Mapping) or not raw_classes:
        fail("classes", "应为用电类别到规则的映射 a mapping of customer class to rules", raw_classes)
        raw_classes = {}
    classes: dict[str, dict[str, object]] = {}
    for category, raw in raw_classes.items():
        where = f"classes.{category}"
        values = _section(raw, where, CLASS_KEYS, fail, defaults={})
        if values is None:
            continue
        for problem in class_problems(values):
            if values.get(str(problem.column)) is not None:  # a missing key is already named
                fail(f"{where}.{problem.column}", problem.reason, problem.value)
        classes[str(category)] = values
    card_defaults = CardMeterRules()
    card_raw = document.get("card_meters")
    card = _section(
        {} if card_raw is None else card_raw,
        "card_meters",
        CARD_KEYS,
        fail,
        defaults={key: getattr(card_defaults, key) for key in CARD_KEYS},
    )
    for problem in card_problems(card or {}) if card is not None else ():
        fail(f"card_meters.{problem.column}", problem.reason, problem.value)
    if problems or card is None:
        raise BadPrepaidPolicy(problems)
    return PrepaidPolicy(
        classes=MappingProxyType({c: SmartPrepaidRules(**v) for c, v in classes.items()}),  # type: ignore[arg-type]
        card_meters=CardMeterRules(**card),  # type: ignore[arg-type]
    )
