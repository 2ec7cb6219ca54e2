"""DL/T 645-2007 remote control (远程控制, 拉合闸): control code 1CH, to trip or close a meter's relay.

Request (master → meter), control code ``1C``, data field ``L = 04H + 04H + 08H``::

    PA P0 P1 P2   C0 C1 C2 C3   N1   N2   N3 N4 N5 N6 N7 N8
    password      operator      type 00   valid until: ss mm hh DD MM YY (BCD)

- ``PA P0 P1 P2``: the password, ``PA`` its level (权限) then ``P0…P2`` low byte first; the meter
  compares the four bytes as sent (`meter_password` builds them from a level and 6 digits).
- ``C0…C3``: the operator code (操作者代码), 8 digits, low byte first; the meter records it.
- ``N1``: the command (`ControlCommand`): 1A trip (跳闸), 1B allow close (合闸允许: the customer
  closes by the button), 2A alarm, 2B alarm release, 3A hold (保电), 3B hold release; 1C direct
  close (直接合闸) is a State Grid extension (Q/GDW 1365-2013 family), not in the 2007 text.
- ``N2``: reserved, 00. ``N3…N8``: the command's deadline (命令有效截止时间) as BCD seconds first;
  a meter ignores a command received after it. The time is the meter's wall clock (Asia/Shanghai).

Replies: normal ``9C`` with no data; abnormal ``DC`` with one error byte (错误信息字, the bits of
`frame.ERROR_BITS`). Every data byte is sent +33H, and the checksum and framing are `frame`'s.
The frame functions are pure; only `send_control` opens a TCP connection (through `link`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import IntEnum

from meter2cash.platform.clock import BUSINESS_TZ
from meter2cash.reading.dlt645.bcd import BadDigits, digits_of, packed
from meter2cash.reading.dlt645.frame import (
    ERROR_BITS,
    Frame,
    UnexpectedReply,
    WrongAddress,
    addresses_match,
    decode_frame,
    encode_frame,
    normalise_address,
)
from meter2cash.reading.dlt645.link import GatewayLink, LinkSettings

CONTROL = 0x1C
CONTROL_REPLY = 0x9C
CONTROL_ERROR_REPLY = 0xDC
DATA_SIZE = 16  # 4 password + 4 operator + N1 + N2 + 6 deadline


class ControlCommand(IntEnum):
    """N1, the control type of a 1CH command."""

    TRIP = 0x1A  # 跳闸
    ALLOW_CLOSE = 0x1B  # 合闸允许
    DIRECT_CLOSE = 0x1C  # 直接合闸 (State Grid extension)
    ALARM = 0x2A  # 报警
    ALARM_RELEASE = 0x2B  # 报警解除
    HOLD = 0x3A  # 保电
    HOLD_RELEASE = 0x3B  # 保电解除


class BadControlRequest(ValueError):
    """A control request that cannot be sent or was not a well-formed 1CH request."""


@dataclass(frozen=True, slots=True)
class ControlRequest:
    """A decoded 1CH request: the address, command, password bytes as sent, operator code,
    and the deadline as the meter's wall-clock time (aware, in the meter's zone)."""

    address: str
    command: ControlCommand
    password: bytes
    operator: str
    valid_until: datetime


@dataclass(frozen=True, slots=True)
class ControlReply:
    """A meter's answer: ``ok`` for 9CH; else the error byte of DCH and its meanings."""

    address: str
    ok: bool
    error_byte: int | None = None

    @property
    def reasons(self) -> tuple[str, ...]:
        error = self.error_byte or 0
        return tuple(text for bit, text in ERROR_BITS.items() if error & bit)


def meter_password(*, level: int, code: str) -> bytes:
    """The four password bytes ``PA P0 P1 P2`` of a level (00–09) and a 6-digit code written most
    significant first: level 2, ``"123456"`` → ``02 56 34 12``."""
    if not 0 <= level <= 9 or len(code) != 6 or not code.isdigit():
        raise BadControlRequest(f"a password is a level 0–9 and 6 digits, not {level}/{code!r}")
    return bytes([level]) + packed(code)


def control_frame(
    *,
    address: str,
    command: ControlCommand,
    password: bytes,
    operator: str,
    valid_until: datetime,
    meter_tz: tzinfo = BUSINESS_TZ,
    wakeup: int = 0,
) -> bytes:
    """The 1CH request frame; ``valid_until`` (aware) is sent as the meter's wall-clock time."""
    if len(password) != 4:
        raise BadControlRequest(f"the password is 4 bytes (PA P0 P1 P2), not {password.hex(' ')}")
    if len(operator) != 8 or not operator.isdigit():
        raise BadControlRequest(f"the operator code is 8 digits, not {operator!r}")
    if valid_until.tzinfo is None or valid_until.utcoffset() is None:
        raise BadControlRequest("the command deadline needs a time zone")
    wall = valid_until.astimezone(meter_tz)
    if not 2000 <= wall.year <= 2099:
        raise BadControlRequest(f"the deadline year must be 2000–2099 (two BCD digits): {wall.year}")
    deadline = bytes.fromhex(wall.strftime("%S%M%H%d%m%y"))  # ss mm hh DD MM YY, one BCD byte each
    data = password + packed(operator) + bytes([ControlCommand(command), 0x00]) + deadline
    return encode_frame(Frame(normalise_address(address), CONTROL, data), wakeup=wakeup)


