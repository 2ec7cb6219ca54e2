"""Interoperability with an independent peer: the ``dlt645`` package's own meter simulator.

Its server object costs about a second of CPU to build, so this module builds one and shares it.
Note: dlt645 3.2.0 keeps a meter address in written order (``set_address("123456789012")``
stores ``12 34 56 78 90 12``) and compares it with the wire bytes, which DL/T 645 sends low byte
first; its own client makes the same choice, so the two agree with each other but not with a
standard master. We give its server the wire-order bytes of our address.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeAlias

import pytest
from dlt645 import MeterServerService
from dlt645.model.types.dlt645_type import Demand as PeerDemand
from dlt645.protocol.protocol import DLT645Protocol

from meter2cash.platform.clock import BUSINESS_TZ as BJ
from meter2cash.reading.collect import CollectPolicy, ErrorKind, MeterTarget, collect
from meter2cash.reading.dlt645.frame import WILDCARD, address_bytes, decode_frame, read_request, reply_payload
from meter2cash.reading.dlt645.identifiers import FORWARD_ACTIVE_TOTAL, PHASE_A_VOLTAGE, decode_value
from meter2cash.reading.gateway_sim import GatewaySimulator, synthetic_source

ADDRESS = "123456789012"
M2C = Path(sys.executable).parent / "m2c"
ENERGY = {
    0x00010000: Decimal("12345.67"),
    0x00010100: Decimal("1234.56"),
    0x00010200: Decimal("4000.11"),
    0x00010300: Decimal("5000.00"),
    0x00010400: Decimal("2111.00"),
    0x00030000: Decimal("321.09"),
}
DEMAND_KW, DEMAND_AT = Decimal("12.3456"), datetime(2026, 2, 14, 9, 30, tzinfo=BJ)
EXPECTED_CONTRACT = {
    "address": ADDRESS,
    "energy": {
        "total": "12345.67",
        "sharp": "1234.56",
        "peak": "4000.11",
        "flat": "5000.00",
        "valley": "2111.00",
    },
    "reactive": "321.09",
    "max_demand_kw": "12.3456",
    "clock": "2026-03-01T08:30:15",
}
Peer: TypeAlias = MeterServerService
POLICY = CollectPolicy(attempts=2, reply_timeout=1.0, idle_gap=0.1)


@pytest.fixture(scope="module")
def peer() -> Iterator[Peer]:
    """The dlt645 meter simulator on a free loopback port, holding known registers."""
    server = MeterServerService.new_tcp_server("127.0.0.1", 0, 1.0)
    server.set_address(address_bytes(ADDRESS))
    for di, value in ENERGY.items():
        assert server.set_00(di, float(value))
    assert server.set_01(0x01010000, PeerDemand(float(DEMAND_KW), DEMAND_AT.replace(tzinfo=None)))
    assert server.set_04(0x04000101, "26030100")  # 2026-03-01, a Sunday (weekday 0)
    assert server.set_04(0x04000102, "083015")
    assert server.start()
    yield server
    server.stop()


def held_by(peer: Peer, di: int) -> Decimal:
    """The value the peer holds for ``di``, at the two decimals of its format."""
    item = peer.get_data_item(di)
    assert item is not None
    return Decimal(f"{item.value:.2f}")


def probe(port: int, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("M2C_")} | {"M2C_LANG": "en"}
    command = [str(M2C), "read", "probe", "--host", "127.0.0.1", "--port", str(port), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)


class TestTheCapturedPairAgainstThePeer:
    def test_the_peer_answers_the_captured_request_with_the_captured_reply(
        self, peer: MeterServerService
    ) -> None:
        with socket.create_connection(("127.0.0.1", peer.server.port), timeout=2) as connection:
            connection.sendall(read_request(WILDCARD, PHASE_A_VOLTAGE.code))
            reply = connection.recv(64)
        assert reply.lstrip(b"\xfe") == bytes.fromhex("68 AA AA AA AA AA AA 68 91 06 33 34 34 35 33 33 99 16")
        payload = reply_payload(decode_frame(reply), asked=WILDCARD, di=PHASE_A_VOLTAGE.code)
        assert decode_value(PHASE_A_VOLTAGE, payload) == Decimal("0.00")


class TestOurCollectorReadsThePeer:
    def test_the_collector_reads_the_values_the_peer_holds(self, peer: Peer) -> None:
        run = asyncio.run(collect([MeterTarget(ADDRESS, "127.0.0.1", peer.server.port)], policy=POLICY))
        readout = run.results[0].readout
        assert readout is not None
        assert (
            readout.total,
            readout.sharp,
            readout.peak,
            readout.flat,
            readout.valley,
            readout.reactive,
        ) == tuple(held_by(peer, di) for di in ENERGY)
        assert tuple(held_by(peer, di) for di in ENERGY) == tuple(ENERGY.values())
        assert (readout.max_demand_kw, readout.max_demand_at) == (DEMAND_KW, DEMAND_AT)
        assert readout.clock == datetime(2026, 3, 1, 8, 30, 15, tzinfo=BJ)

    def test_the_peer_lacks_daily_freezes_and_the_collector_still_collects(
        self, peer: MeterServerService
    ) -> None:
        policy = CollectPolicy(attempts=1, reply_timeout=1.0, with_daily_frozen=True)
        run = asyncio.run(collect([MeterTarget(ADDRESS, "127.0.0.1", peer.server.port)], policy=policy))
        readout = run.results[0].readout
        assert readout is not None and readout.daily_frozen is None
        assert readout.refused == ("05060001", "05060101")

    def test_the_peer_refusing_a_meter_it_is_not_is_a_meter_error(self, peer: Peer) -> None:
        run = asyncio.run(
            collect([MeterTarget("000000000001", "127.0.0.1", peer.server.port)], policy=POLICY)
        )
        assert run.results[0].error_kind is ErrorKind.METER_ERROR


class TestTheProbeCommandReadsThePeer:
    def test_probe_json_gives_the_public_contract_with_the_peers_values(
        self, peer: MeterServerService
    ) -> None:
        result = probe(peer.server.port, "--address", ADDRESS, "--json")
        assert result.returncode == 0, result.stderr
        printed: dict[str, Any] = json.loads(result.stdout)
        assert printed == EXPECTED_CONTRACT
        assert printed["energy"]["total"] == str(held_by(peer, 0x00010000))

    def test_probe_without_json_prints_a_table(self, peer: Peer) -> None:
        result = probe(peer.server.port, "--address", ADDRESS)
        assert result.returncode == 0, result.stderr
        assert "12345.67" in result.stdout and "2026-03-01 08:30:15" in result.stdout


class TestThePeerDecodesOurSimulator:
    def test_the_peers_codec_reads_our_gateway_simulators_replies(self) -> None:
        source = synthetic_source([ADDRESS], clock=datetime(2026, 3, 1, 8, 30, 15, tzinfo=BJ))

        async def ask() -> bytes:
            async with GatewaySimulator(source) as sim:
                reader, writer = await asyncio.open_connection(sim.host, sim.port)
                writer.write(read_request(ADDRESS, FORWARD_ACTIVE_TOTAL.code))
                reply = await asyncio.wait_for(reader.read(64), 2)
                writer.close()
                return reply

        frame = DLT645Protocol.deserialize(asyncio.run(ask()))
        assert frame is not None and frame.ctrl_code == 0x91
        assert bytes(frame.addr) == address_bytes(ADDRESS)
        digits = bytes(frame.data[4:8])[::-1].hex()
        registers = source.registers(ADDRESS)
        assert registers is not None
        assert Decimal(f"{digits[:6]}.{digits[6:]}") == registers.total
