"""A simulated gateway (集中器 / 串口服务器): one TCP port answering for many meter addresses.

It speaks DL/T 645-2007 like the meters on an RS-485 bus behind a serial server: each read
request (control 11) addressed to a meter it knows gets that meter's normal reply (91) with the
value from a `RegisterSource`, or an error reply (D1, "no requested data") for an item the meter
does not have. A request for an unknown address gets no answer, as on a real bus; a wildcard
request (``AA`` bytes) is answered by the one matching meter, and by a collision (garbled bytes)
when several match.

For tests, a meter can be given a `Fault`: dead (never answers), garbage, a wrong checksum, a
truncated reply, a reply from another address, an error reply, or a slow reply — always or for
its first ``times`` requests only (to exercise retries).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from enum import StrEnum

from meter2cash.platform.clock import BUSINESS_TZ
from meter2cash.reading.dlt645.frame import (
    MAX_FRAME_SIZE,
    READ,
    FrameError,
    addresses_match,
    decode_frame,
    encode_frame,
    error_reply,
    frame_extent,
    is_wildcard,
    normalise_address,
    read_reply,
)
from meter2cash.reading.dlt645.frame import Frame as _Frame
from meter2cash.reading.dlt645.identifiers import (
    COMBINED_REACTIVE_1,
    DAILY_FROZEN_FORWARD_ACTIVE,
    DAILY_FROZEN_TIME,
    FORWARD_ACTIVE_BLOCK,
    FORWARD_ACTIVE_TARIFF,
    FORWARD_ACTIVE_TOTAL,
    KNOWN,
    MAX_DEMAND_FORWARD_ACTIVE,
    METER_DATE,
    METER_TIME,
    PHASE_A_VOLTAGE,
    Demand,
    Value,
    encode_value,
)
from meter2cash.reading.register_source import DictRegisterSource, MeterRegisters, RegisterSource

GARBAGE = bytes.fromhex("00 FF 13 37 42 E5 5A 00 FF 7F")  # no 68 in it: never mistaken for a frame
ERR_OTHER = 0x01
ERR_NO_DATA = 0x02


class FaultKind(StrEnum):
    DEAD = "dead"
    GARBAGE = "garbage"
    BAD_CHECKSUM = "bad_checksum"
    TRUNCATED = "truncated"
    WRONG_ADDRESS = "wrong_address"
    ERROR_REPLY = "error_reply"
    SLOW = "slow"


@dataclass(frozen=True, slots=True)
class Fault:
    kind: FaultKind
    times: int | None = None  # the first `times` requests to the meter only; None: every request
    delay: float = 0.0  # for SLOW: seconds before the answer


class GatewaySimulator:
    def __init__(
        self,
        source: RegisterSource,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: Mapping[str, Fault] | None = None,
        reply_wakeup: int = 0,
        meter_tz: tzinfo = BUSINESS_TZ,
    ) -> None:
        self.source = source
        self.host = host
        self.port = port
        self.reply_wakeup = reply_wakeup
        self.meter_tz = meter_tz
        self.requests = 0
        self.connections_made = 0
        self._faults = {normalise_address(a): f for a, f in (faults or {}).items()}
        self._fault_uses: dict[str, int] = {}
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Transport] = set()

    def set_fault(self, address: str, fault: Fault | None) -> None:
        address = normalise_address(address)
        self._fault_uses.pop(address, None)
        if fault is None:
            self._faults.pop(address, None)
        else:
            self._faults[address] = fault

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _GatewayProtocol(self), self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for connection in list(self._connections):
                connection.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> GatewaySimulator:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    def answer(self, request: _Frame) -> tuple[bytes, float] | None:
        """The bytes the bus sends back for ``request`` and after how many seconds; None: silence."""
        self.requests += 1
        if is_wildcard(request.address):
            matching = [a for a in self.source.addresses() if addresses_match(request.address, a)]
            if len(matching) > 1:
                return GARBAGE, 0.0  # several meters answer at once: a collision on the bus
            address = matching[0] if matching else None
        else:
            address = request.address
        registers = None if address is None else self.source.registers(address)
        if address is None or registers is None:
            return None
        reply = self._reply(address, registers, request)
        fault = self._faults.get(address)
        if fault is None or (fault.times is not None and self._fault_uses.get(address, 0) >= fault.times):
            return reply, 0.0
        self._fault_uses[address] = self._fault_uses.get(address, 0) + 1
        return _faulty(fault, reply, address)

    def _reply(self, address: str, registers: MeterRegisters, request: _Frame) -> bytes:
        wakeup = self.reply_wakeup
        if request.control != READ:
            return encode_frame(_Frame(address, request.control | 0xC0, bytes([ERR_OTHER])), wakeup=wakeup)
        code = int.from_bytes(request.data[:4], "little") if len(request.data) >= 4 else -1
        value = value_of(registers, code, tz=self.meter_tz)
        if value is None:
            return error_reply(address, ERR_NO_DATA, wakeup=wakeup)
        return read_reply(address, code, encode_value(KNOWN[code], value, tz=self.meter_tz), wakeup=wakeup)


def value_of(registers: MeterRegisters, code: int, *, tz: tzinfo = BUSINESS_TZ) -> Value | None:
    """The value a meter with ``registers`` reports for DI ``code``; None: no such data.
    The meter's clock shows its wall time in ``tz``."""
    clock = None if registers.clock is None else registers.clock.astimezone(tz)
    tariff = {di.code: n for n, di in FORWARD_ACTIVE_TARIFF.items()}
    demand = None
    if registers.max_demand_kw is not None:
        demand = Demand(registers.max_demand_kw, registers.max_demand_at)
    by_code: dict[int, Value | None] = {
        FORWARD_ACTIVE_TOTAL.code: registers.total,
        FORWARD_ACTIVE_BLOCK.code: energy_block(registers),
        COMBINED_REACTIVE_1.code: registers.reactive,
        MAX_DEMAND_FORWARD_ACTIVE.code: demand,
        PHASE_A_VOLTAGE.code: registers.voltage_a,
        METER_DATE.code: None if clock is None else clock.date(),
        METER_TIME.code: None if clock is None else clock.time(),
        DAILY_FROZEN_TIME.code: registers.daily_frozen_at,
        DAILY_FROZEN_FORWARD_ACTIVE.code: registers.daily_frozen,
    }
    if code in tariff:
        return registers.tariff(tariff[code])
    return by_code.get(code)


