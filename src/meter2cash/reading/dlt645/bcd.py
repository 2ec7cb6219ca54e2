"""Packed BCD numbers as DL/T 645-2007 sends them. Pure.

Rule (DL/T 645-2007 §4.3, data formats): a value is packed BCD, two decimal digits a byte, sent
low byte first. Its format fixes the number of digits and of decimals, e.g. energy ``XXXXXX.XX``
is 4 bytes with 2 decimals. For signed quantities the top bit of the most significant byte is
the sign (1 = negative), so a signed value's top digit is at most 7.

Values are `Decimal` with exactly the scale of the format: ``00 00 34 12`` as ``XXXXXX.XX`` is
``Decimal("1234.00")``. Never binary float.
"""

from __future__ import annotations

from decimal import Decimal

SIGN_BIT = 0x80


class BadDigits(ValueError):
    """A byte holds a nibble above 9: not a BCD number."""


class DoesNotFit(ValueError):
    """A value has more digits or decimals than its format allows."""


def digits_of(data: bytes) -> str:
    """The decimal digits of low-byte-first packed BCD, most significant first."""
    text = data[::-1].hex()
    if text and not text.isdigit():
        raise BadDigits(f"not BCD: {data.hex(' ').upper()}")
    return text


def packed(digits: str) -> bytes:
    """Low-byte-first packed BCD of an even-length digit string (most significant digit first)."""
    if len(digits) % 2 or not digits.isdigit():
        raise DoesNotFit(f"need an even number of decimal digits: {digits!r}")
    return bytes.fromhex(digits)[::-1]


def decimal_from_bcd(data: bytes, *, scale: int, signed: bool = False) -> Decimal:
    """Decode a number of format ``X…X.X…X`` (``scale`` decimals), e.g. ``XXXXXX.XX`` → scale 2."""
    negative = False
    if signed and data:
        negative = bool(data[-1] & SIGN_BIT)
        data = data[:-1] + bytes([data[-1] & ~SIGN_BIT & 0xFF])
    digits = digits_of(data)
    if scale:
        whole, fraction = digits[:-scale], digits[-scale:].rjust(scale, "0")
        text = f"{whole.lstrip('0') or '0'}.{fraction}"
    else:
        text = digits.lstrip("0") or "0"
    value = Decimal(text)
    return -value if negative and value else value


def bcd_from_decimal(value: Decimal, *, size: int, scale: int, signed: bool = False) -> bytes:
    """Encode ``value`` in ``size`` bytes with ``scale`` decimals; refuse anything inexact."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise DoesNotFit(f"need a finite Decimal, got {value!r}")
    units = value.scaleb(scale)
    if units != units.to_integral_value():
        raise DoesNotFit(f"{value} has more than {scale} decimals")
    magnitude = abs(int(units))
    digits = str(magnitude).rjust(size * 2, "0")
    if len(digits) > size * 2 or (signed and int(digits[0]) > 7):
        raise DoesNotFit(f"{value} does not fit {size} BCD bytes")
    if value < 0 and not signed:
        raise DoesNotFit(f"{value} is negative but the format is unsigned")
    data = bytearray(packed(digits))
    if value < 0 and magnitude:
        data[-1] |= SIGN_BIT
    return bytes(data)
