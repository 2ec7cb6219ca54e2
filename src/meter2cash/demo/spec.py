"""What demo bureau to build: its size, seed and history window, and the mix of customers,
payment modes and planted faults. Pure values; every number here is a default a caller may change.

Reproducibility rule: the same `DemoSpec` gives the same bureau, byte for byte. Nothing reads the
clock; the history window is fixed by ``until`` (exclusive) and ``months``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

DEFAULT_ACCOUNTS = 20_000
DEFAULT_SEED = 20251001
DEFAULT_UNTIL = date(2026, 11, 1)
DEFAULT_MONTHS = 13


@dataclass(frozen=True, slots=True)
class Mix:
    """Shares of the population and of the planted faults (fractions of all accounts)."""

    residential: float = 0.90
    general: float = 0.08
    large_industry: float = 0.015  # the rest is agriculture
    residential_card: float = 0.10  # IC卡 card meters
    residential_smart: float = 0.25  # 费控 remote prepaid
    general_smart: float = 0.15
    residential_tou: float = 0.15  # 峰谷 households, mostly electric heating
    accounts_per_area: int = 133
    accounts_per_book: int = 333
    large_industry_per_feeder: int = 30
    misread: float = 0.005
    missed: float = 0.01
    rollover: float = 0.00025  # a handful
    replacement: float = 0.005
    stopped: float = 0.002
    theft: float = 0.005
    theft_in_hot_areas: float = 0.7  # theft concentrates in a few areas
    late_payer: float = 0.08
    chronic_non_payer: float = 0.015


@dataclass(frozen=True, slots=True)
class DemoSpec:
    accounts: int = DEFAULT_ACCOUNTS
    seed: int = DEFAULT_SEED
    until: date = DEFAULT_UNTIL
    months: int = DEFAULT_MONTHS
    mix: Mix = field(default_factory=Mix)

    def __post_init__(self) -> None:
        if self.accounts < 20:
            raise ValueError("a demo bureau needs at least 20 accounts")
        if not 2 <= self.months <= 60:
            raise ValueError("the history covers 2 to 60 months")
        if self.seed < 0:
            raise ValueError("the seed must not be negative")

    @property
    def start(self) -> date:
        """The first day of the history: ``months`` calendar months before ``until``."""
        month_index = self.until.year * 12 + self.until.month - 1 - self.months
        year, month = divmod(month_index, 12)
        return date(year, month + 1, min(self.until.day, 28))

    def days(self) -> list[date]:
        """Every day of the history window ``[start, until)``."""
        count = (self.until - self.start).days
        return [self.start + timedelta(days=i) for i in range(count)]

    def identity(self) -> dict[str, object]:
        """What makes two demo bureaus the same one (written to the manifest)."""
        return {
            "accounts": self.accounts,
            "seed": self.seed,
            "until": self.until.isoformat(),
            "months": self.months,
            "mix": asdict(self.mix),
        }
