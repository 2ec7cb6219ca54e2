"""Issue (发行) rules: bill numbers, payment terms and the on-time issue deadline. Pure.

- **Bill numbers** are ``YYYY-NNNNNN``: the year the bill is issued and its place in that year's
  gap-free sequence (``2026-000001`` is the first bill issued in 2026).
- **Due date** (缴费期限) = issue day + the customer class's payment days. The defaults —
  residential 15 days, every other class 10 days — are **bureau practice, configurable**: the
  supply contract (供用电合同) sets the term, and late-payment penalties count from the day after.
- **On time** (发行及时率): a bill counts as issued on time when its issue day is at most
  ``on_time_days_after_reading`` days after its route book's reading day (抄表例日) of the period;
  default 7 days, bureau practice, configurable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import MappingProxyType


class BadIssuePolicy(ValueError):
    """A payment term or deadline out of its sensible range."""


DEFAULT_PAYMENT_DAYS: Mapping[str, int] = MappingProxyType({"residential": 15})
NUMBER_DIGITS = 6


@dataclass(frozen=True, slots=True)
class IssuePolicy:
    """payment_days: days from issue to due date per customer class; ``default_payment_days``
    for a class not listed. on_time_days_after_reading: the on-time issue deadline after the
    reading day."""

    payment_days: Mapping[str, int] = field(default_factory=lambda: DEFAULT_PAYMENT_DAYS)
    default_payment_days: int = 10
    on_time_days_after_reading: int = 7

    def __post_init__(self) -> None:
        for category, days in {**self.payment_days, "(default)": self.default_payment_days}.items():
            if isinstance(days, bool) or not isinstance(days, int) or days < 0:
                raise BadIssuePolicy(f"payment days of {category} must be a whole number of zero or more")
        if self.on_time_days_after_reading < 0:
            raise BadIssuePolicy("on_time_days_after_reading must not be negative")

    def terms(self, category: str) -> int:
        return self.payment_days.get(category, self.default_payment_days)


DEFAULT_ISSUE_POLICY = IssuePolicy()


def due_date(*, issued_on: date, category: str, policy: IssuePolicy = DEFAULT_ISSUE_POLICY) -> date:
    return issued_on + timedelta(days=policy.terms(category))


def bill_number(*, year: int, seq: int) -> str:
    """``2026-000001``; more than six digits of bills in a year simply widen the number."""
    if seq < 1:
        raise ValueError("bill numbers start at 1")
    return f"{year}-{seq:0{NUMBER_DIGITS}d}"


def issued_on_time(*, issued_on: date, reading_day: date, policy: IssuePolicy = DEFAULT_ISSUE_POLICY) -> bool:
    return issued_on <= reading_day + timedelta(days=policy.on_time_days_after_reading)
