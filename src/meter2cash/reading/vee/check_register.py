"""Checks on a reading's own registers: INVALID, TOU_SUM, MULTIPLIER_CHANGE, CLOCK_DRIFT. Pure.

Sources: Oracle MDM "sum check" and "multiplier check"; the 分时示数不平 check every Chinese
billing system runs; DL/T 645 meters keep their own clock and collection terminals correct it
(对时) when it drifts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from meter2cash.reading.vee.codes import VeeCode
from meter2cash.reading.vee.findings import N_, Finding, finding
from meter2cash.reading.vee.policy import VeePolicy
from meter2cash.reading.vee.readings import MeterFacts, MeterReading, RegisterValue
from meter2cash.reading.vee.register import RegisterSpec


@dataclass(frozen=True, slots=True)
class Registers:
    """A reading's registers once they are known to be valid numbers the meter can show."""

    total: Decimal
    tou: Mapping[str, Decimal]


def parse_registers(
    reading: MeterReading, *, meter: MeterFacts, index: int, as_of: datetime | None
) -> tuple[Registers | None, list[Finding]]:
    """INVALID: negative, non-numeric or more digits than the register has; a time-of-use register
    the meter doesn't keep or one it keeps missing; a reading time after ``as_of``."""
    problems: list[Finding] = []
    total = _register_value("total", reading.total, meter.register, index, problems)
    tou: dict[str, Decimal] = {}
    for register in meter.tou_registers:
        name = register.value
        if name not in reading.tou:
            problems.append(
                finding(VeeCode.INVALID, N_("register {register} is missing"), index=index, register=name)
            )
            continue
        value = _register_value(name, reading.tou[name], meter.register, index, problems)
        if value is not None:
            tou[name] = value
    for extra in sorted(set(reading.tou) - {r.value for r in meter.tou_registers}):
        problems.append(
            finding(VeeCode.INVALID, N_("the meter has no register {register}"), index=index, register=extra)
        )
    if as_of is not None and reading.read_at > as_of:
        problems.append(
            finding(
                VeeCode.INVALID,
                N_("reading time {read_at} is after {as_of}"),
                index=index,
                read_at=reading.read_at.isoformat(),
                as_of=as_of.isoformat(),
            )
        )
    if problems or total is None:
        return None, problems
    return Registers(total=total, tou=tou), []


def tou_sum(registers: Registers, *, meter: MeterFacts, index: int, policy: VeePolicy) -> list[Finding]:
    """TOU_SUM: 尖+峰+平+谷 must equal the total within display rounding.

    Tolerance = number of TOU registers × ``tou_sum_steps_per_register`` × one step of the last
    digit. The difference is taken modulo the register range, so a total that has wrapped while
    its parts have not yet still adds up.
    """
    if not registers.tou:
        return []
    parts = sum(registers.tou.values(), Decimal(0))
    modulus = meter.register.modulus
    gap = abs(parts - registers.total) % modulus  # Decimal % keeps the sign: take abs first
    gap = min(gap, modulus - gap)
    tolerance = len(registers.tou) * policy.tou_sum_steps_per_register * meter.register.resolution
    if gap <= tolerance:
        return []
    return [
        finding(
            VeeCode.TOU_SUM,
            N_(
                "time-of-use registers add up to {parts} but the total shows {total} "
                "(difference {gap}, tolerance {tolerance})"
            ),
            index=index,
            parts=parts,
            total=registers.total,
            gap=gap,
            tolerance=tolerance,
        )
    ]


def multiplier_change(reading: MeterReading, *, meter: MeterFacts, index: int) -> list[Finding]:
    """MULTIPLIER_CHANGE: the multiplier found in the field differs from the archive's."""
    if reading.multiplier is None or reading.multiplier == meter.multiplier:
        return []
    return [
        finding(
            VeeCode.MULTIPLIER_CHANGE,
            N_("multiplier in the field is {field} but the archive has {archive}"),
            index=index,
            field=reading.multiplier,
            archive=meter.multiplier,
        )
    ]


def clock_drift(reading: MeterReading, *, index: int, policy: VeePolicy) -> list[Finding]:
    """CLOCK_DRIFT: the meter's clock differs from the reading time by more than the tolerance."""
    if reading.meter_clock is None:
        return []
    drift = abs(int((reading.meter_clock - reading.read_at).total_seconds()))
    if drift <= policy.clock_drift_tolerance_seconds:
        return []
    return [
        finding(
            VeeCode.CLOCK_DRIFT,
            N_("meter clock {meter_clock} is {drift} s off the reading time (tolerance {tolerance} s)"),
            index=index,
            meter_clock=reading.meter_clock.isoformat(),
            drift=drift,
            tolerance=policy.clock_drift_tolerance_seconds,
        )
    ]


def _register_value(
    name: str, raw: RegisterValue, spec: RegisterSpec, index: int, problems: list[Finding]
) -> Decimal | None:
    value = _as_decimal(raw)
    if value is None:
        problems.append(
            finding(
                VeeCode.INVALID,
                N_("register {register} is not a number: {value}"),
                index=index,
                register=name,
                value=raw,
            )
        )
    elif value < 0:
        problems.append(
            finding(
                VeeCode.INVALID,
                N_("register {register} is negative: {value}"),
                index=index,
                register=name,
                value=value,
            )
        )
    elif not spec.fits(value):
        problems.append(
            finding(
                VeeCode.INVALID,
                N_(
                    "register {register} shows {value}, more digits than the meter's "
                    "{integer_digits} integer and {decimal_digits} decimal digits"
                ),
                index=index,
                register=name,
                value=value,
                integer_digits=spec.integer_digits,
                decimal_digits=spec.decimal_digits,
            )
        )
    else:
        return value
    return None


def _as_decimal(raw: RegisterValue) -> Decimal | None:
    if isinstance(raw, Decimal):
        return raw if raw.is_finite() else None
    try:
        value = Decimal(raw.strip())
    except (InvalidOperation, AttributeError):
        return None
    return value if value.is_finite() else None
