"""Run every reading check over one meter's readings and return the findings per reading. Pure.

Readings are taken in time order (ties keep input order) and reported in input order. A reading
becomes the baseline of the next one only when it is valid, not a duplicate and not a ROLLBACK.
A second reading on the same day is a DUPLICATE; against the archive's ``previous`` reading only
the very same time is. A reading's consumption joins the history the SPIKE checks compare
against only when it raised no error and no consumption finding.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from meter2cash.platform.periods import Period
from meter2cash.reading.usage_history import UsagePeriod
from meter2cash.reading.vee.check_register import (
    clock_drift,
    multiplier_change,
    parse_registers,
    tou_sum,
)
from meter2cash.reading.vee.check_sequence import (
    Accepted,
    duplicate,
    gap_since,
    hours_between,
    missing_in_window,
    register_advance,
)
from meter2cash.reading.vee.check_usage import PeriodUse, usage_checks
from meter2cash.reading.vee.codes import QualityFlag, Severity, VeeCode
from meter2cash.reading.vee.findings import Finding
from meter2cash.reading.vee.policy import DEFAULT_POLICY, VeePolicy
from meter2cash.reading.vee.readings import MeterReading, ReadingSet
from meter2cash.reading.vee.register import energy

USAGE_CODES = frozenset(
    {
        VeeCode.ZERO,
        VeeCode.STOPPED,
        VeeCode.SPIKE_HIGH,
        VeeCode.SPIKE_LOW,
        VeeCode.OVER_CAPACITY,
        VeeCode.INACTIVE_USAGE,
    }
)


class BadBaseline(ValueError):
    """The ``previous`` reading given as the baseline is itself not a valid reading."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__("; ".join(f.reason for f in findings))
        self.findings = findings


@dataclass(frozen=True, slots=True)
class ReadingVerdict:
    """What the checks made of one reading."""

    index: int
    read_at: datetime
    quality: QualityFlag
    advance: Decimal | None  # register advance since the baseline; None for a baseline or rejected one
    consumption_kwh: Decimal | None  # advance × multiplier
    findings: tuple[Finding, ...]

    @property
    def billable(self) -> bool:
        """No error: the reading may be billed (warnings still go to a clerk first)."""
        return all(f.severity is not Severity.ERROR for f in self.findings)


@dataclass(frozen=True, slots=True)
class CheckResult:
    meter_no: str
    readings: tuple[ReadingVerdict, ...]  # in input order
    meter_findings: tuple[Finding, ...]  # findings about the meter rather than one reading

    def findings(self) -> list[Finding]:
        return [f for verdict in self.readings for f in verdict.findings] + list(self.meter_findings)

    def count_by_code(self) -> dict[str, int]:
        counts = Counter(f.code.value for f in self.findings())
        return {code.value: counts[code.value] for code in VeeCode if counts[code.value]}

    def count_by_severity(self) -> dict[str, int]:
        counts = Counter(f.severity.value for f in self.findings())
        return {severity.value: counts[severity.value] for severity in Severity}


def check_readings(data: ReadingSet, *, policy: VeePolicy = DEFAULT_POLICY) -> CheckResult:
    """Run all checks on ``data``; never raises for a bad reading (that is a finding)."""
    meter = data.meter
    history = list(data.history)
    baseline = _baseline(data)
    by_day: dict[date, Accepted] = {}
    verdicts: dict[int, ReadingVerdict] = {}
    valid_days: list[date] = []
    order = sorted(range(len(data.readings)), key=lambda i: data.readings[i].read_at)
    for index in order:
        reading = data.readings[index]
        registers, findings = parse_registers(reading, meter=meter, index=index, as_of=data.as_of)
        findings += multiplier_change(reading, meter=meter, index=index)
        findings += clock_drift(reading, index=index, policy=policy)
        moved: Decimal | None = None
        kwh: Decimal | None = None
        if registers is not None:
            valid_days.append(reading.read_at.date())
            findings += tou_sum(registers, meter=meter, index=index, policy=policy)
            same_day = by_day.get(reading.read_at.date())
            if baseline is not None and baseline.index is None and reading.read_at == baseline.read_at:
                same_day = baseline
            if same_day is not None:
                findings += duplicate(registers, read_at=reading.read_at, earlier=same_day, index=index)
            elif baseline is None:
                baseline = by_day[reading.read_at.date()] = Accepted(index, reading.read_at, registers)
            else:
                findings += gap_since(baseline=baseline, read_at=reading.read_at, index=index, policy=policy)
                moved, found = register_advance(
                    registers,
                    baseline=baseline,
                    read_at=reading.read_at,
                    meter=meter,
                    index=index,
                    policy=policy,
                )
                findings += found
                if moved is not None:
                    use = _period_use(index, baseline, reading, moved, data)
                    kwh = use.kwh
                    findings += usage_checks(use, meter=meter, history=history, policy=policy)
                    if _joins_history(findings):
                        history.append(UsagePeriod(use.period, use.kwh))
                    baseline = by_day[reading.read_at.date()] = Accepted(index, reading.read_at, registers)
        verdicts[index] = ReadingVerdict(
            index=index,
            read_at=reading.read_at,
            quality=reading.quality,
            advance=moved,
            consumption_kwh=kwh,
            findings=tuple(findings),
        )
    meter_findings = missing_in_window(valid_days, window=data.window, as_of=data.as_of)
    return CheckResult(
        meter_no=meter.meter_no,
        readings=tuple(verdicts[i] for i in range(len(data.readings))),
        meter_findings=tuple(meter_findings),
    )


def _baseline(data: ReadingSet) -> Accepted | None:
    if data.previous is None:
        return None
    registers, problems = parse_registers(data.previous, meter=data.meter, index=-1, as_of=data.as_of)
    if registers is None:
        raise BadBaseline(problems)
    return Accepted(None, data.previous.read_at, registers)


def _period_use(
    index: int, baseline: Accepted, reading: MeterReading, moved: Decimal, data: ReadingSet
) -> PeriodUse:
    return PeriodUse(
        index=index,
        period=_read_period(baseline.read_at.date(), reading.read_at.date()),
        hours=hours_between(baseline.read_at, reading.read_at),
        moved=moved,
        kwh=energy(moved=moved, multiplier=data.meter.multiplier),
        area_supply_kwh=reading.area_supply_kwh,
    )


def _read_period(start: date, end: date) -> Period:
    """Reading day to reading day; a period within one day counts as one day."""
    return Period(start, max(end, start + timedelta(days=1)))


def _joins_history(findings: list[Finding]) -> bool:
    return not any(f.severity is Severity.ERROR or f.code in USAGE_CODES for f in findings)
