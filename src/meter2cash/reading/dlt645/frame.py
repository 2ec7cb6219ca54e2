"""DL/T 645-2007 frames (帧): encode, decode, locate in a byte stream. Pure.

Frame (DL/T 645-2007 §4.1)::

    [FE FE FE FE]  68  A0 A1 A2 A3 A4 A5  68  C  L  DATA…  CS  16

- ``FE`` wake-up bytes (前导字节) may precede a frame; they are not part of it.
- ``A0…A5``: the meter address (通信地址), 12 BCD digits sent low byte first, so address
  ``123456789012`` is sent ``12 90 78 56 34 12``. A byte ``AA`` is a wildcard (``AAAAAAAAAAAA``
  reaches whichever meter is on the line).
- ``C`` control code: ``11`` read data; a meter answers ``91`` (normal) or ``D1`` (error reply,
  one error byte ERR). ``L``: length of the data field.
- ``DATA``: every byte sent +33H (and −33H on receipt). A read carries the 4-byte data
  identifier (DI), low byte first; the reply echoes the DI and appends the value.
- ``CS``: sum modulo 256 of all bytes from the first ``68`` to the end of the data field.

Each way a frame can be wrong has its own exception; a collector records them per meter.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

START = 0x68
END = 0x16
WAKEUP = 0xFE
DATA_OFFSET = 0x33
READ = 0x11
READ_REPLY = 0x91
READ_ERROR_REPLY = 0xD1
WILDCARD = "AAAAAAAAAAAA"
HEADER_SIZE = 10  # 68, six address bytes, 68, C, L
MIN_FRAME_SIZE = 12  # header + CS + 16
MAX_FRAME_SIZE = MIN_FRAME_SIZE + 255

# DL/T 645-2007 Table: error information byte (错误信息字 ERR) of an error reply.
_PLUS_33 = bytes((i + DATA_OFFSET) & 0xFF for i in range(256))
_MINUS_33 = bytes((i - DATA_OFFSET) & 0xFF for i in range(256))

ERROR_BITS: dict[int, str] = {
    0x01: "other error (其他错误)",
    0x02: "no requested data (无请求数据)",
    0x04: "unauthorised or wrong password (密码错/未授权)",
    0x08: "baud rate cannot be changed (通信速率不能更改)",
    0x10: "too many annual time zones (年时区数超)",
    0x20: "too many daily time slots (日时段数超)",
    0x40: "too many tariffs (费率数超)",
}


class BadAddress(ValueError):
    """Text that is not a meter address: 12 BCD digits, with ``AA`` bytes as wildcards."""


class FrameError(ValueError):
    """A reply that cannot be used."""


class GarbledFrame(FrameError):
    """Bytes that are not a DL/T 645 frame (no start byte, no second 68, no end byte 16)."""


class TruncatedFrame(FrameError):
    """A frame that began but stopped before its length field said it would end."""


class BadChecksum(FrameError):
    """A whole frame whose checksum byte does not match its contents."""


class WrongAddress(FrameError):
    """A well-formed reply from a meter other than the one asked."""


class UnexpectedReply(FrameError):
    """A well-formed reply that does not answer the request (control code or DI differ)."""


class MeterErrorReply(FrameError):
    """The meter answered with an error reply (control ``D1``) and an error byte."""

    def __init__(self, error_byte: int, *, address: str) -> None:
        self.error_byte = error_byte
        self.address = address
        super().__init__(f"meter {address} error reply {error_byte:02X}: {', '.join(self.reasons) or 'none'}")

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(text for bit, text in ERROR_BITS.items() if self.error_byte & bit)

    @property
    def no_data(self) -> bool:
        """The meter has no such data item (e.g. a single-phase meter asked for demand)."""
        return bool(self.error_byte & 0x02)


@dataclass(frozen=True, slots=True)
class Frame:
    """A decoded frame: address as 12 characters, control code, data with 33H removed."""

    address: str
    control: int
    data: bytes = b""


@lru_cache(maxsize=65536)
def normalise_address(text: str) -> str:
    """A meter address as 12 upper-case characters; shorter all-digit text is zero-padded.

    ``"1"`` → ``"000000000001"``; ``"aaaaaaaaaaaa"`` → the wildcard. Each byte (2 characters)
    is either 2 decimal digits or ``AA``.
    """
    value = text.strip().upper()
    if value.isdigit() and len(value) < 12:
        value = value.rjust(12, "0")
    pairs = [value[i : i + 2] for i in range(0, len(value), 2)]
    if len(value) != 12 or not all(p.isdigit() or p == "AA" for p in pairs):
        raise BadAddress(f"not a DL/T 645 address (12 BCD digits, AA = wildcard): {text!r}")
    return value


def address_bytes(address: str) -> bytes:
    """The six address bytes in wire order (low byte first)."""
    return bytes.fromhex(normalise_address(address))[::-1]


def address_text(wire: bytes) -> str:
    """The address of six wire-order bytes, as 12 characters."""
    return wire[::-1].hex().upper()


def addresses_match(asked: str, answered: str) -> bool:
    """Whether a reply from ``answered`` may answer a request to ``asked`` (AA bytes match any)."""
    if asked == answered:
        return True
    return all(a in ("AA", b) for a, b in zip(_pairs(asked), _pairs(answered), strict=True))


def is_wildcard(address: str) -> bool:
    return "A" in address and "AA" in _pairs(address)


def _pairs(address: str) -> list[str]:
    return [address[i : i + 2] for i in range(0, 12, 2)]


def checksum(data: bytes | bytearray) -> int:
    return sum(data) & 0xFF


def encode_frame(frame: Frame, *, wakeup: int = 0) -> bytes:
    """The bytes of ``frame``, preceded by ``wakeup`` FE bytes."""
    if len(frame.data) > 255:
        raise ValueError("a data field holds at most 255 bytes")
    if not 0 <= frame.control <= 0xFF:
        raise ValueError(f"control code out of range: {frame.control}")
    body = bytearray((START, *address_bytes(frame.address), START, frame.control, len(frame.data)))
    body += frame.data.translate(_PLUS_33)
    body.append(checksum(body))
    body.append(END)
    return bytes([WAKEUP] * wakeup) + bytes(body)


def decode_frame(raw: bytes) -> Frame:
    """Decode one frame. Leading FE bytes are skipped; anything else must be the frame itself.

    Raises `GarbledFrame`, `TruncatedFrame` or `BadChecksum`.
    """
    start = 0
    while start < len(raw) and raw[start] == WAKEUP:
        start += 1
    body = raw[start:]
    if not body:
        raise TruncatedFrame("no bytes after the wake-up bytes")
    if body[0] != START:
        raise GarbledFrame(f"frame does not start with 68: {_shown(body)}")
    if len(body) >= 8 and body[7] != START:
        raise GarbledFrame(f"no second 68 after the address: {_shown(body)}")
    if len(body) < MIN_FRAME_SIZE or len(body) < MIN_FRAME_SIZE + body[9]:
        raise TruncatedFrame(f"frame stops after {len(body)} bytes: {_shown(body)}")
    size = body[9]
    end = HEADER_SIZE + size
    if body[end + 1] != END:
        raise GarbledFrame(f"frame does not end with 16: {_shown(body)}")
    if len(body) > end + 2:
        raise GarbledFrame(f"{len(body) - end - 2} bytes after the end of the frame: {_shown(body)}")
    if body[end] != checksum(body[:end]):
        raise BadChecksum(f"checksum {body[end]:02X}, expected {checksum(body[:end]):02X}: {_shown(body)}")
    return Frame(
        address=address_text(body[1:7]),
        control=body[8],
        data=body[HEADER_SIZE:end].translate(_MINUS_33),
    )


def frame_extent(buffer: bytes | bytearray) -> tuple[int, int] | None:
    """Where the first complete frame in a byte stream lies, as ``(start, end)``; None if none yet.

    Skips wake-up bytes and line noise before a header (``68``, six bytes, ``68``). The extent is
    taken from the length field; the frame's checksum is checked later by `decode_frame`.
    """
    position = buffer.find(START)
    while position >= 0:
        if len(buffer) < position + HEADER_SIZE:
            return None
        if buffer[position + 7] == START:
            end = position + MIN_FRAME_SIZE + buffer[position + 9]
            return (position, end) if len(buffer) >= end else None
        position = buffer.find(START, position + 1)
    return None


def incomplete_reason(buffer: bytes) -> FrameError:
    """Why bytes that ended without a complete frame are unusable (for a reply cut short)."""
    position = buffer.find(START)
    header_possible = position >= 0 and (len(buffer) < position + 8 or buffer[position + 7] == START)
    if header_possible:
        return TruncatedFrame(f"reply stops after {len(buffer) - position} bytes: {_shown(buffer)}")
    return GarbledFrame(f"reply is not a DL/T 645 frame: {_shown(buffer)}")


def read_request(address: str, di: int, *, wakeup: int = 0) -> bytes:
    """A read-data request (control 11) for data identifier ``di``."""
    return encode_frame(Frame(normalise_address(address), READ, di.to_bytes(4, "little")), wakeup=wakeup)


def read_reply(address: str, di: int, payload: bytes, *, wakeup: int = 0) -> bytes:
    """A meter's normal reply (control 91): the DI echoed, then the value."""
    return encode_frame(Frame(address, READ_REPLY, di.to_bytes(4, "little") + payload), wakeup=wakeup)


