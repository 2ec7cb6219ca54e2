"""The numbers behind the bill review rules (量费审核), in one frozen value. Pure.

Every threshold a review rule uses lives here with its default; no rule keeps a number of its own.
The defaults are **bureau practice, configurable**: 量费审核 tolerances are set by each bureau (and
often tightened for large customers), not by a regulation, so each is a starting point to be set
in configuration. docs/review-and-issue.md lists them with the rule that uses each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from types import MappingProxyType

from meter2cash.billing.review_codes import ReviewCode


class BadReviewPolicy(ValueError):
    """A policy number out of its sensible range."""


def _limits(values: dict[str, Decimal]) -> Mapping[str, Decimal]:
    return MappingProxyType(values)


DEFAULT_AMOUNT_LIMITS: Mapping[str, Decimal] = _limits(
    {
        "residential": Decimal("2000"),
        "general": Decimal("50000"),
        "agriculture": Decimal("50000"),
        "large_industry": Decimal("3000000"),
    }
)


@dataclass(frozen=True, slots=True)
class ReviewPolicy:
    """Thresholds of the bill review rules.

    history_periods:
        ENERGY_JUMP / AMOUNT_JUMP. How many of the account's previous periods (billing determinants
        for energy, bills for amounts) make the reference; weighted by days (Σ ÷ Σ days).
    history_lookback_months:
        ENERGY_JUMP / AMOUNT_JUMP. Only periods at most this many months before the bill's count.
    energy_jump_relative:
        ENERGY_JUMP (电量突变). The bill's kWh per day differs from the reference by more than this
        fraction of it (0.5 = ±50 %) …
    energy_jump_absolute_kwh_per_day:
        … and by more than this many kWh per day, so a small user is not flagged for a few kWh.
    amount_jump_relative / amount_jump_absolute_yuan_per_day:
        AMOUNT_JUMP (电费突变). The same two tests on the bill's total per day against the previous
        bills' totals per day, in 元.
    zero_kwh:
        ZERO_BILL. A bill of an active account with kWh at or below this (or a total of 0.00 元).
    amount_limits:
        OVER_LIMIT. The largest total (元) a bill of each customer class may have before a human
        looks at it; a class not listed uses ``default_amount_limit``.
    default_amount_limit:
        OVER_LIMIT. The limit for a class without its own.
    power_factor_floor:
        LOW_POWER_FACTOR. A bill whose assessed power factor is below this.
    estimated_qualities:
        ESTIMATED. The determinant qualities that mean the bill is not based on actual readings.
    notes:
        Codes that are only recorded (severity ``note``): the bill is still approved automatically.
        By default every code flags the bill for a human.
    """

    history_periods: int = 3
    history_lookback_months: int = 12
    energy_jump_relative: Decimal = Decimal("0.5")
    energy_jump_absolute_kwh_per_day: Decimal = Decimal("3")
    amount_jump_relative: Decimal = Decimal("0.5")
    amount_jump_absolute_yuan_per_day: Decimal = Decimal("2")
    zero_kwh: Decimal = Decimal("0")
    amount_limits: Mapping[str, Decimal] = field(default_factory=lambda: DEFAULT_AMOUNT_LIMITS)
    default_amount_limit: Decimal = Decimal("50000")
    power_factor_floor: Decimal = Decimal("0.80")
    estimated_qualities: frozenset[str] = frozenset({"estimated", "substituted"})
    notes: frozenset[ReviewCode] = frozenset()

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool):
                raise BadReviewPolicy(f"{item.name} must be a number, got {value!r}")
            if isinstance(value, int | Decimal) and value < 0:
                raise BadReviewPolicy(f"{item.name} must not be negative: {value}")
        if self.history_periods < 1:
            raise BadReviewPolicy("history_periods must be at least 1")
        if self.history_lookback_months < 1:
            raise BadReviewPolicy("history_lookback_months must be at least 1")
        if not Decimal(0) < self.power_factor_floor <= Decimal(1):
            raise BadReviewPolicy("power_factor_floor must be in (0, 1]")
        for category, limit in self.amount_limits.items():
            if not isinstance(limit, Decimal) or limit < 0:
                raise BadReviewPolicy(f"amount limit of {category} must be a Decimal of zero or more")
        unknown = {code for code in self.notes if not isinstance(code, ReviewCode)}
        if unknown:
            raise BadReviewPolicy(f"notes must be review codes: {sorted(map(str, unknown))}")

    def amount_limit(self, category: str) -> Decimal:
        return self.amount_limits.get(category, self.default_amount_limit)


DEFAULT_REVIEW_POLICY = ReviewPolicy()
