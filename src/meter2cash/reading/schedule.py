"""The reading schedule (抄表计划) of a route book: due day and window. Pure.

Rule: each route book is read on its reading day (抄表例日, 1–28) of every month. A reading is
accepted for the period from ``early_days`` before the due day to the window's last day,
``window_days`` after it; the day after the window closes, a meter with no reading is missed
(漏抄). Both numbers are policy, not law: bureaus set them in their reading rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from meter2cash.platform.periods import Period


class BadPeriodLabel(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class SchedulePolicy:
    window_days: int = 3
    early_days: int = 2

    def __post_init__(self) -> None:
        if self.window_days < 0 or self.early_days < 0:
            raise ValueError("reading window days must not be negative")


DEFAULT_SCHEDULE = SchedulePolicy()


def parse_period(label: str) -> tuple[int, int]:
    """``"2026-11"`` → (2026, 11)."""
    try:
        year_text, month_text = label.split("-")
        year, month = int(year_text), int(month_text)
    except ValueError:
        raise BadPeriodLabel(f"a period is written YYYY-MM, e.g. 2026-11: {label!r}") from None
    if not (2000 <= year <= 2100 and 1 <= month <= 12) or len(label) != 7:
        raise BadPeriodLabel(f"a period is written YYYY-MM, e.g. 2026-11: {label!r}")
    return year, month


def due_date(*, period: str, reading_day: int) -> date:
    year, month = parse_period(period)
    return date(year, month, reading_day)


def acceptance_window(*, due_on: date, policy: SchedulePolicy = DEFAULT_SCHEDULE) -> Period:
    """Days a reading counts for this task: half-open, so the end is the first day it is missed."""
    return Period(due_on - timedelta(days=policy.early_days), due_on + timedelta(days=policy.window_days + 1))


def is_missed(*, window_closes_on: date, as_of: date) -> bool:
    """A task without a reading is missed from the day after its window closes."""
    return as_of > window_closes_on


def previous_period(period: str) -> str:
    year, month = parse_period(period)
    return f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"