def energy_block(registers: MeterRegisters) -> tuple[Decimal, ...]:
    """The forward active energy block a meter sends: total, then its tariffs 1…n in order."""
    block = [registers.total]
    for number in range(1, len(registers.tariff_order) + 1):
        value = registers.tariff(number)
        if value is None:
            break
        block.append(value)
    return tuple(block)


def _faulty(fault: Fault, reply: bytes, address: str) -> tuple[bytes, float] | None:
    if fault.kind is FaultKind.DEAD:
        return None
    if fault.kind is FaultKind.GARBAGE:
        return GARBAGE, 0.0
    if fault.kind is FaultKind.BAD_CHECKSUM:
        return reply[:-2] + bytes([(reply[-2] + 1) & 0xFF]) + reply[-1:], 0.0
    if fault.kind is FaultKind.TRUNCATED:
        return reply[: len(reply) // 2], 0.0
    if fault.kind is FaultKind.WRONG_ADDRESS:
        start = reply.index(0x68)
        other = _other_address(address)
        body = bytearray(reply[start:])
        body[1:7] = bytes.fromhex(other)[::-1]
        body[-2] = sum(body[:-2]) & 0xFF
        return reply[:start] + bytes(body), 0.0
    if fault.kind is FaultKind.ERROR_REPLY:
        return error_reply(address, ERR_OTHER), 0.0
    return reply, fault.delay


def _other_address(address: str) -> str:
    return address[:-1] + str((int(address[-1]) + 1) % 10)


class _GatewayProtocol(asyncio.Protocol):
    def __init__(self, simulator: GatewaySimulator) -> None:
        self.simulator = simulator
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.simulator._connections.add(transport)
        self.simulator.connections_made += 1

    def connection_lost(self, exc: Exception | None) -> None:
        if self.transport is not None:
            self.simulator._connections.discard(self.transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (extent := frame_extent(self.buffer)) is not None:
            start, end = extent
            raw, self.buffer = bytes(self.buffer[start:end]), self.buffer[end:]
            try:
                request = decode_frame(raw)
            except FrameError:
                continue  # a meter ignores a corrupt request
            self._send(self.simulator.answer(request))
        if len(self.buffer) > MAX_FRAME_SIZE:
            self.buffer.clear()

    def _send(self, answer: tuple[bytes, float] | None) -> None:
        if answer is None or self.transport is None:
            return
        data, delay = answer
        if delay:
            asyncio.get_running_loop().call_later(delay, self._write, data)
        else:
            self.transport.write(data)

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)


def synthetic_registers(address: str, *, clock: datetime) -> MeterRegisters:
    """Plausible, deterministic registers for a made-up meter (benchmarks and tests)."""
    serial = int(normalise_address(address).replace("A", "0"))
    tou = [Decimal(f"{(serial * k) % 90000 + 1000}.{(serial + k) % 100:02d}") for k in (3, 7, 11, 13)]
    return MeterRegisters(
        total=sum(tou, Decimal("0.00")),
        sharp=tou[0],
        peak=tou[1],
        flat=tou[2],
        valley=tou[3],
        reactive=Decimal(f"{serial % 5000}.{serial % 97:02d}"),
        max_demand_kw=Decimal(f"{serial % 60}.{serial % 9973:04d}"),
        max_demand_at=clock.replace(day=1, hour=9, minute=15, second=0, microsecond=0),
        clock=clock,
        voltage_a=Decimal(f"{215 + serial % 10}.{serial % 10}"),
    )


def synthetic_source(addresses: list[str], *, clock: datetime) -> DictRegisterSource:
    return DictRegisterSource({a: synthetic_registers(a, clock=clock) for a in addresses})


@contextmanager
def running_in_thread(*simulators: GatewaySimulator) -> Iterator[tuple[GatewaySimulator, ...]]:
    """Serve ``simulators`` from an event loop in a background thread (for CLI tests, demos)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="gateway-sim", daemon=True)
    thread.start()
    try:
        for simulator in simulators:
            asyncio.run_coroutine_threadsafe(simulator.start(), loop).result(10)
        yield simulators
    finally:
        for simulator in simulators:
            asyncio.run_coroutine_threadsafe(simulator.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
