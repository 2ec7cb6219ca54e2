"""Clocks, injected. Rule code never reads the clock: services get a `Clock` and pass dates in.

Business dates are in Asia/Shanghai (UTC+8, no daylight saving): a payment at 23:30 Beijing
time on the 15th is paid on the 15th, whatever the server's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...


class SystemClock:
    """The real clock. Only the composition root creates one."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that stands still until told to move, for tests and reproducible demos."""

    instant: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))

    def __post_init__(self) -> None:
        if self.instant.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware instant")

    def now(self) -> datetime:
        return self.instant

    def advance(self, delta: timedelta) -> None:
        self.instant = self.instant + delta


def business_date(instant: datetime) -> date:
    """The Asia/Shanghai calendar date of an instant."""
    if instant.tzinfo is None:
        raise ValueError("business_date needs a timezone-aware instant")
    return instant.astimezone(BUSINESS_TZ).date()
