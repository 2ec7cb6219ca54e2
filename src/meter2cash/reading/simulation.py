"""Simulated gateways for a whole archive (``m2c meters simulate``, the demo's monthly cycle).

One `GatewaySimulator` per distinct communication endpoint (``Meter.comm_host``/``comm_port``)
of the archive, answering — like a concentrator or serial server — for every meter whose
endpoint it is. The meters answer from a daily register history in the demo's layout
(``<data_dir>/demo/daily_registers.parquet``, and the area supply meters'
``area_supply_registers.parquet`` when present) as of the end of one day, through
`ParquetRegisterSource`. Each meter's clock shows the injected ``clock`` at the moment it is asked,
so a collection run on a simulated business day sees no clock drift.

Planted faults the history encodes:

- a missed-reading day (漏抄: every register null) makes the meter silent with ``faults=True``
  (a timeout for the collector); with ``faults=False`` the meter answers registers interpolated
  between the nearest days read (the meter kept counting, only the reading was missed);
- rollovers, stopped meters, theft and meter replacements are in the registers themselves and
  always shown as they are; a meter has no row after it is removed and is then silent.

Use `serve_gateways` (an async context manager, for code running an event loop) or
`run_gateways` (a context manager serving from a background thread, for synchronous code such as
a demo step that calls `meter2cash.reading.collection_run.collect_period`). `set_day` switches
every gateway to another day without restarting them.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Collection, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from meter2cash.platform.clock import BUSINESS_TZ
from meter2cash.platform.money import exact
from meter2cash.reading.dlt645.frame import BadAddress, normalise_address
from meter2cash.reading.dlt645.readout import TOU_REGISTERS
from meter2cash.reading.gateway_sim import Fault, GatewaySimulator
from meter2cash.reading.register_source import (
    DictRegisterSource,
    MeterRegisters,
    ParquetRegisterSource,
    RegisterSource,
    serial_address,
)
from meter2cash.registry.model import Meter

MeterClock = Callable[[], datetime]
DAILY_REGISTERS = "daily_registers.parquet"
SUPPLY_REGISTERS = "area_supply_registers.parquet"
REGISTER_MODULUS = Decimal(1_000_000)  # the demo's registers: 6 integer digits
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class GatewayPlan:
    """One gateway endpoint of the archive and the meters (number, address) behind it."""

    host: str
    port: int
    meters: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Unavailable:
    """An endpoint that could not be served (the port is taken, the host is not this machine)."""

    host: str
    port: int
    reason: str


def archive_gateways(session: Session) -> list[GatewayPlan]:
    """The archive's gateway endpoints and their meters; meters without an endpoint or with an
    address that is not DL/T 645 are left out."""
    rows = session.execute(
        select(Meter.comm_host, Meter.comm_port, Meter.meter_no, Meter.dlt645_address)
        .where(Meter.comm_host.is_not(None), Meter.comm_port.is_not(None))
        .order_by(Meter.comm_host, Meter.comm_port, Meter.meter_no)
    )
    behind: dict[tuple[str, int], list[tuple[str, str]]] = {}
    for host, port, meter_no, address in rows:
        if not host or port is None:
            continue
        try:
            behind.setdefault((host, port), []).append((meter_no, normalise_address(address)))
        except BadAddress:
            continue
    return [GatewayPlan(host, port, tuple(meters)) for (host, port), meters in behind.items()]


def history_files(demo_dir: Path) -> list[Path]:
    """The register histories in a demo directory: the customer meters', then the supply meters'
    when the file exists."""
    return [p for p in (demo_dir / DAILY_REGISTERS, demo_dir / SUPPLY_REGISTERS) if p.exists()]


def history_days(path: Path) -> tuple[date, date]:
    """The first and last day of a register history."""
    import polars as pl

    first, last = (
        pl.scan_parquet(path)
        .select(pl.col("day").min().alias("first"), pl.col("day").max().alias("last"))
        .collect()
        .row(0)
    )
    if first is None or last is None:
        raise ValueError(f"{path} holds no registers")
    return first, last


class LiveClockSource:
    """A register source whose meters' clocks show ``clock()`` at the moment they are asked."""

    def __init__(self, inner: RegisterSource, clock: MeterClock) -> None:
        self.inner = inner
        self.clock = clock

    def addresses(self) -> Collection[str]:
        return self.inner.addresses()

    def registers(self, address: str) -> MeterRegisters | None:
        found = self.inner.registers(address)
        return None if found is None else replace(found, clock=self.clock())