def trip_frame(
    *, address: str, password: bytes, operator: str, valid_until: datetime, wakeup: int = 0
) -> bytes:
    """Trip the relay (跳闸, N1 = 1AH): supply stops."""
    return control_frame(
        address=address,
        command=ControlCommand.TRIP,
        password=password,
        operator=operator,
        valid_until=valid_until,
        wakeup=wakeup,
    )


def close_frame(
    *,
    address: str,
    password: bytes,
    operator: str,
    valid_until: datetime,
    direct: bool = False,
    wakeup: int = 0,
) -> bytes:
    """Close the relay: allow close (合闸允许, 1BH, the customer presses the button) by default,
    or close at once (直接合闸, 1CH) with ``direct``."""
    command = ControlCommand.DIRECT_CLOSE if direct else ControlCommand.ALLOW_CLOSE
    return control_frame(
        address=address,
        command=command,
        password=password,
        operator=operator,
        valid_until=valid_until,
        wakeup=wakeup,
    )


def parse_control_request(raw: bytes, *, meter_tz: tzinfo = BUSINESS_TZ) -> ControlRequest:
    """Decode a 1CH request (what a meter, or a test peer, receives)."""
    frame = decode_frame(raw)
    if frame.control != CONTROL or len(frame.data) != DATA_SIZE:
        raise BadControlRequest(f"not a 1CH request: control {frame.control:02X}, {len(frame.data)} bytes")
    data = frame.data
    try:
        command = ControlCommand(data[8])
        ss, mm, hh, day, month, year = (int(digits_of(data[i : i + 1])) for i in range(10, 16))
        valid_until = datetime(2000 + year, month, day, hh, mm, ss, tzinfo=meter_tz)
        operator = digits_of(data[4:8])
    except (ValueError, BadDigits) as error:
        raise BadControlRequest(f"not a valid 1CH data field: {data.hex(' ').upper()} ({error})") from None
    return ControlRequest(frame.address, command, data[:4], operator, valid_until)


def control_reply(*, address: str, error_byte: int | None = None, wakeup: int = 0) -> bytes:
    """A meter's reply: normal (9CH, no data), or abnormal (DCH) with ``error_byte``."""
    if error_byte is None:
        return encode_frame(Frame(address, CONTROL_REPLY), wakeup=wakeup)
    return encode_frame(Frame(address, CONTROL_ERROR_REPLY, bytes([error_byte])), wakeup=wakeup)


def parse_control_reply(raw: bytes, *, asked: str | None = None) -> ControlReply:
    """Decode a reply to a 1CH request: ok, or the meter's error byte (an answer, not an exception).

    Raises `frame.FrameError` for bytes that are not a frame, `WrongAddress` for a reply from
    another meter than ``asked``, `UnexpectedReply` for a reply that is not to a 1CH request.
    """
    frame = decode_frame(raw)
    if asked is not None and not addresses_match(normalise_address(asked), frame.address):
        raise WrongAddress(f"asked {asked}, answered by {frame.address}")
    if frame.control == CONTROL_REPLY:
        return ControlReply(frame.address, ok=True)
    if frame.control == CONTROL_ERROR_REPLY:
        return ControlReply(frame.address, ok=False, error_byte=frame.data[0] if frame.data else 0)
    raise UnexpectedReply(f"control code {frame.control:02X} does not answer a 1CH request (9C or DC)")


async def send_control(
    *,
    host: str,
    port: int,
    address: str,
    command: ControlCommand,
    password: bytes,
    operator: str,
    valid_until: datetime,
    settings: LinkSettings | None = None,
) -> ControlReply:
    """Send one 1CH command over TCP to the meter's gateway and return its reply.

    Raises `link.NoAnswer`, `link.LinkDown` or a `frame.FrameError`; an error reply is returned.
    """
    settings = settings or LinkSettings()
    request = control_frame(
        address=address,
        command=command,
        password=password,
        operator=operator,
        valid_until=valid_until,
        wakeup=settings.wakeup_bytes,
    )
    async with GatewayLink(host, port, settings) as link:
        raw = await link.exchange(request)
    return parse_control_reply(raw, asked=address)
