from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

import pytest

from meter2cash.platform.clock import BUSINESS_TZ as BJ
from meter2cash.reading.dlt645.frame import (
    WILDCARD,
    BadChecksum,
    GarbledFrame,
    MeterErrorReply,
    TruncatedFrame,
    WrongAddress,
    read_request,
)
from meter2cash.reading.dlt645.identifiers import (
    FORWARD_ACTIVE_TARIFF,
    FORWARD_ACTIVE_TOTAL,
    MAX_DEMAND_FORWARD_ACTIVE,
    PHASE_A_VOLTAGE,
    decode_value,
)
from meter2cash.reading.dlt645.link import GatewayLink, LinkSettings, NoAnswer
from meter2cash.reading.gateway_sim import Fault, FaultKind, GatewaySimulator, synthetic_source
from meter2cash.reading.register_source import DictRegisterSource, MeterRegisters

CLOCK = datetime(2026, 3, 1, 8, 30, 15, tzinfo=BJ)
FAST = LinkSettings(reply_timeout=0.2, idle_gap=0.05, wakeup_bytes=4)
ADDRESSES = [f"{n:012d}" for n in range(1, 41)]
T = TypeVar("T")


def run(test: Callable[[GatewaySimulator, GatewayLink], Awaitable[T]], **sim_options: object) -> T:
    async def main() -> T:
        source = sim_options.pop("source", None) or synthetic_source(ADDRESSES, clock=CLOCK)
        async with GatewaySimulator(source, **sim_options) as sim:  # type: ignore[arg-type]  # noqa: SIM117
            async with GatewayLink(sim.host, sim.port, FAST) as link:
                return await test(sim, link)

    return asyncio.run(main())


class TestOneGatewayManyMeters:
    def test_one_port_answers_for_forty_meters_over_one_connection(self) -> None:
        async def read_all(sim: GatewaySimulator, link: GatewayLink) -> list[Decimal]:
            totals = []
            for address in ADDRESSES:
                _, payload = await link.read(address, FORWARD_ACTIVE_TOTAL.code)
                totals.append(decode_value(FORWARD_ACTIVE_TOTAL, payload))
            assert sim.connections_made == 1
            return totals  # type: ignore[return-value]

        source = synthetic_source(ADDRESSES, clock=CLOCK)
        totals = run(read_all, source=source)
        assert totals == [source.registers(a).total for a in ADDRESSES]  # type: ignore[union-attr]

    def test_a_meter_answers_with_its_own_address(self) -> None:
        async def read(_: GatewaySimulator, link: GatewayLink) -> str:
            frame, _payload = await link.read("000000000007", FORWARD_ACTIVE_TARIFF[2].code)
            return frame.address

        assert run(read) == "000000000007"

    def test_an_address_not_on_the_bus_gets_no_answer(self) -> None:
        async def read(_: GatewaySimulator, link: GatewayLink) -> None:
            await link.read("999999999999", FORWARD_ACTIVE_TOTAL.code)

        with pytest.raises(NoAnswer):
            run(read)

    def test_an_item_the_meter_lacks_gets_a_no_data_error_reply(self) -> None:
        source = DictRegisterSource({"000000000001": MeterRegisters(total=Decimal("1.00"))})

        async def read(_: GatewaySimulator, link: GatewayLink) -> None:
            await link.read("000000000001", MAX_DEMAND_FORWARD_ACTIVE.code)

        with pytest.raises(MeterErrorReply) as raised:
            run(read, source=source)
        assert raised.value.no_data

    def test_a_request_arriving_byte_by_byte_after_noise_is_still_answered(self) -> None:
        async def trickle(sim: GatewaySimulator, _: GatewayLink) -> bytes:
            reader, writer = await asyncio.open_connection(sim.host, sim.port)
            for byte in b"\x00\x13" + read_request("000000000003", PHASE_A_VOLTAGE.code, wakeup=4):
                writer.write(bytes([byte]))
                await writer.drain()
            reply = await asyncio.wait_for(reader.read(100), 1)
            writer.close()
            return reply

        assert run(trickle)[8] == 0x91


class TestTheWildcardAddress:
    def test_the_only_meter_on_the_line_answers_the_wildcard(self) -> None:
        source = DictRegisterSource({"123456789012": MeterRegisters(total=Decimal("5.00"))})

        async def read(_: GatewaySimulator, link: GatewayLink) -> str:
            frame, _payload = await link.read(WILDCARD, FORWARD_ACTIVE_TOTAL.code)
            return frame.address

        assert run(read, source=source) == "123456789012"

    def test_several_meters_answering_the_wildcard_collide(self) -> None:
        async def read(_: GatewaySimulator, link: GatewayLink) -> None:
            await link.read(WILDCARD, FORWARD_ACTIVE_TOTAL.code)

        with pytest.raises(GarbledFrame):
            run(read)


class TestSimulatedFaults:
    @pytest.mark.parametrize(
        ("kind", "raised"),
        [
            (FaultKind.DEAD, NoAnswer),
            (FaultKind.GARBAGE, GarbledFrame),
            (FaultKind.BAD_CHECKSUM, BadChecksum),
            (FaultKind.TRUNCATED, TruncatedFrame),
            (FaultKind.WRONG_ADDRESS, WrongAddress),
            (FaultKind.ERROR_REPLY, MeterErrorReply),
        ],
    )
    def test_each_fault_gives_its_own_error(self, kind: FaultKind, raised: type[Exception]) -> None:
        async def read(_: GatewaySimulator, link: GatewayLink) -> None:
            await link.read("000000000005", FORWARD_ACTIVE_TOTAL.code)

        with pytest.raises(raised):
            run(read, faults={"000000000005": Fault(kind)})

    def test_a_fault_for_the_first_requests_only_clears_afterwards(self) -> None:
        async def read_twice(_: GatewaySimulator, link: GatewayLink) -> str:
            with pytest.raises(NoAnswer):
                await link.read("000000000005", FORWARD_ACTIVE_TOTAL.code)
            frame, _payload = await link.read("000000000005", FORWARD_ACTIVE_TOTAL.code)
            return frame.address

        assert run(read_twice, faults={"5": Fault(FaultKind.DEAD, times=1)}) == "000000000005"

    def test_a_late_answer_is_not_taken_for_the_next_one(self) -> None:
        async def read(sim: GatewaySimulator, link: GatewayLink) -> str:
            with pytest.raises(NoAnswer):
                await link.read("000000000005", FORWARD_ACTIVE_TOTAL.code)  # answered after 0.3 s
            await asyncio.sleep(0.2)
            frame, _payload = await link.read("000000000006", FORWARD_ACTIVE_TOTAL.code)
            return frame.address

        faults = {"000000000005": Fault(FaultKind.SLOW, delay=0.3)}
        assert run(read, faults=faults) == "000000000006"

    def test_a_dead_meter_does_not_stop_the_next_meter_on_the_bus(self) -> None:
        async def read(_: GatewaySimulator, link: GatewayLink) -> str:
            with pytest.raises(NoAnswer):
                await link.read("000000000005", FORWARD_ACTIVE_TOTAL.code)
            frame, _payload = await link.read("000000000006", FORWARD_ACTIVE_TOTAL.code)
            return frame.address

        assert run(read, faults={"000000000005": Fault(FaultKind.DEAD)}) == "000000000006"
