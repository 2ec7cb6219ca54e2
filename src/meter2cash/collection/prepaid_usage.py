"""A smart-prepaid meter's daily usage from its daily frozen readings (日冻结示数). Pure.

Rules:

1. **What a frozen reading is.** A meter freezes its cumulative registers at 00:00 every day
   (DL/T 645 日冻结). A reading *frozen on* day D is the register at the start of D, so it closes
   day D − 1: the energy of a day is ``(R(D + 1) − R(D)) × multiplier`` (倍率, CT × PT ratio).
2. **Nothing is invented.** A day with no closing reading is not charged and is reported
   (`ReadingIssue` ``missing``). When a later reading arrives, the energy since the last good
   reading is measured, not estimated: it is charged on the day that reading closes, as one span
   that says which days it covers (``first_day`` … ``day``). A late reading (补招) that closes a
   day before the run is charged on the run's first day. Energy is never lost or made up.
3. **A register that goes backwards is skipped and reported** (``backwards``): the last good
   reading stays the base, so a glitch (100, 50, 101) charges 1 kWh, not 51. A replaced meter or
   a register rollover makes every later reading go backwards until the service restarts the
   series from the new meter's reading: each is reported, none is charged.
4. **Time-of-use registers** (尖峰平谷) must be the same set as the base reading's, each read; a
   reading that differs is skipped and reported (``registers_differ``). Each period's energy is
   computed like the total.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from meter2cash.billing.tariff import TouPeriod

ONE_DAY = timedelta(days=1)


def N_(message: str) -> str:
    """Mark an English message id for the catalog without translating it here."""
    return message


class BadReading(ValueError):
    """A frozen reading that is not a finite, non-negative Decimal, or readings given twice."""


@dataclass(frozen=True, slots=True)
class FrozenReading:
    """The cumulative registers frozen at 00:00 on ``frozen_on`` (kWh, before the multiplier):
    ``total`` and, for a time-of-use meter, ``periods``."""

    frozen_on: date
    total: Decimal
    periods: Mapping[TouPeriod, Decimal] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        for name, value in (("total", self.total), *((p.value, v) for p, v in self.periods.items())):
            if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
                raise BadReading(
                    f"register {name} frozen on {self.frozen_on} must be a Decimal ≥ 0: {value!r}"
                )


class IssueKind(StrEnum):
    MISSING = "missing"  # no reading closes this day
    BACKWARDS = "backwards"  # a register below the last good reading's
    REGISTERS_DIFFER = "registers_differ"  # not the same time-of-use registers as the base


ISSUE_TEMPLATES: Mapping[IssueKind, str] = MappingProxyType(
    {
        IssueKind.MISSING: N_(
            "No frozen reading closes {day}: the day is not charged until a later reading measures it"
        ),
        IssueKind.BACKWARDS: N_(
            "The {register} register frozen on {frozen_on} ({value} kWh) is below the last good "
            "reading's ({previous} kWh, frozen on {previous_on}): the reading is skipped"
        ),
        IssueKind.REGISTERS_DIFFER: N_(
            "The reading frozen on {frozen_on} has registers {registers}, the last good reading "
            "{previous}: the reading is skipped"
        ),
    }
)


@dataclass(frozen=True, slots=True)
class ReadingIssue:
    """A day not charged or a reading skipped: ``day`` is the day concerned (for a skipped reading,
    the day it would have closed); ``template`` (an English message id) and ``params`` say why."""

    kind: IssueKind
    day: date
    params: Mapping[str, str]

    @property
    def template(self) -> str:
        return ISSUE_TEMPLATES[self.kind]


@dataclass(frozen=True, slots=True)
class DayUsage:
    """The energy measured for the days ``first_day`` … ``day`` (one day, or a span after missing
    readings), after the multiplier; ``periods`` per time-of-use register when the meter has them."""

    day: date
    first_day: date
    kwh: Decimal
    periods: Mapping[TouPeriod, Decimal] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def days(self) -> int:
        return (self.day - self.first_day).days + 1


@dataclass(frozen=True, slots=True)
class DailyUsage:
    """The usages in day order, the issues, and the base for the next run (the last good reading)."""

    usages: tuple[DayUsage, ...]
    issues: tuple[ReadingIssue, ...]
    base: FrozenReading | None


def daily_usage(
    *,
    base: FrozenReading | None,
    readings: Sequence[FrozenReading],
    multiplier: Decimal,
    first_day: date,
    last_day: date,
) -> DailyUsage:
    """The usage of the days ``first_day`` … ``last_day`` (rules 1–4), from ``base`` (the last good
    reading before the run; None for a new meter, whose first reading becomes the base) and the
    ``readings`` frozen on the days after it up to ``last_day + 1``."""
    if not isinstance(multiplier, Decimal) or not multiplier.is_finite() or multiplier <= 0:
        raise BadReading(f"the multiplier must be a positive Decimal: {multiplier!r}")
    if last_day < first_day:
        raise BadReading(f"the last day {last_day} is before the first day {first_day}")
    if base is not None and base.frozen_on > first_day:
        raise BadReading(f"the base reading frozen on {base.frozen_on} is after the first day {first_day}")
    ordered = sorted(readings, key=lambda r: r.frozen_on)
    days = [r.frozen_on for r in ordered]
    if len(set(days)) != len(days):
        raise BadReading("two readings frozen on the same day")
    low = base.frozen_on if base is not None else first_day
    outside = [d for d in days if not low < d <= last_day + ONE_DAY and not (base is None and d == low)]
    if outside:
        raise BadReading(f"readings frozen outside ({low}, {last_day + ONE_DAY}]: {outside[0]}")
    usages: list[DayUsage] = []
    issues: list[ReadingIssue] = []
    closed: set[date] = set()
    for reading in ordered:
        if base is None:
            base = reading
            continue
        problem = _problem(base, reading)
        if problem is not None:
            issues.append(problem)
            continue
        day = max(reading.frozen_on - ONE_DAY, first_day)
        usage = DayUsage(
            day=day,
            first_day=base.frozen_on,
            kwh=(reading.total - base.total) * multiplier,
            periods=MappingProxyType(
                {p: (reading.periods[p] - base.periods[p]) * multiplier for p in reading.periods}
            ),
        )
        if usages and usages[-1].day == day:  # a late reading and the one after it: one span
            usage = _joined(usages.pop(), usage)
        usages.append(usage)
        closed.add(day)
        base = reading
    day = first_day
    while day <= last_day:
        if day not in closed:
            issues.append(ReadingIssue(kind=IssueKind.MISSING, day=day, params={"day": day.isoformat()}))
        day += ONE_DAY
    return DailyUsage(usages=tuple(usages), issues=tuple(sorted(issues, key=lambda i: i.day)), base=base)


def _problem(base: FrozenReading, reading: FrozenReading) -> ReadingIssue | None:
    closes = reading.frozen_on - ONE_DAY
    if set(reading.periods) != set(base.periods):
        return ReadingIssue(
            kind=IssueKind.REGISTERS_DIFFER,
            day=closes,
            params={
                "frozen_on": reading.frozen_on.isoformat(),
                "registers": _names(reading.periods),
                "previous": _names(base.periods),
            },
        )
    pairs = [("total", reading.total, base.total)]
    pairs += [(p.value, reading.periods[p], base.periods[p]) for p in TouPeriod if p in reading.periods]
    for register, value, previous in pairs:
        if value < previous:
            return ReadingIssue(
                kind=IssueKind.BACKWARDS,
                day=closes,
                params={
                    "register": register,
                    "frozen_on": reading.frozen_on.isoformat(),
                    "value": str(value),
                    "previous": str(previous),
                    "previous_on": base.frozen_on.isoformat(),
                },
            )
    return None


def _joined(earlier: DayUsage, later: DayUsage) -> DayUsage:
    return DayUsage(
        day=later.day,
        first_day=earlier.first_day,
        kwh=earlier.kwh + later.kwh,
        periods=MappingProxyType({p: earlier.periods[p] + later.periods[p] for p in later.periods}),
    )


def _names(periods: Mapping[TouPeriod, Decimal]) -> str:
    return "+".join(p.value for p in TouPeriod if p in periods) or "total"
