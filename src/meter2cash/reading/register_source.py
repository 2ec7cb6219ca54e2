"""Where a simulated meter's registers come from (for the gateway simulator, tests and demos).

`RegisterSource` is the interface: which meter addresses exist and their registers now.
`DictRegisterSource` holds them in memory; `ParquetRegisterSource` takes one day of the demo's
daily register history (``<data_dir>/demo/daily_registers.parquet``: meter_no, account_no, day,
total, sharp, peak, flat, valley, reactive as decimal strings).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from meter2cash.platform.money import exact
from meter2cash.reading.dlt645.frame import normalise_address
from meter2cash.reading.dlt645.readout import STATE_GRID_TARIFF_ORDER


class NoSuchDay(LookupError):
    """The register history holds no row for the day asked."""


@dataclass(frozen=True, slots=True)
class MeterRegisters:
    """What a simulated meter answers. None means the meter has no such data item."""

    total: Decimal
    sharp: Decimal | None = None
    peak: Decimal | None = None
    flat: Decimal | None = None
    valley: Decimal | None = None
    reactive: Decimal | None = None
    max_demand_kw: Decimal | None = None
    max_demand_at: datetime | None = None
    clock: datetime | None = None
    voltage_a: Decimal | None = None
    daily_frozen: tuple[Decimal, ...] | None = None
    daily_frozen_at: datetime | None = None
    tariff_order: tuple[str, ...] = field(default=STATE_GRID_TARIFF_ORDER)

    def tariff(self, number: int) -> Decimal | None:
        """The register of tariff ``number`` (1-based) in this meter's tariff order."""
        if not 1 <= number <= len(self.tariff_order):
            return None
        value = getattr(self, self.tariff_order[number - 1])
        assert value is None or isinstance(value, Decimal)
        return value


class RegisterSource(Protocol):
    def addresses(self) -> Collection[str]:
        """The addresses of the meters this source knows (12 characters each)."""
        ...

    def registers(self, address: str) -> MeterRegisters | None:
        """The registers of the meter at ``address`` now; None if there is no such meter."""
        ...


class DictRegisterSource:
    """Registers held in a mapping address → registers; change them with `set`."""

    def __init__(self, meters: Mapping[str, MeterRegisters] | None = None) -> None:
        self._meters = {normalise_address(a): r for a, r in (meters or {}).items()}

    def addresses(self) -> Collection[str]:
        return self._meters.keys()

    def registers(self, address: str) -> MeterRegisters | None:
        return self._meters.get(address)

    def set(self, address: str, registers: MeterRegisters) -> None:
        self._meters[normalise_address(address)] = registers

    def subset(self, addresses: Iterable[str]) -> DictRegisterSource:
        """The meters at ``addresses`` only (e.g. the ones behind one gateway)."""
        wanted = {normalise_address(a) for a in addresses}
        return DictRegisterSource({a: r for a, r in self._meters.items() if a in wanted})


class ParquetRegisterSource(DictRegisterSource):
    """One day of a daily register history file, as the meters would answer that day.

    For the meter with number ``meter_no`` the registers are the row of ``day``; its last daily
    freeze (上1次日冻结) is the row of the day before, frozen at 00:00 of ``day``. A meter whose
    row has no total that day (a missed reading, 漏抄) does not answer; null TOU or reactive
    columns are items the meter does not have. The file holds no demand, so the meters answer
    "no such data" for it; their clock reads ``clock`` (an aware datetime).

    The meter address is ``address_of(meter_no)``; by default `serial_address` (the demo's
    convention: the meter number's 9-digit serial as a 12-digit address).
    """

    def __init__(
        self,
        path: Path,
        *,
        day: date,
        clock: datetime,
        address_of: Callable[[str], str] | None = None,
    ) -> None:
        import polars as pl

        rows = (
            pl.scan_parquet(path)
            .filter(pl.col("day").is_in([day, day - timedelta(days=1)]))
            .collect()
            .to_dicts()
        )
        if not any(row["day"] == day for row in rows):
            raise NoSuchDay(f"{path} has no registers for {day.isoformat()}")
        to_address = address_of or serial_address
        midnight = datetime.combine(day, time(), tzinfo=clock.tzinfo)
        previous = {row["meter_no"]: row for row in rows if row["day"] != day and row["total"] is not None}
        meters: dict[str, MeterRegisters] = {}
        for row in rows:
            if row["day"] != day or row["total"] is None:
                continue
            before = previous.get(row["meter_no"])
            meters[to_address(row["meter_no"])] = MeterRegisters(
                total=exact(row["total"]),
                sharp=_maybe(row.get("sharp")),
                peak=_maybe(row.get("peak")),
                flat=_maybe(row.get("flat")),
                valley=_maybe(row.get("valley")),
                reactive=_maybe(row.get("reactive")),
                clock=clock,
                daily_frozen=None if before is None else _frozen(before),
                daily_frozen_at=None if before is None else midnight,
            )
        super().__init__(meters)


def serial_address(meter_no: str, *, digits: int = 9) -> str:
    """The last ``digits`` digits of a meter number as a 12-digit address (the demo's rule)."""
    return normalise_address(meter_no[-digits:])


def _maybe(value: object) -> Decimal | None:
    return None if value is None or value == "" else exact(value)


def _frozen(row: Mapping[str, object]) -> tuple[Decimal, ...]:
    registers = [exact(row["total"])]
    registers += [exact(row[n]) for n in STATE_GRID_TARIFF_ORDER if row.get(n) not in (None, "")]
    return tuple(registers)