def registers_of_day(
    histories: Sequence[Path],
    *,
    day: date,
    address_of: Callable[[str], str] = serial_address,
    faults: bool = False,
) -> DictRegisterSource:
    """What every meter in ``histories`` answers at the end of ``day`` (see the module doc for
    ``faults``). The meters' clocks read midnight of the day; `LiveClockSource` moves them."""
    midnight = datetime.combine(day, time(), tzinfo=BUSINESS_TZ)
    source = DictRegisterSource()
    for path in histories:
        one = ParquetRegisterSource(path, day=day, clock=midnight, address_of=address_of)
        for address in one.addresses():
            registers = one.registers(address)
            if registers is not None:
                source.set(address, registers)
        if not faults:
            for meter_no, registers in _interpolated_missed(path, day=day, clock=midnight).items():
                source.set(address_of(meter_no), registers)
    return source


def _interpolated_missed(path: Path, *, day: date, clock: datetime) -> dict[str, MeterRegisters]:
    """Registers of the meters whose readings are null on ``day`` (a missed reading), interpolated
    between their nearest days read before and after (carried over at either end)."""
    import polars as pl

    history = pl.scan_parquet(path)
    missed = history.filter((pl.col("day") == day) & pl.col("total").is_null()).select("meter_no").collect()
    if missed.height == 0:
        return {}
    rows = (
        history.filter(pl.col("meter_no").is_in(missed["meter_no"].implode()) & pl.col("total").is_not_null())
        .sort("meter_no", "day")
        .collect()
        .to_dicts()
    )
    around: dict[str, tuple[dict[str, object] | None, dict[str, object] | None]] = {}
    for row in rows:
        meter_no = str(row["meter_no"])
        before, after = around.get(meter_no, (None, None))
        row_day = row["day"]
        assert isinstance(row_day, date)
        if row_day < day:
            before = row
        elif after is None:
            after = row
        around[meter_no] = (before, after)
    return {
        meter_no: _between(before, after, day=day, clock=clock)
        for meter_no, (before, after) in around.items()
        if before is not None or after is not None
    }


def _between(
    before: Mapping[str, object] | None, after: Mapping[str, object] | None, *, day: date, clock: datetime
) -> MeterRegisters:
    def value(name: str) -> Decimal | None:
        low = _decimal(before, name)
        high = _decimal(after, name)
        if low is None or high is None or before is None or after is None:
            return low if low is not None else high
        start, end = before["day"], after["day"]
        assert isinstance(start, date) and isinstance(end, date)
        if high < low:  # the register wrapped in between
            high += REGISTER_MODULUS
        share = Decimal((day - start).days) / Decimal((end - start).days)
        return (low + (high - low) * share).quantize(CENT, rounding=ROUND_FLOOR) % REGISTER_MODULUS

    tou = {name: value(name) for name in TOU_REGISTERS}
    total = value("total")
    if all(v is not None for v in tou.values()) and total is not None:
        parts = sum((v for v in tou.values() if v is not None), Decimal("0.00"))
        if parts < REGISTER_MODULUS:
            total = parts  # the parts add up to the total exactly, as the meters' do
    assert total is not None
    return MeterRegisters(
        total=total,
        sharp=tou["sharp"],
        peak=tou["peak"],
        flat=tou["flat"],
        valley=tou["valley"],
        reactive=value("reactive"),
        clock=clock,
    )


def _decimal(row: Mapping[str, object] | None, name: str) -> Decimal | None:
    if row is None or row.get(name) in (None, ""):
        return None
    return exact(row[name])


