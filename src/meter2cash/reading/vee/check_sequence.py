"""Checks of a reading against the readings around it: DUPLICATE, ROLLBACK / ROLLOVER, MISSING.
Pure.

Sources: SAP IS-U "meter overflow" and "previous meter reading implausible"; Oracle MDM duplicate
check, negative consumption and missing quantity; Q/GDW 1376.1 ERC27 示度下降.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from meter2cash.platform.periods import Period
from meter2cash.reading.vee.check_register import Registers
from meter2cash.reading.vee.codes import Severity, VeeCode
from meter2cash.reading.vee.findings import N_, Finding, finding
from meter2cash.reading.vee.policy import VeePolicy
from meter2cash.reading.vee.readings import MeterFacts
from meter2cash.reading.vee.register import advance

SECONDS_PER_HOUR = 3600


@dataclass(frozen=True, slots=True)
class Accepted:
    """A reading that may serve as the baseline of the next one. ``index`` None = the archive's."""

    index: int | None
    read_at: datetime
    registers: Registers


def duplicate(registers: Registers, *, read_at: datetime, earlier: Accepted, index: int) -> list[Finding]:
    """DUPLICATE: a second reading of the same meter on the same day. Identical registers are
    harmless (``info``); different ones conflict (``error``) and neither can be trusted blindly."""
    which = "archive" if earlier.index is None else f"#{earlier.index}"
    if registers == earlier.registers:
        return [
            finding(
                VeeCode.DUPLICATE,
                N_("same reading as {earlier} on {day}"),
                index=index,
                severity=Severity.INFO,
                earlier=which,
                day=read_at.date().isoformat(),
            )
        ]
    return [
        finding(
            VeeCode.DUPLICATE,
            N_("conflicts with reading {earlier} on {day}: total {total} vs {earlier_total}"),
            index=index,
            earlier=which,
            day=read_at.date().isoformat(),
            total=registers.total,
            earlier_total=earlier.registers.total,
        )
    ]


def hours_between(start: datetime, end: datetime) -> Decimal:
    """Exact hours between two times (whole seconds)."""
    return Decimal(int((end - start).total_seconds())) / SECONDS_PER_HOUR


def register_advance(
    registers: Registers,
    *,
    baseline: Accepted,
    read_at: datetime,
    meter: MeterFacts,
    index: int,
    policy: VeePolicy,
) -> tuple[Decimal | None, list[Finding]]:
    """The total register's advance since the baseline, or None with ROLLBACK when it went down
    implausibly. A lower reading is a ROLLOVER (accepted, flagged for review) when the wrapped
    advance is at most ``rollover_max_range_fraction`` of the register range and, when the
    capacity is known, its energy is within capacity × hours × ``capacity_load_factor``."""
    previous, current = baseline.registers.total, registers.total
    if current >= previous:
        return current - previous, []
    moved = advance(previous=previous, current=current, spec=meter.register)
    range_limit = meter.register.modulus * policy.rollover_max_range_fraction
    plausible = moved <= range_limit
    if meter.capacity_kva is not None:
        most = meter.capacity_kva * hours_between(baseline.read_at, read_at) * policy.capacity_load_factor
        plausible = plausible and moved * meter.multiplier <= most
    if plausible:
        return moved, [
            finding(
                VeeCode.ROLLOVER,
                N_("register wrapped from {previous} past {maximum} to {current}; advance {moved}"),
                index=index,
                previous=previous,
                maximum=meter.register.maximum,
                current=current,
                moved=moved,
            )
        ]
    return None, [
        finding(
            VeeCode.ROLLBACK,
            N_(
                "register went down from {previous} to {current}; a rollover would mean "
                "an implausible advance of {moved}"
            ),
            index=index,
            previous=previous,
            current=current,
            moved=moved,
        )
    ]


def gap_since(*, baseline: Accepted, read_at: datetime, index: int, policy: VeePolicy) -> list[Finding]:
    """MISSING: the previous accepted reading is more than ``max_days_between_readings`` ago."""
    days = (read_at.date() - baseline.read_at.date()).days
    if days <= policy.max_days_between_readings:
        return []
    return [
        finding(
            VeeCode.MISSING,
            N_("no reading between {start} and {end} ({days} days; at most {limit} allowed)"),
            index=index,
            start=baseline.read_at.date().isoformat(),
            end=read_at.date().isoformat(),
            days=days,
            limit=policy.max_days_between_readings,
        )
    ]


def missing_in_window(
    read_days: Iterable[date], *, window: Period | None, as_of: datetime | None
) -> list[Finding]:
    """MISSING (meter level): no valid reading in the reading window, once the window has closed
    (``as_of`` on or after its end; without ``as_of`` the window is taken as closed)."""
    if window is None or window.end is None:
        return []
    if as_of is not None and as_of.date() < window.end:
        return []
    if any(window.contains(day) for day in read_days):
        return []
    return [
        finding(
            VeeCode.MISSING,
            N_("no valid reading in the reading window {start} to {end}"),
            index=None,
            start=window.start.isoformat(),
            end=window.end.isoformat(),
        )
    ]
