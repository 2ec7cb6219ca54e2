"""The numbers behind the reading checks (抄表 VEE), in one frozen value. Pure.

Every threshold a check uses lives here with its default and the practice it comes from; no rule
keeps a number of its own. Bureaus and provinces differ, so each default is a starting point to be
set in configuration (see docs/vee.md for the sources).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal


class BadPolicy(ValueError):
    """A policy number out of its sensible range."""


@dataclass(frozen=True, slots=True)
class VeePolicy:
    """Thresholds of the reading checks.

    rollover_max_range_fraction:
        ROLLOVER vs ROLLBACK. A lower reading is a plausible wrap only when the wrapped advance is at
        most this fraction of the register range (10ⁿ). SAP IS-U "meter overflow" check.
    capacity_load_factor:
        OVER_CAPACITY, and the capacity bound on a plausible wrap: the most energy a meter can record
        is capacity (kVA) × hours × this factor (1.0 = full nameplate load around the clock).
        SAP IS-U "usage hours" check.
    zero_threshold_kwh:
        ZERO. Consumption at or below this on an active meter counts as zero. Oracle MDM zero
        consumption check.
    history_periods:
        SPIKE_HIGH / SPIKE_LOW. How many previous periods make the average daily use reference.
    history_max_age_days:
        SPIKE_*. A previous period counts as recent only if it ended at most this many days before
        the period checked.
    same_period_min_coverage:
        SPIKE_*. The share of the period that last year's history must cover before the same period
        last year is used as a reference.
    spike_high_relative / spike_low_relative:
        SPIKE_*. Relative tolerance around a reference: high when above it by more than this
        fraction, low when below it by more than this fraction. SAP IS-U tolerance limits, Oracle
        MDM high/low check against average daily usage.
    spike_absolute_kwh_per_day:
        SPIKE_*. Absolute tolerance, per day of the period, that the deviation must exceed as well,
        so small consumers are not flagged for a few kWh.
    tou_sum_steps_per_register:
        TOU_SUM. Each displayed register may be off by this many steps of its last digit (display
        rounding); the total may differ from the sum of n registers by n × that. Oracle MDM sum check.
    inactive_usage_tolerance_kwh:
        INACTIVE_USAGE. Consumption above this on a suspended, closed or disconnected meter is
        flagged. SAP IS-U "consumption while inactive", Oracle MDM inactive measurement check.
    max_days_between_readings:
        MISSING. Two accepted readings further apart than this leave a period unread.
        Oracle MDM missing quantity.
    stopped_area_min_kwh_per_day:
        STOPPED. The area's supply meter (台区总表) "shows load" when it recorded more than this per
        day of the period. Q/GDW 1376.1 ERC30 停走.
    clock_drift_tolerance_seconds:
        CLOCK_DRIFT. The meter's clock may differ from the reading time by this much.
    """

    rollover_max_range_fraction: Decimal = Decimal("0.1")
    capacity_load_factor: Decimal = Decimal("1")
    zero_threshold_kwh: Decimal = Decimal("0")
    history_periods: int = 3
    history_max_age_days: int = 120
    same_period_min_coverage: Decimal = Decimal("0.5")
    spike_high_relative: Decimal = Decimal("1")
    spike_low_relative: Decimal = Decimal("0.7")
    spike_absolute_kwh_per_day: Decimal = Decimal("2")
    tou_sum_steps_per_register: Decimal = Decimal("1")
    inactive_usage_tolerance_kwh: Decimal = Decimal("0")
    max_days_between_readings: int = 45
    stopped_area_min_kwh_per_day: Decimal = Decimal("1")
    clock_drift_tolerance_seconds: int = 300

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int | Decimal):
                raise BadPolicy(f"{field.name} must be a Decimal or an int, got {value!r}")
            if value < 0:
                raise BadPolicy(f"{field.name} must not be negative: {value}")
        if not 0 < self.rollover_max_range_fraction <= 1:
            raise BadPolicy("rollover_max_range_fraction must be in (0, 1]")
        if self.capacity_load_factor <= 0:
            raise BadPolicy("capacity_load_factor must be positive")
        if self.history_periods < 1:
            raise BadPolicy("history_periods must be at least 1")
        if self.spike_low_relative > 1:
            raise BadPolicy("spike_low_relative must be at most 1")
        if self.max_days_between_readings < 1:
            raise BadPolicy("max_days_between_readings must be at least 1")


DEFAULT_POLICY = VeePolicy()
