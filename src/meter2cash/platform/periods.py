"""Half-open date periods ``[start, end)``.

A period includes its start day and excludes its end day, so consecutive periods meet without
overlap or gap (the Kraken habit of ``active_from`` / ``active_to``). An open end (``None``) means
"until further notice".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import pairwise


class BadPeriod(ValueError):
    """A period whose end is not after its start."""


@dataclass(frozen=True, slots=True)
class Period:
    """Days ``start <= d < end``; ``end=None`` is open-ended."""

    start: date
    end: date | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.end <= self.start:
            raise BadPeriod(f"period end {self.end} must be after its start {self.start}")

    def contains(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)

    def overlaps(self, other: Period) -> bool:
        starts_before_other_ends = other.end is None or self.start < other.end
        other_starts_before_self_ends = self.end is None or other.start < self.end
        return starts_before_other_ends and other_starts_before_self_ends

    @property
    def days(self) -> int:
        if self.end is None:
            raise BadPeriod("an open-ended period has no day count")
        return (self.end - self.start).days

    def intersection(self, other: Period) -> Period | None:
        start = max(self.start, other.start)
        ends = [e for e in (self.end, other.end) if e is not None]
        end = min(ends) if ends else None
        if end is not None and end <= start:
            return None
        return Period(start, end)


def month_period(*, year: int, month: int) -> Period:
    """The calendar month as a half-open period."""
    end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return Period(date(year, month, 1), end)


def first_overlap(periods: list[Period]) -> tuple[int, int] | None:
    """Indexes of the first pair of overlapping periods, or None when they are disjoint."""
    order = sorted(range(len(periods)), key=lambda i: periods[i].start)
    for a, b in pairwise(order):
        if periods[a].overlaps(periods[b]):
            return (a, b)
    return None
