"""Remote control (DL/T 645-2007, 1CH) against an independent peer over real TCP on 127.0.0.1:
the ``dlt645`` package's meter simulator, extended only to acknowledge 1CH and keep a relay
(``tests/dlt645_control_peer.py``)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from datetime import datetime

import pytest

from dlt645_control_peer import CLOSE_ALLOWED, CLOSED, TRIPPED, ControlPeer, control_peer
from meter2cash.platform.clock import BUSINESS_TZ as BJ
from meter2cash.reading.dlt645.control import (
    ControlCommand,
    ControlReply,
    close_frame,
    meter_password,
    parse_control_reply,
    send_control,
    trip_frame,
)
from meter2cash.reading.dlt645.frame import address_bytes
from meter2cash.reading.dlt645.link import LinkDown, LinkSettings

ADDRESS = "123456789012"
PASSWORD = meter_password(level=2, code="123456")  # 02 56 34 12 as sent
OPERATOR = "00001234"
DEADLINE = datetime(2026, 11, 30, 18, 0, tzinfo=BJ)
SETTINGS = LinkSettings(reply_timeout=2.0, idle_gap=0.1)


@pytest.fixture(scope="module")
def peer() -> Iterator[ControlPeer]:
    server = control_peer(address_wire=address_bytes(ADDRESS), password=PASSWORD.hex())
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def closed_relay(peer: ControlPeer) -> None:
    peer.relay, peer.received = CLOSED, []


def command(peer: ControlPeer, which: ControlCommand, *, password: bytes = PASSWORD) -> ControlReply:
    return asyncio.run(
        send_control(
            host="127.0.0.1",
            port=peer.server.port,
            address=ADDRESS,
            command=which,
            password=password,
            operator=OPERATOR,
            valid_until=DEADLINE,
            settings=SETTINGS,
        )
    )


class TestTripAndCloseAgainstThePeer:
    def test_a_trip_is_acknowledged_and_opens_the_relay(self, peer: ControlPeer) -> None:
        reply = command(peer, ControlCommand.TRIP)
        assert reply == ControlReply(address=ADDRESS, ok=True)
        assert peer.relay == TRIPPED

    def test_a_direct_close_after_a_trip_closes_the_relay(self, peer: ControlPeer) -> None:
        command(peer, ControlCommand.TRIP)
        assert command(peer, ControlCommand.DIRECT_CLOSE).ok
        assert peer.relay == CLOSED

    def test_allow_close_waits_for_the_customers_button(self, peer: ControlPeer) -> None:
        command(peer, ControlCommand.TRIP)
        assert command(peer, ControlCommand.ALLOW_CLOSE).ok
        assert peer.relay == CLOSE_ALLOWED
        peer.press_button()
        assert peer.relay == CLOSED

    def test_the_peer_reads_our_password_operator_and_deadline_as_sent(self, peer: ControlPeer) -> None:
        command(peer, ControlCommand.TRIP)
        (received,) = peer.received
        assert received.command == ControlCommand.TRIP
        assert received.password == bytes.fromhex("02563412")
        assert received.operator == bytes.fromhex("34120000")  # 00001234, low byte first
        assert received.valid_until == DEADLINE.replace(tzinfo=None)

    def test_a_wrong_password_is_an_error_reply_and_the_relay_stays_closed(self, peer: ControlPeer) -> None:
        reply = command(peer, ControlCommand.TRIP, password=meter_password(level=2, code="000000"))
        assert (reply.ok, reply.error_byte) == (False, 0x04)
        assert reply.reasons == ("unauthorised or wrong password (密码错/未授权)",)
        assert peer.relay == CLOSED


class TestTheRawFramesOverASocket:
    def test_the_peer_answers_our_trip_frame_with_a_bare_9c_reply(self, peer: ControlPeer) -> None:
        request = trip_frame(address=ADDRESS, password=PASSWORD, operator=OPERATOR, valid_until=DEADLINE)
        with socket.create_connection(("127.0.0.1", peer.server.port), timeout=2) as connection:
            connection.sendall(request)
            reply = connection.recv(64)
        assert reply.lstrip(b"\xfe") == bytes.fromhex("68 12 90 78 56 34 12 68 9C 00 22 16")
        assert parse_control_reply(reply, asked=ADDRESS).ok

    def test_a_close_frame_to_another_meter_is_refused_by_the_peer(self, peer: ControlPeer) -> None:
        request = close_frame(
            address="000000000001", password=PASSWORD, operator=OPERATOR, valid_until=DEADLINE
        )
        with socket.create_connection(("127.0.0.1", peer.server.port), timeout=2) as connection:
            connection.sendall(request)
            reply = parse_control_reply(connection.recv(64))
        assert not reply.ok


class TestNoMeterThere:
    def test_a_closed_port_is_link_down(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with pytest.raises(LinkDown):
            asyncio.run(
                send_control(
                    host="127.0.0.1",
                    port=port,
                    address=ADDRESS,
                    command=ControlCommand.TRIP,
                    password=PASSWORD,
                    operator=OPERATOR,
                    valid_until=DEADLINE,
                    settings=LinkSettings(connect_timeout=1.0),
                )
            )
