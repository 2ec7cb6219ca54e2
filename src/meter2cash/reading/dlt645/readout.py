"""One meter reading (抄表示数) as collected over DL/T 645, and the plan of what to read. Pure.

A readout holds the register values exactly as the meter reported them (`Decimal`, with the
meter's decimals): forward active energy total and its time-of-use registers 尖/峰/平/谷
(sharp/peak/flat/valley), combined reactive energy, maximum demand, the meter's clock and,
when asked for, the last daily freeze.

The energy registers are read as one block (0001FF00: total, tariff 1…n), as concentrators do;
a meter that refuses the block is read item by item (00010000, 00010100…). Only the total is
required. A meter that answers "no such data" (error reply) to any other item — a single-phase
meter has no demand register, a single-rate meter no tariffs — gives a readout with that value
None and the DI listed in ``refused``.

The meter clock is the wall-clock time the meter shows, taken in the meter's zone (default
Asia/Shanghai, the business zone) to give an aware datetime. The date and the time are two
reads (04000101, 04000102), so a read that straddles midnight can be a day off — a clock-check
rule must allow for that.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from decimal import Decimal

from meter2cash.platform.clock import BUSINESS_TZ
from meter2cash.reading.dlt645.identifiers import (
    COMBINED_REACTIVE_1,
    DAILY_FROZEN_FORWARD_ACTIVE,
    DAILY_FROZEN_TIME,
    FORWARD_ACTIVE_BLOCK,
    FORWARD_ACTIVE_TARIFF,
    FORWARD_ACTIVE_TOTAL,
    MAX_DEMAND_FORWARD_ACTIVE,
    METER_DATE,
    METER_TIME,
    DataId,
    Demand,
    Value,
)
from meter2cash.registry.codes import TOU_NAMES

TOU_REGISTERS = TOU_NAMES
# State Grid / China Southern Grid numbering of tariffs: 费率1 尖, 费率2 峰, 费率3 平, 费率4 谷.
STATE_GRID_TARIFF_ORDER: tuple[str, ...] = TOU_REGISTERS


class BadTariffOrder(ValueError):
    """A tariff order that names an unknown register, repeats one, or has more than 4."""


@dataclass(frozen=True, slots=True)
class PlanItem:
    """One read. If the meter refuses ``di`` and there is a ``fallback``, read those instead."""

    di: DataId
    required: bool = False
    fallback: tuple[PlanItem, ...] = ()


@dataclass(frozen=True, slots=True)
class MeterReadout:
    address: str
    total: Decimal
    sharp: Decimal | None = None
    peak: Decimal | None = None
    flat: Decimal | None = None
    valley: Decimal | None = None
    reactive: Decimal | None = None
    max_demand_kw: Decimal | None = None
    max_demand_at: datetime | None = None
    clock: datetime | None = None
    daily_frozen_at: datetime | None = None
    daily_frozen: tuple[Decimal, ...] | None = None
    refused: tuple[str, ...] = ()


def tariff_order_of(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """The meter's tariff order from its archive (``"sharp,peak,flat,valley"``); empty means
    the State Grid default. ``"peak,valley"`` says tariff 1 is peak and tariff 2 is valley."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return STATE_GRID_TARIFF_ORDER
    names = [n.strip() for n in text.split(",")] if isinstance(text, str) else [str(n) for n in text]
    if len(names) > 4 or len(set(names)) != len(names) or not set(names) <= set(TOU_REGISTERS):
        known = ", ".join(TOU_REGISTERS)
        raise BadTariffOrder(f"tariff order must name up to 4 of {known}, each once: {text!r}")
    return tuple(names)


def read_plan(
    *,
    tariff_order: Sequence[str] = STATE_GRID_TARIFF_ORDER,
    with_daily_frozen: bool = False,
    energy_block: bool = True,
) -> tuple[PlanItem, ...]:
    """What to read from one meter, in order; the energy total first (the one required item)."""
    one_by_one = (
        PlanItem(FORWARD_ACTIVE_TOTAL, required=True),
        *(PlanItem(FORWARD_ACTIVE_TARIFF[n]) for n in range(1, len(tariff_order) + 1)),
    )
    items = (
        [PlanItem(FORWARD_ACTIVE_BLOCK, required=True, fallback=one_by_one)]
        if energy_block
        else [*one_by_one]
    )
    items += [PlanItem(COMBINED_REACTIVE_1), PlanItem(MAX_DEMAND_FORWARD_ACTIVE)]
    items += [PlanItem(METER_DATE), PlanItem(METER_TIME)]
    if with_daily_frozen:
        items += [PlanItem(DAILY_FROZEN_TIME), PlanItem(DAILY_FROZEN_FORWARD_ACTIVE)]
    return tuple(items)


def assemble_readout(
    *,
    address: str,
    values: Mapping[int, Value],
    refused: Sequence[int] = (),
    tariff_order: Sequence[str] = STATE_GRID_TARIFF_ORDER,
    tz: tzinfo = BUSINESS_TZ,
) -> MeterReadout:
    """Put the values read (keyed by DI code) into a readout; tariff n goes to tariff_order[n-1].

    The energy comes from the block (0001FF00) when it was read, else from the single items.
    """
    block = values.get(FORWARD_ACTIVE_BLOCK.code)
    registers: dict[int, Decimal | None] = {}
    if isinstance(block, tuple):
        registers = dict(enumerate(block))
    else:
        registers[0] = _decimal(values.get(FORWARD_ACTIVE_TOTAL.code))
        registers |= {n: _decimal(values.get(FORWARD_ACTIVE_TARIFF[n].code)) for n in FORWARD_ACTIVE_TARIFF}
    total = registers.get(0)
    if total is None:
        raise ValueError("a readout needs the forward active energy total")
    tou = {name: registers.get(n) for n, name in enumerate(tariff_order, 1)}
    demand = values.get(MAX_DEMAND_FORWARD_ACTIVE.code)
    day, clock_time = values.get(METER_DATE.code), values.get(METER_TIME.code)
    clock = None
    if isinstance(day, date) and isinstance(clock_time, time):
        clock = datetime.combine(day, clock_time, tzinfo=tz)
    frozen_at = values.get(DAILY_FROZEN_TIME.code)
    frozen = values.get(DAILY_FROZEN_FORWARD_ACTIVE.code)
    return MeterReadout(
        address=address,
        total=total,
        sharp=tou.get("sharp"),
        peak=tou.get("peak"),
        flat=tou.get("flat"),
        valley=tou.get("valley"),
        reactive=_decimal(values.get(COMBINED_REACTIVE_1.code)),
        max_demand_kw=demand.kw if isinstance(demand, Demand) else None,
        max_demand_at=demand.at if isinstance(demand, Demand) else None,
        clock=clock,
        daily_frozen_at=frozen_at if isinstance(frozen_at, datetime) else None,
        daily_frozen=frozen if isinstance(frozen, tuple) else None,
        refused=tuple(f"{code:08X}" for code in refused),
    )


def _decimal(value: Value | None) -> Decimal | None:
    return value if isinstance(value, Decimal) else None
