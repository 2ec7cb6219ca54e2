"""Billing determinants (计费电量) of one account for one period. Pure.

Rule (domain-rules §1): the energy of a period is ``(closing − opening register, across a
rollover) × multiplier (倍率 = CT × PT)``, for the total and for each time-of-use register
(尖/峰/平/谷). When the meter was replaced inside the period (换表), each meter is a *segment*:
the old meter from the period's opening reading to its final reading at removal, the new one
from its reading at installation to the period's closing reading; the period's energy is the
sum of the segments. Reactive energy (kvarh) is computed the same way; maximum demand is the
highest demand any segment's meter recorded, times its multiplier.

A determinant carries the worst quality of the readings behind it (an estimate anywhere makes
the whole determinant estimated), so billing and the bill document can say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from meter2cash.reading.vee.codes import QualityFlag
from meter2cash.reading.vee.register import RegisterSpec, advance, energy
from meter2cash.registry.codes import TOU_NAMES
from meter2cash.registry.registers import RegisterSet

# From best to worst: the determinant takes the worst of its readings.
QUALITY_RANK: dict[QualityFlag, int] = {
    QualityFlag.ACTUAL: 0,
    QualityFlag.CUSTOMER_READ: 1,
    QualityFlag.EDITED: 2,
    QualityFlag.SUBSTITUTED: 3,
    QualityFlag.ESTIMATED: 4,
}


class BadSegments(ValueError):
    """Segments that do not describe one account's period."""


@dataclass(frozen=True, slots=True)
class Segment:
    """One meter's part of the period, from an opening to a closing reading."""

    meter_no: str
    spec: RegisterSpec
    multiplier: Decimal
    opening: RegisterSet
    closing: RegisterSet
    opening_quality: QualityFlag = QualityFlag.ACTUAL
    closing_quality: QualityFlag = QualityFlag.ACTUAL
    tou_registers: tuple[str, ...] = ()
    opening_reactive: Decimal | None = None
    closing_reactive: Decimal | None = None
    max_demand: Decimal | None = None  # the meter's demand register, before the multiplier


@dataclass(frozen=True, slots=True)
class Determinant:
    start: date
    end: date
    kwh_total: Decimal
    kwh_tou: dict[str, Decimal] = field(default_factory=dict)
    kvarh: Decimal | None = None
    max_demand_kw: Decimal | None = None
    quality: QualityFlag = QualityFlag.ACTUAL

    @property
    def days(self) -> int:
        return (self.end - self.start).days


def segment_kwh(segment: Segment, register: str) -> Decimal:
    opening = getattr(segment.opening, register)
    closing = getattr(segment.closing, register)
    if opening is None or closing is None:
        raise BadSegments(f"meter {segment.meter_no} has no {register} reading to bill")
    moved = advance(previous=opening, current=closing, spec=segment.spec)
    return energy(moved=moved, multiplier=segment.multiplier)


def determinant(*, start: date, end: date, segments: Sequence[Segment]) -> Determinant:
    """Sum the segments' energy for ``[start, end)``."""
    if end <= start:
        raise BadSegments(f"the period must end after it starts: {start} – {end}")
    if not segments:
        raise BadSegments("a determinant needs at least one meter segment")
    total = sum((segment_kwh(s, "total") for s in segments), Decimal(0))
    shared_tou = set(TOU_NAMES)
    for segment in segments:
        shared_tou &= set(segment.tou_registers)
    tou = {
        name: sum((segment_kwh(s, name) for s in segments), Decimal(0))
        for name in TOU_NAMES
        if name in shared_tou
    }
    kvarh: Decimal | None = None
    if all(s.opening_reactive is not None and s.closing_reactive is not None for s in segments):
        kvarh = sum(
            (
                energy(
                    moved=advance(previous=s.opening_reactive, current=s.closing_reactive, spec=s.spec),
                    multiplier=s.multiplier,
                )
                for s in segments
                if s.opening_reactive is not None and s.closing_reactive is not None
            ),
            Decimal(0),
        )
    demands = [s.max_demand * s.multiplier for s in segments if s.max_demand is not None]
    qualities = [q for s in segments for q in (s.opening_quality, s.closing_quality)]
    worst = max(qualities, key=QUALITY_RANK.__getitem__)
    return Determinant(
        start=start,
        end=end,
        kwh_total=total,
        kwh_tou=tou,
        kvarh=kvarh,
        max_demand_kw=max(demands) if demands else None,
        quality=worst,
    )
