"""Small builders for reading-check (VEE) tests: a meter, readings and history in a line each."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from meter2cash.platform.periods import Period, month_period
from meter2cash.reading.usage_history import UsagePeriod
from meter2cash.reading.vee import (
    CheckResult,
    MeterFacts,
    MeterReading,
    MeterStatus,
    ReadingSet,
    RegisterSpec,
    VeePolicy,
    check_readings,
)
from meter2cash.registry.codes import TouRegister

D = Decimal
BEIJING = timezone(timedelta(hours=8))


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Beijing wall-clock time without a zone, as the reading checks take their times."""
    return datetime(year, month, day, hour, minute, tzinfo=BEIJING).replace(tzinfo=None)


JAN = local(2026, 1, 15, 10)
FEB = local(2026, 2, 15, 10)
MAR = local(2026, 3, 15, 10)
TOU = (TouRegister.SHARP, TouRegister.PEAK, TouRegister.FLAT, TouRegister.VALLEY)


def meter(
    *,
    digits: tuple[int, int] = (6, 2),
    multiplier: str = "1",
    capacity: str | None = "8",
    status: MeterStatus = MeterStatus.ACTIVE,
    tou: tuple[TouRegister, ...] = (),
) -> MeterFacts:
    return MeterFacts(
        meter_no="M0001",
        register=RegisterSpec(*digits),
        multiplier=D(multiplier),
        tou_registers=tou,
        capacity_kva=None if capacity is None else D(capacity),
        status=status,
    )


def reading(at: datetime, total: str | Decimal, **kw: object) -> MeterReading:
    return MeterReading(read_at=at, total=total, **kw)  # type: ignore[arg-type]


def months(*kwh: str, first: tuple[int, int] = (2025, 10)) -> tuple[UsagePeriod, ...]:
    """Monthly history from ``first`` on, one kWh figure per month."""
    year, month = first
    out = []
    for value in kwh:
        out.append(UsagePeriod(month_period(year=year, month=month), D(value)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(out)


def days(start: date, end: date, kwh: str) -> UsagePeriod:
    return UsagePeriod(Period(start, end), D(kwh))


NORMAL_HISTORY = months("290", "300", "310")


def run(
    *readings: MeterReading,
    on: MeterFacts | None = None,
    history: tuple[UsagePeriod, ...] = NORMAL_HISTORY,
    policy: VeePolicy | None = None,
    **kw: object,
) -> CheckResult:
    data = ReadingSet(meter=on or meter(), readings=readings, history=history, **kw)  # type: ignore[arg-type]
    return check_readings(data, policy=policy or VeePolicy())


def codes(result: CheckResult, index: int | None = None) -> list[str]:
    """Codes raised on one reading, or on all readings and the meter when ``index`` is None."""
    found = result.findings() if index is None else result.readings[index].findings
    return [f.code.value for f in found]