def error_reply(address: str, error_byte: int, *, wakeup: int = 0) -> bytes:
    """A meter's error reply (control D1) with error byte ERR."""
    return encode_frame(Frame(address, READ_ERROR_REPLY, bytes([error_byte])), wakeup=wakeup)


def reply_payload(frame: Frame, *, asked: str, di: int) -> bytes:
    """The value bytes of a reply to a read of ``di`` from ``asked``, after checking it answers.

    Raises `WrongAddress`, `MeterErrorReply` or `UnexpectedReply`.
    """
    if not addresses_match(asked, frame.address):
        raise WrongAddress(f"asked {asked}, answered by {frame.address}")
    if frame.control == READ_ERROR_REPLY:
        raise MeterErrorReply(frame.data[0] if frame.data else 0, address=frame.address)
    if frame.control != READ_REPLY:
        raise UnexpectedReply(f"control code {frame.control:02X} does not answer a read (expected 91)")
    if len(frame.data) < 4 or int.from_bytes(frame.data[:4], "little") != di:
        raise UnexpectedReply(f"reply is for DI {frame.data[:4][::-1].hex().upper()}, asked {di:08X}")
    return frame.data[4:]


def _shown(data: bytes, limit: int = 40) -> str:
    text = data[:limit].hex(" ").upper()
    return text + (" …" if len(data) > limit else "")
