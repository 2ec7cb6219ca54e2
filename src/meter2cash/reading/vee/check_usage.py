"""Checks of a period's consumption: ZERO, STOPPED, SPIKE_HIGH / SPIKE_LOW, OVER_CAPACITY,
INACTIVE_USAGE. Pure.

Sources: SAP IS-U plausibility checks (zero consumption, tolerance against previous periods,
usage hours, consumption while inactive); Oracle MDM zero consumption, high/low check against
average daily usage, inactive measurement check; Q/GDW 1376.1 ERC28 电能量超差 and ERC30 停走.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from meter2cash.platform.money import round_to
from meter2cash.platform.periods import Period
from meter2cash.reading.usage_history import UsagePeriod, recent_daily_average, same_period_last_year_daily
from meter2cash.reading.vee.codes import VeeCode
from meter2cash.reading.vee.findings import N_, Finding, finding
from meter2cash.reading.vee.policy import VeePolicy
from meter2cash.reading.vee.readings import MeterFacts, MeterStatus

SHOWN_PLACES = 2


@dataclass(frozen=True, slots=True)
class PeriodUse:
    """The consumption of one read period."""

    index: int
    period: Period  # from the baseline's reading day to this reading's day
    hours: Decimal
    moved: Decimal  # register advance
    kwh: Decimal  # advance × multiplier
    area_supply_kwh: Decimal | None = None


def usage_checks(
    use: PeriodUse, *, meter: MeterFacts, history: Sequence[UsagePeriod], policy: VeePolicy
) -> list[Finding]:
    """All consumption checks, the more specific one hiding the more general:
    STOPPED hides ZERO, ZERO hides SPIKE_LOW; an inactive meter is only checked for use at all."""
    found = over_capacity(use, meter=meter, policy=policy)
    if meter.status is not MeterStatus.ACTIVE:
        return found + inactive_usage(use, meter=meter, policy=policy)
    quiet = stopped(use, policy=policy) or zero(use, policy=policy)
    if quiet:
        return found + quiet
    return found + spike(use, history=history, policy=policy)


def zero(use: PeriodUse, *, policy: VeePolicy) -> list[Finding]:
    """ZERO: an active meter recorded no more than ``zero_threshold_kwh`` over the period."""
    if use.kwh > policy.zero_threshold_kwh:
        return []
    return [
        finding(
            VeeCode.ZERO,
            N_("{kwh} kWh over {days} days on an active account"),
            index=use.index,
            kwh=use.kwh,
            days=use.period.days,
        )
    ]


def stopped(use: PeriodUse, *, policy: VeePolicy) -> list[Finding]:
    """STOPPED: the register did not move while the area's supply meter recorded more than
    ``stopped_area_min_kwh_per_day`` per day, so the area had power and load."""
    if use.moved != 0 or use.area_supply_kwh is None:
        return []
    if use.area_supply_kwh <= policy.stopped_area_min_kwh_per_day * use.period.days:
        return []
    return [
        finding(
            VeeCode.STOPPED,
            N_("register unchanged over {days} days while the area's supply meter recorded {area_kwh} kWh"),
            index=use.index,
            days=use.period.days,
            area_kwh=use.area_supply_kwh,
        )
    ]


def over_capacity(use: PeriodUse, *, meter: MeterFacts, policy: VeePolicy) -> list[Finding]:
    """OVER_CAPACITY: more kWh than capacity (kVA) × hours × ``capacity_load_factor``."""
    if meter.capacity_kva is None:
        return []
    most = meter.capacity_kva * use.hours * policy.capacity_load_factor
    if use.kwh <= most:
        return []
    return [
        finding(
            VeeCode.OVER_CAPACITY,
            N_("{kwh} kWh in {hours} h exceeds {capacity} kVA × {hours} h × {factor} = {most} kWh"),
            index=use.index,
            kwh=use.kwh,
            hours=round_to(use.hours, places=SHOWN_PLACES),
            capacity=meter.capacity_kva,
            factor=policy.capacity_load_factor,
            most=round_to(most, places=SHOWN_PLACES),
        )
    ]


def inactive_usage(use: PeriodUse, *, meter: MeterFacts, policy: VeePolicy) -> list[Finding]:
    """INACTIVE_USAGE: a suspended, closed or disconnected meter recorded energy."""
    if use.kwh <= policy.inactive_usage_tolerance_kwh:
        return []
    return [
        finding(
            VeeCode.INACTIVE_USAGE,
            N_("{kwh} kWh recorded while the meter is {status}"),
            index=use.index,
            kwh=use.kwh,
            status=meter.status.value,
        )
    ]


def spike(use: PeriodUse, *, history: Sequence[UsagePeriod], policy: VeePolicy) -> list[Finding]:
    """SPIKE_HIGH / SPIKE_LOW against the account's own history.

    References: the average daily use of the previous ``history_periods`` periods, and the daily
    use of the same period last year. Each is scaled to the period's days. The reading is out of
    tolerance against a reference when it deviates by more than ``spike_*_relative`` × reference
    AND by more than ``spike_absolute_kwh_per_day`` × days. It is flagged only when it is out of
    tolerance, in the same direction, against every reference there is, so a seasonal swing that
    last year explains is not flagged.
    """
    days = use.period.days
    references = _references(use.period, history=history, policy=policy)
    if not references:
        return []
    absolute = policy.spike_absolute_kwh_per_day * days
    if all(
        use.kwh - expected > max(expected * policy.spike_high_relative, absolute)
        for _, expected in references
    ):
        return [_spike(VeeCode.SPIKE_HIGH, use, references, policy.spike_high_relative, absolute)]
    if all(
        expected - use.kwh > max(expected * policy.spike_low_relative, absolute) for _, expected in references
    ):
        return [_spike(VeeCode.SPIKE_LOW, use, references, policy.spike_low_relative, absolute)]
    return []


_RECENT = "recent"
_LAST_YEAR = "last_year"


def _references(
    period: Period, *, history: Sequence[UsagePeriod], policy: VeePolicy
) -> list[tuple[str, Decimal]]:
    found: list[tuple[str, Decimal]] = []
    recent = recent_daily_average(
        history, before=period.start, periods=policy.history_periods, max_age_days=policy.history_max_age_days
    )
    if recent is not None:
        found.append((_RECENT, recent * period.days))
    last_year = same_period_last_year_daily(
        history, period=period, min_coverage=policy.same_period_min_coverage
    )
    if last_year is not None:
        found.append((_LAST_YEAR, last_year * period.days))
    return found


def _spike(
    code: VeeCode,
    use: PeriodUse,
    references: list[tuple[str, Decimal]],
    relative: Decimal,
    absolute: Decimal,
) -> Finding:
    shown = dict(references)
    none = "-"
    return finding(
        code,
        N_(
            "{kwh} kWh over {days} days against {recent} kWh expected from recent periods and "
            "{last_year} kWh from the same period last year (tolerance {relative} and "
            "{absolute} kWh)"
        ),
        index=use.index,
        kwh=use.kwh,
        days=use.period.days,
        recent=_shown(shown.get(_RECENT), none),
        last_year=_shown(shown.get(_LAST_YEAR), none),
        relative=f"{(relative * 100).normalize():f}%",
        absolute=absolute,
    )


def _shown(value: Decimal | None, none: str) -> str:
    return none if value is None else str(round_to(value, places=SHOWN_PLACES))
