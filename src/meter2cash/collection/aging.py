"""Arrears aging (欠费账龄) and the recovery rate (电费回收率). Pure: no database, no clock.

Rules (docs/collection-kpis.md):

- **Days overdue** of an open amount as of a day = that day − its due date (缴费截止日期). The due
  date itself is day 0: the amount is due, though its late fee only starts the day after.
- An amount whose due date is still ahead (days overdue < 0) is **current** (未到期), reported apart
  from the buckets.
- The **buckets** are set by a policy of inclusive upper bounds; the default ``(30, 90, 180, 365)``
  makes 0–30, 31–90, 91–180, 181–365 and over 365 days. Every open amount falls in exactly one of
  current or a bucket, so current plus the buckets add up to the total exactly.
- The **recovery rate** = collected ÷ issued × 100, a percent rounded half-up to 2 places
  (`platform.money.round_to`); None when nothing was issued.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from meter2cash.platform.money import round_to

ZERO = Decimal("0.00")


class BadAgingPolicy(ValueError):
    """Bucket bounds that are not non-negative, strictly increasing whole days."""


@dataclass(frozen=True, slots=True)
class AgingPolicy:
    """The buckets' inclusive upper bounds in days overdue; the last bucket is open-ended."""

    bounds: tuple[int, ...] = (30, 90, 180, 365)

    def __post_init__(self) -> None:
        if not self.bounds:
            raise BadAgingPolicy("an aging policy needs at least one bound")
        if any(not isinstance(bound, int) or isinstance(bound, bool) for bound in self.bounds):
            raise BadAgingPolicy(f"aging bounds must be whole days: {self.bounds!r}")
        if self.bounds[0] < 0 or any(b <= a for a, b in zip(self.bounds, self.bounds[1:], strict=False)):
            raise BadAgingPolicy(
                f"aging bounds must be non-negative and strictly increasing: {self.bounds!r}"
            )


DEFAULT_AGING = AgingPolicy()


@dataclass(frozen=True, slots=True)
class OpenAmount:
    """Principal still owed, ``days_overdue`` days past its due date (negative: not yet due);
    ``items`` is how many bills it stands for (a caller may add up bills with one due date)."""

    days_overdue: int
    amount: Decimal
    items: int = 1


@dataclass(frozen=True, slots=True)
class Bucket:
    """One aging bucket: ``min_days`` ≤ days overdue ≤ ``max_days`` (None: no upper bound)."""

    key: str
    min_days: int
    max_days: int | None
    amount: Decimal = ZERO
    items: int = 0

    def holds(self, days_overdue: int) -> bool:
        return self.min_days <= days_overdue and (self.max_days is None or days_overdue <= self.max_days)

    def as_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "min_days": self.min_days,
            "max_days": self.max_days,
            "amount": str(self.amount),
            "items": self.items,
        }


@dataclass(frozen=True, slots=True)
class Aging:
    """Open amounts split into current (not yet due) and the policy's buckets."""

    current: Decimal
    current_items: int
    buckets: tuple[Bucket, ...]

    @property
    def overdue(self) -> Decimal:
        """What is due or past due: the buckets' sum."""
        return sum((bucket.amount for bucket in self.buckets), ZERO)

    @property
    def total(self) -> Decimal:
        return self.current + self.overdue

    @property
    def items(self) -> int:
        return self.current_items + sum(bucket.items for bucket in self.buckets)


def days_overdue(*, due_on: date, as_of: date) -> int:
    """As-of day − due date: 0 on the due date, negative before it."""
    return (as_of - due_on).days


def empty_buckets(policy: AgingPolicy = DEFAULT_AGING) -> tuple[Bucket, ...]:
    """The policy's buckets, empty: ``0-30``, ``31-90``, …, ``over_365`` by default."""
    buckets = []
    low = 0
    for high in policy.bounds:
        buckets.append(Bucket(key=f"{low}-{high}", min_days=low, max_days=high))
        low = high + 1
    buckets.append(Bucket(key=f"over_{policy.bounds[-1]}", min_days=low, max_days=None))
    return tuple(buckets)


def age(*, items: Iterable[OpenAmount], policy: AgingPolicy = DEFAULT_AGING) -> Aging:
    """Put each open amount in current (days overdue < 0) or the one bucket that holds it."""
    shape = empty_buckets(policy)
    amounts = [ZERO] * len(shape)
    counts = [0] * len(shape)
    current_amount, current_items = ZERO, 0
    for item in items:
        if item.days_overdue < 0:
            current_amount += item.amount
            current_items += item.items
            continue
        index = next(i for i, bucket in enumerate(shape) if bucket.holds(item.days_overdue))
        amounts[index] += item.amount
        counts[index] += item.items
    return Aging(
        current=current_amount,
        current_items=current_items,
        buckets=tuple(
            Bucket(key=b.key, min_days=b.min_days, max_days=b.max_days, amount=a, items=n)
            for b, a, n in zip(shape, amounts, counts, strict=True)
        ),
    )


def recovery_rate(*, collected: Decimal, issued: Decimal) -> Decimal | None:
    """电费回收率: collected ÷ issued as a percent, 2 places half-up; None when nothing was issued
    (issued ≤ 0)."""
    if issued <= 0:
        return None
    return round_to(collected * 100 / issued, places=2)
