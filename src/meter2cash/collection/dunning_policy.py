"""The numbers behind dunning (催费) and lawful disconnection (停复电), per customer class. Pure.

Sources (domain-rules.md §3; every number is configuration, the defaults are these rules):

- 《电力供应与使用条例》 art. 39: a customer more than 30 days overdue who has been reminded (经催交)
  and still has not paid may have supply stopped by the procedure the state lays down.
- 《供电营业规则》(1996, 电力部令第8号) art. 66–67: approval by the bureau's head (本单位负责人); a
  written notice (停电通知书) served 3–7 days before the cut; another notice 30 minutes before it.
  Some local rules ask 7 days' notice for residential customers [source unclear].
- Art. 69: supply restored within 3 days after the cause is removed (local rules often say 24 h).
- The 2024 revision (国家发展改革委令2024年第14号) was not available to us: check every value.

The shipped values are in ``collection/data/dunning_policy.yaml`` (`bundled_dunning_policy`);
`policy_from_yaml` reads a bureau's own file and refuses it whole (`BadDunningPolicy`), each
problem naming its key, e.g. ``classes.residential.notice_lead_days``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from enum import StrEnum
from functools import cache
from importlib.resources import files
from types import MappingProxyType

import yaml

from meter2cash.billing.catalog_files import load_yaml
from meter2cash.platform.errors import InputRefused, Problem
from meter2cash.platform.money import BadAmount, NotExact, exact, round_fen

STEP_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
SUMMARY = "催费停复电政策有误 The dunning policy has errors"
TOP_KEYS = frozenset({"defaults", "classes"})
REQUIRED = "必填 required"
UNKNOWN = "未知的键 unknown key"
MAPPING = "应为映射 must be a mapping"
CHANNELS = "应为 sms/email/letter 的非空列表 a non-empty list of sms, email, letter"
CLASSES = "应为用电类别到规则的映射 a mapping of customer class to rules"


class NoticeChannel(StrEnum):
    """How a notice reaches the customer (pluggable gateways in the service layer)."""

    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"


class BadDunningPolicy(InputRefused):
    """A policy value out of its range or of the wrong type; each problem names its key."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(SUMMARY, problems)

    def __str__(self) -> str:
        return f"{self.summary}: " + "; ".join(p.describe() for p in self.problems)


class UnknownCategory(KeyError):
    """The policy has no rules for the customer class."""


@dataclass(frozen=True, slots=True)
class DunningStep:
    """One dunning notice: sent ``days_after_due`` days after the due date, by ``channels``."""

    name: str
    days_after_due: int
    channels: tuple[NoticeChannel, ...]


@dataclass(frozen=True, slots=True)
class ClassPolicy:
    """The dunning and disconnection rules of one customer class.

    steps: the notices in order (the first is the reminder, 催交, that disconnection requires).
    disconnect_after_days: eligible only when *more* than this many days overdue (条例 art. 39).
    notice_lead_days / notice_max_days: the written notice is served this many calendar days
    before the cut at least / at most (art. 67: 3–7 days).
    final_notice_minutes / final_notice_window_hours: the last notice comes at least this many
    minutes and at most this many hours before the cut (art. 67: 30 minutes).
    reconnect_within_hours: supply restored within this many hours of payment (art. 69: 3 days).
    minimum_arrears: overdue amounts (元) below this are not acted on.
    """

    label: str
    steps: tuple[DunningStep, ...]
    disconnect_after_days: int = 30
    notice_lead_days: int = 3
    notice_max_days: int = 7
    notice_channels: tuple[NoticeChannel, ...] = (NoticeChannel.LETTER,)
    final_notice_minutes: int = 30
    final_notice_window_hours: int = 24
    final_notice_channels: tuple[NoticeChannel, ...] = (NoticeChannel.SMS,)
    reconnect_within_hours: int = 24
    minimum_arrears: Decimal = Decimal("0.01")

    def __post_init__(self) -> None:
        problems = class_problems(self)
        if problems:
            raise BadDunningPolicy(problems)


INT_RANGES: Mapping[str, tuple[int, int]] = MappingProxyType(
    {
        "disconnect_after_days": (30, 365),
        "notice_lead_days": (3, 7),
        "notice_max_days": (3, 30),
        "final_notice_minutes": (30, 24 * 60),
        "final_notice_window_hours": (1, 72),
        "reconnect_within_hours": (1, 72),
    }
)


