"""The ``dlt645`` package's meter simulator, taught to acknowledge remote control (1CH).

dlt645 3.2.0 answers an unknown control code, 1CH among them, with an error reply. This subclass
changes only that: a 1CH request whose password passes the package's own check (as it does for
its other privileged commands, level 02 or better) is acknowledged with 9CH and the relay state
is recorded; a wrong password gets DCH with the package's AuthFailed bit. Every other request is
the package's own handling. The request is decoded with the package's own frame parser, so our
codec is checked against an independent reader of the frame.

Like the package's server, it costs about a second of CPU to build: share one per module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dlt645 import MeterServerService
from dlt645.model.types.dlt645_type import ErrorCode
from dlt645.model.validators import validate_device
from dlt645.protocol.protocol import DLT645Protocol

CONTROL = 0x1C
TRIP, ALLOW_CLOSE, DIRECT_CLOSE = 0x1A, 0x1B, 0x1C
CLOSED, TRIPPED, CLOSE_ALLOWED = "closed", "tripped", "close_allowed"


@dataclass(frozen=True)
class Received:
    """One 1CH request as the peer read it: N1, password bytes, operator bytes (as sent), deadline."""

    command: int
    password: bytes
    operator: bytes
    valid_until: datetime


class ControlPeer(MeterServerService):  # type: ignore[misc]
    """A simulated meter with a relay: ``closed`` until tripped; 1BH makes it ``close_allowed``
    (the customer's button closes it, `press_button`), 1CH closes it at once."""

    relay: str
    received: list[Received]

    def handle_request(self, frame: Any) -> Any:
        if frame.ctrl_code != CONTROL:
            return super().handle_request(frame)
        if not validate_device(self.address, frame.ctrl_code, frame.addr):
            return self._build_error_response(frame, error_code=ErrorCode.OtherError)
        data = bytes(frame.data)
        if len(data) != 16 or not self._check_password_with_level(bytearray(data[:4]), max_level=2):
            return self._build_error_response(frame, error_code=ErrorCode.AuthFailed)
        ss, mm, hh, day, month, year = (int(f"{b:02x}") for b in data[10:16])
        deadline = datetime(2000 + year, month, day, hh, mm, ss)  # the meter's wall clock  # noqa: DTZ001
        self.received.append(Received(data[8], data[:4], data[4:8], deadline))
        if data[8] == TRIP:
            self.relay = TRIPPED
        elif data[8] == DIRECT_CLOSE or (data[8] == ALLOW_CLOSE and self.relay == CLOSED):
            self.relay = CLOSED
        elif data[8] == ALLOW_CLOSE:
            self.relay = CLOSE_ALLOWED
        return DLT645Protocol.build_frame(frame.addr, CONTROL | 0x80, b"")

    def press_button(self) -> None:
        """The customer presses the meter's button: a relay allowed to close closes."""
        if self.relay == CLOSE_ALLOWED:
            self.relay = CLOSED


def control_peer(*, address_wire: bytes, password: str) -> ControlPeer:
    """A started peer on a free loopback port (``peer.server.port``) with the wire-order address
    and a password given as the package takes it (8 digits, ``PA P0 P1 P2`` as sent)."""
    peer = ControlPeer.new_tcp_server("127.0.0.1", 0, 1.0)
    assert isinstance(peer, ControlPeer)
    peer.relay, peer.received = CLOSED, []
    peer.set_address(address_wire)
    assert peer.set_password(password)
    assert peer.start()
    return peer
