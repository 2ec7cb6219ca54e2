"""An account's past consumption and the daily-use references drawn from it. Pure.

Both the SPIKE checks (is this period's use out of line?) and estimation (估抄: what was this
period's use?) need the same two references, so they live here once:

- the average daily use of the previous N periods (SAP IS-U "previous periods", Oracle MDM
  "averaging" / average daily usage);
- the daily use of the same period last year (AEMO NEM12 substitution "previous year").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from meter2cash.platform.periods import Period


class BadHistory(ValueError):
    """A history entry that can't be used as a reference."""


@dataclass(frozen=True, slots=True)
class UsagePeriod:
    """kWh (after the multiplier) used over a closed half-open period ``[start, end)``."""

    period: Period
    kwh: Decimal

    def __post_init__(self) -> None:
        if self.period.end is None:
            raise BadHistory("a history period needs an end")
        if not isinstance(self.kwh, Decimal) or not self.kwh.is_finite() or self.kwh < 0:
            raise BadHistory(f"history kWh must be a Decimal, not negative: {self.kwh!r}")

    @property
    def days(self) -> int:
        return self.period.days


def recent_daily_average(
    history: Iterable[UsagePeriod], *, before: date, periods: int, max_age_days: int | None = None
) -> Decimal | None:
    """Average daily kWh of the last ``periods`` periods that started before ``before`` and, when
    ``max_age_days`` is given, ended no more than that many days before it (older ones are not
    "recent": a year-old period says more as "same period last year").

    Weighted by days (Σ kWh / Σ days), so a short period does not count as much as a long one.
    None when there is no such period.
    """
    oldest_end = None if max_age_days is None else before - timedelta(days=max_age_days)
    earlier = sorted(
        (
            h
            for h in history
            if h.period.start < before and (oldest_end is None or (h.period.end or before) >= oldest_end)
        ),
        key=lambda h: h.period.start,
    )
    chosen = earlier[-periods:] if periods > 0 else []
    days = sum(h.days for h in chosen)
    if days == 0:
        return None
    return sum((h.kwh for h in chosen), Decimal(0)) / days


def same_period_last_year_daily(
    history: Iterable[UsagePeriod], *, period: Period, min_coverage: Decimal
) -> Decimal | None:
    """Daily kWh over the same dates one year earlier (as many days, 29 Feb read as 28 Feb),
    prorated by the days each history period overlaps them. None when history covers less than
    ``min_coverage`` of those dates."""
    shifted = _year_before(period)
    covered = 0
    kwh = Decimal(0)
    for item in history:
        overlap = item.period.intersection(shifted)
        if overlap is None:
            continue
        covered += overlap.days
        kwh += item.kwh * overlap.days / item.days
    if covered == 0 or Decimal(covered) < min_coverage * shifted.days:
        return None
    return kwh / covered


def _year_before(period: Period) -> Period:
    if period.end is None:
        raise BadHistory("the period to compare needs an end")
    start = _minus_year(period.start)
    return Period(start, start + (period.end - period.start))


def _minus_year(day: date) -> date:
    if day.month == 2 and day.day == 29:
        return date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)