def class_problems(rules: ClassPolicy) -> list[Problem]:
    """Every range problem of one class's rules, each naming its key (no exception raised)."""
    out: list[Problem] = []

    def bad(key: str, reason: str, value: object) -> None:
        out.append(Problem(reason=reason, column=key, value=str(value)))

    if not isinstance(rules.label, str) or not rules.label.strip():
        bad("label", "必填 required: the class name shown to staff", rules.label)
    for key, (low, high) in INT_RANGES.items():
        value = getattr(rules, key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            bad(key, f"应为 {low}–{high} 的整数 must be a whole number from {low} to {high}", value)
    lead, most = rules.notice_lead_days, rules.notice_max_days
    if (
        isinstance(lead, int)
        and lead <= INT_RANGES["notice_lead_days"][1]
        and isinstance(most, int)
        and most < lead
    ):
        bad("notice_max_days", "不能小于 notice_lead_days must not be under notice_lead_days", most)
    minutes, window = rules.final_notice_minutes, rules.final_notice_window_hours
    if isinstance(minutes, int) and isinstance(window, int) and window * 60 <= minutes:
        bad("final_notice_window_hours", "须长于 final_notice_minutes longer than the final notice", window)
    amount = rules.minimum_arrears
    if not isinstance(amount, Decimal) or not amount.is_finite() or not Decimal("0.01") <= amount < 10**12:
        bad("minimum_arrears", "应为不小于 0.01 的金额 must be an amount of at least 0.01", amount)
    elif round_fen(amount) != amount:
        bad("minimum_arrears", "金额最多两位小数 at most two decimals (whole fen)", amount)
    for key in ("notice_channels", "final_notice_channels"):
        out += _channel_problems(key, getattr(rules, key))
    out += _step_problems(rules)
    return out


def _channel_problems(key: str, channels: object) -> list[Problem]:
    if (
        not isinstance(channels, tuple)
        or not channels
        or not all(isinstance(c, NoticeChannel) for c in channels)
    ):
        return [Problem(reason=CHANNELS, column=key)]
    if len(set(channels)) != len(channels):
        return [Problem(reason="渠道重复 a channel is repeated", column=key, value=",".join(channels))]
    return []


def _step_problems(rules: ClassPolicy) -> list[Problem]:
    steps = rules.steps
    if not isinstance(steps, tuple) or not steps or not all(isinstance(s, DunningStep) for s in steps):
        return [Problem(reason="至少一个催费步骤 at least one dunning step", column="steps")]
    out: list[Problem] = []
    for index, step in enumerate(steps):
        where = f"steps[{index}]"
        if not isinstance(step.name, str) or not STEP_NAME.fullmatch(step.name):
            out.append(Problem(reason="应为小写标识符 a lower-case identifier", column=f"{where}.step"))
        elif [s.name for s in steps].count(step.name) > 1:
            out.append(Problem(reason="步骤重复 a step is repeated", column=f"{where}.step", value=step.name))
        days, before = step.days_after_due, steps[index - 1].days_after_due if index else 0
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
            reason = "应为 1–365 的整数 a whole number from 1 to 365"
            out.append(Problem(reason=reason, column=f"{where}.days_after_due", value=str(days)))
        elif isinstance(before, int) and days <= before:
            reason = "须晚于上一步骤 must be later than the step before"
            out.append(Problem(reason=reason, column=f"{where}.days_after_due", value=str(days)))
        out += _channel_problems(f"{where}.channels", step.channels)
    first = steps[0].days_after_due
    if not out and isinstance(rules.disconnect_after_days, int) and first > rules.disconnect_after_days:
        reason = "首次催交须在可停电之前 the first reminder must come before disconnection eligibility"
        out.append(Problem(reason=reason, column="steps[0].days_after_due", value=str(first)))
    return out


CLASS_KEYS = frozenset(f.name for f in fields(ClassPolicy))


@dataclass(frozen=True, slots=True)
class DunningPolicy:
    """The rules of each customer class (a class the policy does not name is refused)."""

    classes: Mapping[str, ClassPolicy] = field(default_factory=lambda: DEFAULT_CLASSES)

    def __post_init__(self) -> None:
        if not self.classes or not all(isinstance(c, ClassPolicy) for c in self.classes.values()):
            raise BadDunningPolicy([Problem(reason=CLASSES, column="classes")])

    def for_class(self, category: str) -> ClassPolicy:
        """The class's rules; `UnknownCategory` for a class the policy does not name."""
        try:
            return self.classes[category]
        except KeyError:
            raise UnknownCategory(f"the dunning policy has no rules for class {category!r}") from None


_SMS, _EMAIL, _LETTER = NoticeChannel
_REMINDERS = (
    DunningStep(name="reminder", days_after_due=5, channels=(_SMS, _EMAIL)),
    DunningStep(name="second_reminder", days_after_due=20, channels=(_SMS, _EMAIL, _LETTER)),
)
DEFAULT_CLASSES: Mapping[str, ClassPolicy] = MappingProxyType(
    {
        "residential": ClassPolicy(label="居民", steps=_REMINDERS, notice_lead_days=7),
        "general": ClassPolicy(label="一般工商业", steps=_REMINDERS),
        "large_industry": ClassPolicy(label="大工业", steps=_REMINDERS),
        "agriculture": ClassPolicy(label="农业生产", steps=_REMINDERS),
    }
)
DEFAULT_DUNNING_POLICY = DunningPolicy()


def bundled_dunning_policy() -> DunningPolicy:
    """The policy shipped in ``collection/data/dunning_policy.yaml``, read once."""
    return _bundled()


@cache
def _bundled() -> DunningPolicy:
    resource = files("meter2cash.collection").joinpath("data", "dunning_policy.yaml")
    return policy_from_yaml(text=resource.read_text(encoding="utf-8"), source=str(resource))


# ---------------------------------------------------------------- the policy file

_BAD = object()  # a value already reported as a problem
STEP_KEYS = frozenset({"step", "days_after_due", "channels"})


def policy_from_yaml(*, text: str, source: str = "dunning policy") -> DunningPolicy:
    """Parse a policy file: ``classes`` (required) maps each customer class to its rules, any key of
    `ClassPolicy` (``label`` and ``steps`` required); ``defaults`` holds rules every class takes
    unless it names its own. Numbers may be plain or quoted; all are read exactly. Every problem
    is named at once with its key path (`BadDunningPolicy`)."""
    try:
        document = load_yaml(text)
    except yaml.YAMLError as error:
        raise BadDunningPolicy([Problem(reason=f"不是有效的 YAML not valid YAML: {error}")]) from None
    if not isinstance(document, Mapping):
        raise BadDunningPolicy([Problem(reason=f"{source}: 应为映射 must be a mapping")])
    problems = [_unknown(str(k)) for k in document if k not in TOP_KEYS]
    defaults = document.get("defaults") or {}
    if not isinstance(defaults, Mapping):
        problems.append(Problem(reason=MAPPING, column="defaults"))
        defaults = {}
    problems += [_unknown(f"defaults.{k}") for k in defaults if k not in CLASS_KEYS - {"label"}]
    raw_classes = document.get("classes")
    if not isinstance(raw_classes, Mapping) or not raw_classes:
        problems.append(Problem(reason=CLASSES, column="classes"))
        raw_classes = {}
    classes: dict[str, ClassPolicy] = {}
    for category, raw in raw_classes.items():
        rules = _class_from_yaml(str(category), raw, defaults, problems)
        if rules is not None:
            classes[str(category)] = rules
    if problems:
        raise BadDunningPolicy(problems)
    return DunningPolicy(classes=MappingProxyType(classes))


def _unknown(where: str) -> Problem:
    return Problem(reason=UNKNOWN, column=where)


def _class_from_yaml(
    category: str, raw: object, defaults: Mapping[str, object], problems: list[Problem]
) -> ClassPolicy | None:
    if not isinstance(raw, Mapping):
        problems.append(Problem(reason=MAPPING, column=f"classes.{category}"))
        return None

    def where(key: str) -> str:
        return f"classes.{category}.{key}" if key in raw or key not in defaults else f"defaults.{key}"

    found = len(problems)
    problems += [_unknown(where(str(k))) for k in raw if k not in CLASS_KEYS]
    merged = {str(k): v for k, v in {**defaults, **raw}.items() if k in CLASS_KEYS}
    problems += [Problem(reason=REQUIRED, column=where(k)) for k in ("label", "steps") if k not in merged]
    values = {key: _value(key, value, where(key), problems) for key, value in merged.items()}
    if len(problems) > found:
        return None
    try:
        return ClassPolicy(**values)  # type: ignore[arg-type]
    except BadDunningPolicy as refused:
        for problem in refused.problems:
            column = problem.column or ""
            key = re.split(r"[.\[]", column, maxsplit=1)[0]
            problems.append(replace(problem, column=where(key) + column[len(key) :]))
        return None


def _value(key: str, value: object, where: str, problems: list[Problem]) -> object:
    if key == "steps":
        return _steps(value, where, problems)
    if key.endswith("channels"):
        return _channels(value, where, problems)
    if key == "minimum_arrears":
        try:
            return exact(value)
        except (BadAmount, NotExact):
            problems.append(Problem(reason="不是十进制数 not a decimal", column=where, value=str(value)))
            return _BAD
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return value  # a label, or a number the range checks refuse


def _channels(value: object, where: str, problems: list[Problem]) -> object:
    names = {c.value for c in NoticeChannel}
    if not isinstance(value, list) or not all(isinstance(v, str) and v in names for v in value):
        problems.append(Problem(reason=CHANNELS, column=where, value=str(value)))
        return _BAD
    return tuple(NoticeChannel(v) for v in value)


def _steps(value: object, where: str, problems: list[Problem]) -> object:
    if not isinstance(value, list):
        problems.append(Problem(reason="应为步骤列表 a list of steps", column=where))
        return _BAD
    steps = []
    for index, raw in enumerate(value):
        at = f"{where}[{index}]"
        if not isinstance(raw, Mapping):
            problems.append(Problem(reason=MAPPING, column=at))
            continue
        problems += [_unknown(f"{at}.{k}") for k in raw if k not in STEP_KEYS]
        problems += [Problem(reason=REQUIRED, column=f"{at}.{k}") for k in sorted(STEP_KEYS - set(raw))]
        if set(raw) >= STEP_KEYS:
            channels = _channels(raw["channels"], f"{at}.channels", problems)
            days = _value("days_after_due", raw["days_after_due"], f"{at}.days_after_due", problems)
            steps.append(DunningStep(name=raw["step"], days_after_due=days, channels=channels))  # type: ignore[arg-type]
    return tuple(steps)