@dataclass
class SimulatedGateways:
    """The running gateways of an archive; `set_day` makes them answer as of another day."""

    plans: Sequence[GatewayPlan]
    histories: Sequence[Path]
    day: date
    clock: MeterClock
    faults: bool = False
    comm_faults: Mapping[str, Fault] | None = None
    skip_unavailable: bool = False
    running: list[tuple[GatewayPlan, GatewaySimulator]] = field(default_factory=list)
    unavailable: list[Unavailable] = field(default_factory=list)

    def _address_of(self) -> Callable[[str], str]:
        known = {meter_no: address for plan in self.plans for meter_no, address in plan.meters}

        def address_of(meter_no: str) -> str:
            return known.get(meter_no) or serial_address(meter_no)

        return address_of

    def _sources(self, day: date) -> list[LiveClockSource]:
        everyone = registers_of_day(
            self.histories, day=day, address_of=self._address_of(), faults=self.faults
        )
        sources = []
        for plan in self.plans:
            behind = {a: r for _, a in plan.meters if (r := everyone.registers(a)) is not None}
            sources.append(LiveClockSource(DictRegisterSource(behind), self.clock))
        return sources

    async def start(self) -> None:
        sources = self._sources(self.day)
        for plan, source in zip(self.plans, sources, strict=True):
            simulator = GatewaySimulator(source, host=plan.host, port=plan.port, faults=self.comm_faults)
            try:
                await simulator.start()
            except OSError as error:
                if not self.skip_unavailable:
                    await self.stop()
                    raise
                self.unavailable.append(Unavailable(plan.host, plan.port, str(error)))
                continue
            self.running.append((plan, simulator))

    async def stop(self) -> None:
        running, self.running = self.running, []
        for _, simulator in running:
            await simulator.stop()

    def set_day(self, day: date) -> None:
        """Answer as of the end of ``day`` from now on (the registers are loaded first, then
        swapped in; a request in flight is answered from either day)."""
        by_plan = dict(zip((id(p) for p in self.plans), self._sources(day), strict=True))
        for plan, simulator in self.running:
            simulator.source = by_plan[id(plan)]
        self.day = day

    @property
    def endpoints(self) -> list[tuple[str, int, int]]:
        """(host, port, meters answering) of every running gateway; the port is the bound one."""
        return [(s.host, s.port, len(s.source.addresses())) for _, s in self.running]

    @property
    def requests(self) -> int:
        return sum(s.requests for _, s in self.running)


@asynccontextmanager
async def serve_gateways(
    plans: Sequence[GatewayPlan],
    *,
    histories: Sequence[Path],
    day: date,
    clock: MeterClock,
    faults: bool = False,
    comm_faults: Mapping[str, Fault] | None = None,
    skip_unavailable: bool = False,
) -> AsyncIterator[SimulatedGateways]:
    """Serve the gateways of ``plans`` on the running event loop while the block runs.

    An endpoint that cannot be bound raises `OSError`, or with ``skip_unavailable`` is listed in
    `SimulatedGateways.unavailable`. A plan with port 0 gets a free port (see ``endpoints``).
    """
    gateways = SimulatedGateways(
        plans=plans,
        histories=histories,
        day=day,
        clock=clock,
        faults=faults,
        comm_faults=comm_faults,
        skip_unavailable=skip_unavailable,
    )
    await gateways.start()
    try:
        yield gateways
    finally:
        await gateways.stop()


@contextmanager
def run_gateways(
    plans: Sequence[GatewayPlan],
    *,
    histories: Sequence[Path],
    day: date,
    clock: MeterClock,
    faults: bool = False,
    comm_faults: Mapping[str, Fault] | None = None,
    skip_unavailable: bool = False,
) -> Iterator[SimulatedGateways]:
    """`serve_gateways` from an event loop in a background thread, for synchronous callers::

    with run_gateways(plans, histories=files, day=day, clock=ctx.clock.now) as gateways:
        collect_period(ctx, actor="reader", period="2026-10")
        gateways.set_day(next_day)
        ...
    """
    gateways = SimulatedGateways(
        plans=plans,
        histories=histories,
        day=day,
        clock=clock,
        faults=faults,
        comm_faults=comm_faults,
        skip_unavailable=skip_unavailable,
    )
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="simulated-gateways", daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(gateways.start(), loop).result(120)
        yield gateways
    finally:
        try:
            asyncio.run_coroutine_threadsafe(gateways.stop(), loop).result(30)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(30)
            loop.close()
