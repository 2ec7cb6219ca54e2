"""Energy through a transformer area's supply meter (台区总表) between two days, for the STOPPED
check (停走, Q/GDW 1376.1 ERC30): a customer register that did not move while the area's supply
meter recorded load.

The area's supply point (``TransformerArea.supply_point_id``, a service point of kind
``area_supply``) holds one meter at a time. Its energy from day *a* to day *b* is the advance of its
total register from the nearest reading at or before *a* to the nearest reading at or before *b*,
times its multiplier (`meter2cash.reading.vee.register`). Readings count when they are stored as
valid and belong to the install in place over the whole span; the register the meter was installed
with counts as a reading on its install day. There is no answer (None) when the area has no supply
meter, the meter was changed within the span, or both days fall on the same reading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from meter2cash.reading.model import MeterReading
from meter2cash.reading.vee.register import BadRegister, RegisterSpec, advance, energy
from meter2cash.registry.model import Meter, MeterInstall, TransformerArea


@dataclass(frozen=True, slots=True)
class _Register:
    """A total register value and which reading it came from (to tell two days on one reading)."""

    source: tuple[str, int]
    total: Decimal


def _install_over(session: Session, *, point_id: int, start: date, end: date) -> MeterInstall | None:
    return session.scalar(
        select(MeterInstall).where(
            MeterInstall.service_point_id == point_id,
            MeterInstall.installed_on <= start,
            (MeterInstall.removed_on.is_(None)) | (MeterInstall.removed_on > end),
        )
    )


def _register_at(session: Session, *, install: MeterInstall, day: date) -> _Register:
    stored = session.scalar(
        select(MeterReading)
        .where(
            MeterReading.meter_id == install.meter_id,
            MeterReading.status == "valid",
            MeterReading.read_on >= install.installed_on,
            MeterReading.read_on <= day,
        )
        .order_by(MeterReading.read_on.desc(), MeterReading.read_at.desc(), MeterReading.id.desc())
        .limit(1)
    )
    if stored is not None:
        return _Register(("reading", stored.id), stored.total)
    return _Register(("install", install.id), install.start_total)


def area_supply_kwh(session: Session, *, area_id: int, start: date, end: date) -> Decimal | None:
    """kWh through the area's supply meter from ``start`` to ``end`` (reading days), or None."""
    if end <= start:
        return None
    point_id = session.scalar(select(TransformerArea.supply_point_id).where(TransformerArea.id == area_id))
    if point_id is None:
        return None
    install = _install_over(session, point_id=point_id, start=start, end=end)
    if install is None:
        return None
    first = _register_at(session, install=install, day=start)
    last = _register_at(session, install=install, day=end)
    if first.source == last.source:
        return None
    meter = session.get(Meter, install.meter_id)
    if meter is None:
        return None
    try:
        spec = RegisterSpec(integer_digits=meter.integer_digits, decimal_digits=meter.decimal_digits)
        moved = advance(previous=first.total, current=last.total, spec=spec)
        return energy(moved=moved, multiplier=install.multiplier)
    except BadRegister:
        return None


@dataclass
class AreaSupply:
    """`area_supply_kwh`, remembered for one intake: the meters of an area are read on the same
    days, so their spans repeat."""

    session: Session
    known: dict[tuple[int, date, date], Decimal | None] = field(default_factory=dict)

    def kwh(self, *, area_id: int, start: date, end: date) -> Decimal | None:
        key = (area_id, start, end)
        if key not in self.known:
            self.known[key] = area_supply_kwh(self.session, area_id=area_id, start=start, end=end)
        return self.known[key]
