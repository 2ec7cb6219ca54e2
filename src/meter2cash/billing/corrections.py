"""Corrections (退补): the energy and money to refund or back-bill for bills already issued. Pure.

An issued bill is never edited. A correction states why (a reason category), which periods it
covers, what each period was billed on (the usage and the tariff) and the facts of the reason;
this module computes, for each period, the corrected usage by the rule of the reason and prices
BOTH the billed and the corrected usage with the same engine as a bill run
(`meter2cash.billing.bills.price_case`). The correction is the difference line by line, so the
customer sees which lines change; positive = back-bill (补收), negative = refund (退还). There is
no second pricing implementation here: money is only ever rounded by the engine's lines (each
line to the fen; totals are sums).

The rules (domain-rules §3 "计量差错退补", 《供电营业规则》(1996) art. 80–81; docs/corrections.md):

- ``meter_error`` — a meter or instrument transformer out of tolerance (art. 80(1)): settle to
  ZERO error over HALF the time from the last test (or installation) to the day the error was
  corrected. With an error of e (+5 % = the meter runs fast) the true energy is registered ÷ (1 + e).
  Convention: the half is the most RECENT half of the days ``[last_test, corrected_on)``, i.e. from
  ``H = last_test + days/2`` (possibly a half day) to ``corrected_on``; a period that straddles H
  (or ``corrected_on``) is corrected for the share of its days inside the window (prorated by days).
- ``wrong_wiring`` — wrong connection (art. 81(1)): settle by the correction factor (更正系数)
  K = correct registration ÷ wrong registration over the WHOLE time from the last test (or
  installation) to the day the wiring was corrected; corrected = registered × K, prorated by
  days for a period that straddles either end.
- ``wrong_multiplier`` — the bills used the wrong multiplier (倍率, art. 81(3)): every register of the meter
  (kWh, the time-of-use registers, kvarh, maximum demand) × right ÷ billed multiplier.
- ``misread`` — a reading was misread (抄错): (right − billed reading) × multiplier is added to
  the period that closed on the misread reading; when the following period (which opened on it)
  is also listed, it gets the opposite amount.
- ``wrong_tariff`` — the same usage re-priced at the right tariff (电价错误).

Energy is computed exactly (rational arithmetic); the difference of each quantity (kWh, each
time-of-use register, kvarh, demand) in each period is rounded half-up ONCE to ``energy_decimals``
(default 4, the engine's resolution of 0.0001 kWh) and added to the billed value.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from meter2cash.billing.bills import KIND_ORDER, Bill, price_case
from meter2cash.billing.fixed_point import TooPrecise
from meter2cash.billing.power_factor import PowerFactorTable
from meter2cash.billing.pricing import qty_text
from meter2cash.billing.tariff import Tariff, TouPeriod
from meter2cash.billing.usage import UsageCase
from meter2cash.platform.errors import InputRefused, Problem

ENGINE_DECIMALS = 4  # the pricing engine keeps energy to 0.0001 kWh
_ZERO = Decimal(0)


class Reason(StrEnum):
    """退补原因 — the reason category of a correction."""

    METER_ERROR = "meter_error"  # 计量装置误差超差
    WRONG_WIRING = "wrong_wiring"  # 接线错误
    WRONG_MULTIPLIER = "wrong_multiplier"  # 倍率错误
    MISREAD = "misread"  # 抄错
    WRONG_TARIFF = "wrong_tariff"  # 电价错误


REASON_NAMES_ZH: dict[Reason, str] = {
    Reason.METER_ERROR: "计量装置误差超差",
    Reason.WRONG_WIRING: "接线错误",
    Reason.WRONG_MULTIPLIER: "倍率错误",
    Reason.MISREAD: "抄错",
    Reason.WRONG_TARIFF: "电价错误",
}


class Device(StrEnum):
    METER = "meter"  # 电能表
    INSTRUMENT_TRANSFORMER = "instrument_transformer"  # 互感器


DEVICE_NAMES_ZH: dict[Device, str] = {Device.METER: "电能表", Device.INSTRUMENT_TRANSFORMER: "互感器"}

REGISTERS = ("total", *(p.value for p in TouPeriod if p is not TouPeriod.FLAT))


@dataclass(frozen=True, slots=True)
class BilledPeriod:
    """One affected bill period: what it was billed on. ``label`` names it in the result
    (``2026-06``); the period itself is ``usage.start`` … ``usage.end`` (exclusive)."""

    label: str
    tariff: Tariff
    usage: UsageCase


@dataclass(frozen=True, slots=True)
class MeterError:
    """The error found at a test (+5 = registers 5 % too much), the last test or installation
    before it and the day the error was corrected (误差更正之日: the test that found it, or the
    meter's replacement). ``kvarh_error_percent``: the reactive
    register's error, when it is to be corrected too (otherwise kvarh is left as billed)."""

    error_percent: Decimal
    last_test: date
    corrected_on: date
    device: Device = Device.METER
    kvarh_error_percent: Decimal | None = None


@dataclass(frozen=True, slots=True)
class WrongWiring:
    """更正系数 K = correct ÷ wrong registration, from the last test or installation to the day
    the wiring was put right. Give K as ``factor``, or the two registrations (e.g. the power of
    the same load as registered by the correct and by the wrong connection, in W), which keeps
    K exact (1/3 stays 1/3). ``kvarh_factor``: the reactive register's own factor, if any."""

    last_test: date
    corrected_on: date
    factor: Decimal | None = None
    correct_registration: Decimal | None = None
    wrong_registration: Decimal | None = None
    kvarh_factor: Decimal | None = None

    @classmethod
    def from_registrations(
        cls, *, correct: Decimal, wrong: Decimal, last_test: date, corrected_on: date
    ) -> WrongWiring:
        return cls(
            last_test=last_test,
            corrected_on=corrected_on,
            correct_registration=correct,
            wrong_registration=wrong,
        )

    @property
    def k(self) -> Fraction:
        """K, exactly."""
        if self.factor is not None:
            return Fraction(self.factor)
        if self.correct_registration is None or self.wrong_registration is None:
            raise ValueError("WrongWiring needs factor, or correct_registration and wrong_registration")
        return Fraction(self.correct_registration) / Fraction(self.wrong_registration)

    def k_text(self) -> str:
        if self.factor is not None:
            return qty_text(self.factor)
        assert self.correct_registration is not None and self.wrong_registration is not None
        ratio = f"{qty_text(self.correct_registration)}/{qty_text(self.wrong_registration)}"
        k = self.k
        if _terminates(k):
            return f"{ratio}={_fraction_text(k)}"
        return f"{ratio}≈{_fraction_text(k, approximate=True)}"


@dataclass(frozen=True, slots=True)
class WrongMultiplier:
    billed: Decimal
    right: Decimal


@dataclass(frozen=True, slots=True)
class Misread:
    """The reading the bill used, the right one, the meter's multiplier and which register
    (``total`` or a time-of-use period other than flat) was misread."""

    billed_reading: Decimal
    right_reading: Decimal
    multiplier: Decimal = Decimal(1)
    register: str = "total"


@dataclass(frozen=True, slots=True)
class WrongTariff:
    """The right tariff: one for every period, or one per period in the periods' order.
    ``right_category``: the customer's category under it (default: the tariff's)."""

    right_tariffs: tuple[Tariff, ...]
    right_category: str | None = None


Parameters = MeterError | WrongWiring | WrongMultiplier | Misread | WrongTariff

_PARAMETERS_OF: dict[Reason, type] = {
    Reason.METER_ERROR: MeterError,
    Reason.WRONG_WIRING: WrongWiring,
    Reason.WRONG_MULTIPLIER: WrongMultiplier,
    Reason.MISREAD: Misread,
    Reason.WRONG_TARIFF: WrongTariff,
}


@dataclass(frozen=True, slots=True)
class CorrectionCase:
    reason: Reason
    periods: tuple[BilledPeriod, ...]
    parameters: Parameters
    energy_decimals: int = ENGINE_DECIMALS


@dataclass(frozen=True, slots=True)
class LineDifference:
    code: str
    label: str
    billed: Decimal
    corrected: Decimal

    @property
    def difference(self) -> Decimal:
        return self.corrected - self.billed

    def as_json(self) -> dict[str, str]:
        return {
            "code": self.code,
            "label": self.label,
            "billed": str(self.billed),
            "corrected": str(self.corrected),
            "difference": str(self.difference),
        }


@dataclass(frozen=True, slots=True)
class PeriodCorrection:
    label: str
    start: date
    end: date
    covered_days: Decimal  # days of the period the rule applies to (may end in .5)
    billed_kwh: Decimal
    corrected_kwh: Decimal
    billed: Bill
    corrected: Bill
    lines: tuple[LineDifference, ...]

    @property
    def kwh_difference(self) -> Decimal:
        return self.corrected_kwh - self.billed_kwh

    @property
    def money_difference(self) -> Decimal:
        return sum((line.difference for line in self.lines), _ZERO)

    def as_json(self) -> dict[str, object]:
        return {
            "period": self.label,
            "billed_kwh": qty_text(self.billed_kwh),
            "corrected_kwh": qty_text(self.corrected_kwh),
            "kwh_difference": qty_text(self.kwh_difference),
            "lines": [line.as_json() for line in self.lines],
            "money_difference": str(self.money_difference),
        }


@dataclass(frozen=True, slots=True)
class CorrectionResult:
    reason: Reason
    periods: tuple[PeriodCorrection, ...]
    rule: str

    @property
    def kwh_difference(self) -> Decimal:
        return sum((p.kwh_difference for p in self.periods), _ZERO)

    @property
    def money_difference(self) -> Decimal:
        return sum((p.money_difference for p in self.periods), _ZERO)

    @property
    def direction(self) -> str:
        """补收 back-bill, 退还 refund, or 无差额 nothing to settle."""
        money = self.money_difference
        return "补收" if money > 0 else "退还" if money < 0 else "无差额"

    def as_json(self) -> dict[str, object]:
        """The public JSON shape of ``m2c bill correction-quote --json`` (docs/corrections.md)."""
        return {
            "reason": self.reason.value,
            "periods": [p.as_json() for p in self.periods],
            "kwh_difference": qty_text(self.kwh_difference),
            "money_difference": str(self.money_difference),
            "rule": self.rule,
        }


# ---------------------------------------------------------------------------------------------
# The rules


def period_label(start: date, end: date) -> str:
    """``2026-06`` for a calendar month, else ``2026-05-15/2026-06-15`` (end exclusive)."""
    next_month = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    if start.day == 1 and end == next_month:
        return f"{start.year:04d}-{start.month:02d}"
    return f"{start.isoformat()}/{end.isoformat()}"


def covered_days(*, start: date, end: date, window_from: Fraction, window_to: Fraction) -> Fraction:
    """Days of ``[start, end)`` inside ``[window_from, window_to)``, both given as day ordinals
    (a window end may fall at noon: a half day)."""
    low = max(Fraction(start.toordinal()), window_from)
    high = min(Fraction(end.toordinal()), window_to)
    return max(high - low, Fraction(0))


def half_time_window(*, last_test: date, corrected_on: date) -> tuple[Fraction, Fraction]:
    """The most recent half of ``[last_test, corrected_on)`` as day ordinals (art. 80(1))."""
    first, last = Fraction(last_test.toordinal()), Fraction(corrected_on.toordinal())
    return (first + last) / 2, last


def round_energy(value: Fraction, places: int) -> Decimal:
    """An exact energy rounded half-up (on the magnitude: 四舍五入) to ``places`` decimals, once."""
    scaled = abs(value) * 10**places
    whole, remainder = divmod(scaled.numerator, scaled.denominator)
    if 2 * remainder >= scaled.denominator:
        whole += 1
    result = Decimal(whole).scaleb(-places)
    return -result if value < 0 else result


def _fraction(value: Decimal) -> Fraction:
    return Fraction(value)


@dataclass(frozen=True, slots=True)
class _Scale:
    """corrected = billed × (1 + share × (factor − 1)): ``share`` of the period at ``factor``."""

    share: Fraction
    factor: Fraction
    kvarh_factor: Fraction | None = None
    demand: bool = False

    def of(self, value: Decimal, factor: Fraction, places: int) -> Decimal:
        # The DIFFERENCE (the energy refunded or back-billed) is what is rounded, so the
        # corrected value moves the right way whatever the billed value's decimals.
        difference = _fraction(value) * self.share * (factor - 1)
        return value + round_energy(difference, places) if difference else value


def _scaled_usage(usage: UsageCase, scale: _Scale, places: int) -> UsageCase:
    total = None if usage.kwh_total is None else scale.of(usage.kwh_total, scale.factor, places)
    tou = {p: scale.of(v, scale.factor, places) for p, v in usage.kwh_tou.items()}
    if total is not None and tou:
        others = sum((v for p, v in tou.items() if p is not TouPeriod.FLAT), _ZERO)
        total = max(total, others)
    kvarh = usage.kvarh
    if kvarh is not None and scale.kvarh_factor is not None:
        kvarh = scale.of(kvarh, scale.kvarh_factor, places)
    demand = usage.max_demand_kw
    if demand is not None and scale.demand:
        demand = scale.of(demand, scale.factor, places)
    return replace(usage, kwh_total=total, kwh_tou=tou, kvarh=kvarh, max_demand_kw=demand)


def _days_text(days: Fraction) -> str:
    return qty_text(Decimal(days.numerator) / Decimal(days.denominator))


def _terminates(value: Fraction) -> bool:
    """Whether the fraction is a finite decimal (its denominator has no factor but 2 and 5)."""
    denominator = value.denominator
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    return denominator == 1


def _fraction_text(value: Fraction, *, approximate: bool = False) -> str:
    """An exact fraction as a decimal, or rounded to 4 places when it does not terminate."""
    if approximate:
        return qty_text(round_energy(value, ENGINE_DECIMALS))
    return qty_text(Decimal(value.numerator) / Decimal(value.denominator))


def _ordinal_text(ordinal: Fraction) -> str:
    day = date.fromordinal(int(ordinal))
    return f"{day.isoformat()} 12:00" if ordinal.denominator == 2 else day.isoformat()


def percent_text(value: Decimal) -> str:
    """``+5.0``, ``-3.25``, ``+0.0``: a signed percentage with at least one decimal."""
    exponent = value.as_tuple().exponent
    shown = value if isinstance(exponent, int) and exponent < 0 else value.quantize(Decimal("0.1"))
    text = format(abs(shown), "f")
    return f"-{text}" if value < 0 else f"+{text}"


def _window_problems(
    case: CorrectionCase, window_from: Fraction, window_to: Fraction, name: str
) -> list[Problem]:
    problems = []
    for index, period in enumerate(case.periods):
        inside = covered_days(
            start=period.usage.start, end=period.usage.end, window_from=window_from, window_to=window_to
        )
        if inside == 0:
            problems.append(
                Problem(
                    column=f"periods[{index}].period",
                    value=period.label,
                    reason=f"该期不在{name}的退补时间内 the period is outside the time the rule covers",
                )
            )
    return problems


def _check(case: CorrectionCase) -> None:
    """Every problem with the case at once (the JSON reader finds most of them first)."""
    problems: list[Problem] = []
    expected = _PARAMETERS_OF[case.reason]
    if not isinstance(case.parameters, expected):
        problems.append(
            Problem(column="parameters", reason=f"{case.reason.value} 需要 {expected.__name__} 参数")
        )
        raise InputRefused("退补请求有误 The correction case has errors", problems)
    if not case.periods:
        problems.append(Problem(column="periods", reason="至少需要一个计费期 at least one billed period"))
    if not 0 <= case.energy_decimals <= ENGINE_DECIMALS:
        problems.append(
            Problem(
                column="energy_decimals",
                value=str(case.energy_decimals),
                reason="电量小数位应为0–4 energy_decimals must be 0–4",
            )
        )
    ordered = sorted(enumerate(case.periods), key=lambda item: item[1].usage.start)
    for (_, before), (index, after) in itertools.pairwise(ordered):
        if after.usage.start < before.usage.end:
            problems.append(
                Problem(
                    column=f"periods[{index}].period",
                    value=after.label,
                    reason=f"与{before.label}重叠 overlaps another period",
                )
            )
    params = case.parameters
    if isinstance(params, MeterError):
        if params.error_percent <= -100:
            problems.append(
                Problem(
                    column="parameters.error_percent",
                    value=str(params.error_percent),
                    reason="误差应大于-100% must be above -100",
                )
            )
        if params.kvarh_error_percent is not None and params.kvarh_error_percent <= -100:
            problems.append(
                Problem(
                    column="parameters.kvarh_error_percent",
                    value=str(params.kvarh_error_percent),
                    reason="误差应大于-100% must be above -100",
                )
            )
        if params.corrected_on <= params.last_test:
            problems.append(
                Problem(
                    column="parameters.corrected_on",
                    value=params.corrected_on.isoformat(),
                    reason="误差更正日应晚于上次校验或换装日 must be after last_test",
                )
            )
        else:
            problems.extend(
                _window_problems(
                    case,
                    Fraction(params.last_test.toordinal()),
                    Fraction(params.corrected_on.toordinal()),
                    "自上次校验至误差更正",
                )
            )
    elif isinstance(params, WrongWiring):
        given = [params.correct_registration is not None, params.wrong_registration is not None]
        if (params.factor is None) != all(given) or (params.factor is not None and any(given)):
            problems.append(
                Problem(
                    column="parameters.factor",
                    reason="给 factor，或给 correct_registration 与 wrong_registration，二者取一 "
                    "give the factor or both registrations",
                )
            )
        for key, value in (
            ("factor", params.factor),
            ("correct_registration", params.correct_registration),
            ("wrong_registration", params.wrong_registration),
        ):
            if value is not None and value <= 0:
                problems.append(
                    Problem(column=f"parameters.{key}", value=str(value), reason="应大于0 must be above 0")
                )
        if params.kvarh_factor is not None and params.kvarh_factor <= 0:
            problems.append(
                Problem(
                    column="parameters.kvarh_factor",
                    value=str(params.kvarh_factor),
                    reason="更正系数应大于0 must be above 0",
                )
            )
        if params.corrected_on <= params.last_test:
            problems.append(
                Problem(
                    column="parameters.corrected_on",
                    value=params.corrected_on.isoformat(),
                    reason="接线更正日应晚于上次校验或换装日 must be after last_test",
                )
            )
        else:
            problems.extend(
                _window_problems(
                    case,
                    Fraction(params.last_test.toordinal()),
                    Fraction(params.corrected_on.toordinal()),
                    "自上次校验至接线更正",
                )
            )
    elif isinstance(params, WrongMultiplier):
        for key, value in (("billed", params.billed), ("right", params.right)):
            if value <= 0:
                problems.append(
                    Problem(
                        column=f"parameters.{key}_multiplier",
                        value=str(value),
                        reason="倍率应大于0 must be above 0",
                    )
                )
    elif isinstance(params, Misread):
        if params.multiplier <= 0:
            problems.append(
                Problem(
                    column="parameters.multiplier",
                    value=str(params.multiplier),
                    reason="倍率应大于0 must be above 0",
                )
            )
        if params.register not in REGISTERS:
            problems.append(
                Problem(
                    column="parameters.register",
                    value=params.register,
                    reason="应为 total / sharp / peak / valley / deep_valley",
                )
            )
        if len(case.periods) > 2:
            problems.append(
                Problem(
                    column="periods",
                    reason="抄错只涉及以该示数结束的一期及其下一期 a misread affects at most two periods",
                )
            )
        elif len(case.periods) == 2 and case.periods[1].usage.start != case.periods[0].usage.end:
            problems.append(
                Problem(
                    column="periods[1].period",
                    value=case.periods[1].label,
                    reason="第二期应紧接第一期（以误抄示数起算） must start where the first ends",
                )
            )
    elif isinstance(params, WrongTariff) and len(params.right_tariffs) not in (1, len(case.periods)):
        problems.append(
            Problem(
                column="parameters.right_tariff",
                reason="正确电价应为一个，或每期一个 one right tariff, or one per period",
            )
        )
    if problems:
        raise InputRefused("退补请求有误 The correction case has errors", problems)


def _plan(case: CorrectionCase) -> list[tuple[Tariff, UsageCase, Fraction]]:
    """Per period: the tariff and usage it should have been billed on, and the days covered."""
    params = case.parameters
    places = case.energy_decimals
    out: list[tuple[Tariff, UsageCase, Fraction]] = []
    for index, period in enumerate(case.periods):
        usage = period.usage
        days = Fraction(usage.end.toordinal() - usage.start.toordinal())
        if isinstance(params, MeterError | WrongWiring):
            if isinstance(params, MeterError):
                window = half_time_window(last_test=params.last_test, corrected_on=params.corrected_on)
                factor = 1 / (1 + _fraction(params.error_percent) / 100)
                kvarh = (
                    None
                    if params.kvarh_error_percent is None
                    else 1 / (1 + _fraction(params.kvarh_error_percent) / 100)
                )
            else:
                window = (Fraction(params.last_test.toordinal()), Fraction(params.corrected_on.toordinal()))
                factor = params.k
                kvarh = None if params.kvarh_factor is None else _fraction(params.kvarh_factor)
            inside = covered_days(
                start=usage.start, end=usage.end, window_from=window[0], window_to=window[1]
            )
            scale = _Scale(share=inside / days, factor=factor, kvarh_factor=kvarh)
            out.append((period.tariff, _scaled_usage(usage, scale, places), inside))
        elif isinstance(params, WrongMultiplier):
            ratio = _fraction(params.right) / _fraction(params.billed)
            scale = _Scale(share=Fraction(1), factor=ratio, kvarh_factor=ratio, demand=True)
            out.append((period.tariff, _scaled_usage(usage, scale, places), days))
        elif isinstance(params, Misread):
            delta = (params.right_reading - params.billed_reading) * params.multiplier
            if index == 1:
                delta = -delta
            out.append((period.tariff, _misread_usage(usage, params.register, delta, index), days))
        else:
            right = params.right_tariffs[0] if len(params.right_tariffs) == 1 else params.right_tariffs[index]
            category = params.right_category or right.category.value
            out.append((right, replace(usage, category=category), days))
    return out


def _misread_usage(usage: UsageCase, register: str, delta: Decimal, index: int) -> UsageCase:
    where = f"periods[{index}]"
    if register == "total":
        total = usage.total + delta
        if total < 0:
            raise InputRefused(
                "退补请求有误 The correction case has errors",
                [
                    Problem(
                        column=where,
                        value=str(total),
                        reason="更正后电量为负 the corrected energy is negative",
                    )
                ],
            )
        others = sum((v for p, v in usage.kwh_tou.items() if p is not TouPeriod.FLAT), _ZERO)
        if usage.kwh_tou and others > total:
            raise InputRefused(
                "退补请求有误 The correction case has errors",
                [Problem(column=where, reason="更正后各时段电量之和大于总电量 the periods exceed the total")],
            )
        return replace(usage, kwh_total=total)
    period = TouPeriod(register)
    if period not in usage.kwh_tou:
        raise InputRefused(
            "退补请求有误 The correction case has errors",
            [Problem(column=where, value=register, reason="计费用量中没有该时段 no such register billed")],
        )
    value = usage.kwh_tou[period] + delta
    tou = {**usage.kwh_tou, period: value}
    others = sum((v for p, v in tou.items() if p is not TouPeriod.FLAT), _ZERO)
    if value < 0 or (usage.kwh_total is not None and others > usage.kwh_total):
        raise InputRefused(
            "退补请求有误 The correction case has errors",
            [
                Problem(
                    column=where,
                    value=str(value),
                    reason="更正后时段电量不合理 the corrected register is invalid",
                )
            ],
        )
    return replace(usage, kwh_tou=tou)


def rule_text(case: CorrectionCase) -> str:
    """The rule applied, in words (Chinese, it is read by the customer and the reviewer)."""
    params = case.parameters
    if isinstance(params, MeterError):
        days = params.corrected_on.toordinal() - params.last_test.toordinal()
        window_from, _ = half_time_window(last_test=params.last_test, corrected_on=params.corrected_on)
        device = DEVICE_NAMES_ZH[params.device]
        error = percent_text(params.error_percent)
        text = (
            f"{device}误差{error}%，按自上次校验起的1/2时间退补"
            f"（上次校验或换装{params.last_test}至误差更正{params.corrected_on}共{days}天，"
            f"退补自{_ordinal_text(window_from)}起的{_days_text(Fraction(days, 2))}天，"
            f"实际电量=抄见电量÷(1{error}%)"
        )
        if params.kvarh_error_percent is not None:
            text += f"，无功误差{percent_text(params.kvarh_error_percent)}%"
        return text + "；《供电营业规则》第八十条）"
    if isinstance(params, WrongWiring):
        days = params.corrected_on.toordinal() - params.last_test.toordinal()
        text = (
            f"接线错误，更正系数K={params.k_text()}，按自上次校验或换装起的全部时间退补"
            f"（{params.last_test}至接线更正{params.corrected_on}共{days}天，实际电量=抄见电量×K"
        )
        if params.kvarh_factor is not None:
            text += f"，无功更正系数{qty_text(params.kvarh_factor)}"
        return text + "；《供电营业规则》第八十一条）"
    if isinstance(params, WrongMultiplier):
        return (
            f"倍率错误：按倍率{qty_text(params.billed)}计费，正确倍率为{qty_text(params.right)}，"
            f"各计度器电量×{qty_text(params.right)}/{qty_text(params.billed)}重新计算"
            "（《供电营业规则》第八十一条）"
        )
    if isinstance(params, Misread):
        delta = (params.right_reading - params.billed_reading) * params.multiplier
        register = "" if params.register == "total" else f"（{TouPeriod(params.register).value}时段）"
        text = (
            f"抄错：示数{register}误抄为{qty_text(params.billed_reading)}，应为{qty_text(params.right_reading)}，"
            f"倍率{qty_text(params.multiplier)}，电量差{qty_text(delta)}kWh"
        )
        if len(case.periods) == 2:
            text += "，下一期以误抄示数起算，反向调整"
        return text
    billed = "、".join(dict.fromkeys(p.tariff.version for p in case.periods))
    right = "、".join(dict.fromkeys(t.version for t in params.right_tariffs))
    return f"电价错误：按{billed}计费，应执行{right}，同一电量按正确电价重新计算"


def _kind_rank(code: str) -> int:
    """Lines in bill order: basic, energy, allowance, loss, 力调, funds (`bills.KIND_ORDER`)."""
    head = code.split(".", 1)[0]
    return KIND_ORDER.get("pf" if head == "pf_adjustment" else head, len(KIND_ORDER))


def _differences(billed: Bill, corrected: Bill) -> tuple[LineDifference, ...]:
    """Every line of either bill, matched by code, in bill order (a line only one bill has is
    0.00 on the other)."""
    before = {line.code: line for line in billed.lines}
    after = {line.code: line for line in corrected.lines}
    codes = sorted(dict.fromkeys([*before, *after]), key=_kind_rank)  # stable: billed order first
    return tuple(
        LineDifference(
            code=code,
            label=(after.get(code) or before[code]).label,
            billed=before[code].amount if code in before else Decimal("0.00"),
            corrected=after[code].amount if code in after else Decimal("0.00"),
        )
        for code in codes
    )


def compute(*, case: CorrectionCase, pf_tables: Mapping[str, PowerFactorTable]) -> CorrectionResult:
    """Each period priced as billed and as it should have been, and the difference line by line."""
    _check(case)
    plans = _plan(case)
    periods: list[PeriodCorrection] = []
    problems: list[Problem] = []
    for index, (period, (tariff, usage, inside)) in enumerate(zip(case.periods, plans, strict=True)):
        try:
            billed, why_billed = price_case(tariff=period.tariff, case=period.usage, pf_tables=pf_tables)
            corrected, why_corrected = price_case(tariff=tariff, case=usage, pf_tables=pf_tables)
        except TooPrecise as error:
            problems.append(Problem(column=f"periods[{index}].usage", reason=str(error)))
            continue
        if billed is None or corrected is None:
            why = why_billed if billed is None else why_corrected
            side = "按原计费" if billed is None else "按更正后"
            problems.append(
                Problem(column=f"periods[{index}]", value=period.label, reason=f"{side}无法计算电费：{why}")
            )
            continue
        periods.append(
            PeriodCorrection(
                label=period.label,
                start=period.usage.start,
                end=period.usage.end,
                covered_days=Decimal(inside.numerator) / Decimal(inside.denominator),
                billed_kwh=period.usage.total,
                corrected_kwh=usage.total,
                billed=billed,
                corrected=corrected,
                lines=_differences(billed, corrected),
            )
        )
    if problems:
        raise InputRefused("无法计算退补 The correction cannot be computed", problems)
    return CorrectionResult(reason=case.reason, periods=tuple(periods), rule=rule_text(case))
