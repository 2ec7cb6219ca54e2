"""Meter identities and metering transformers of the demo bureau. Pure.

Meter numbers are 13 characters, ``15`` (Inner Mongolia) + a type code (01 single-phase,
03 three-phase direct, 05 three-phase through CTs, 09 area supply meter) + a 9-digit serial;
the DL/T 645 address is the serial in 12 digits, so both are unique across the bureau.
"""

from __future__ import annotations

CT_PRIMARIES = (50, 75, 100, 150, 200, 300, 400, 500, 600, 800, 1000, 1500, 2000, 3000)
INTEGER_DIGITS = 6
DECIMAL_DIGITS = 2
WRAP = 10 ** (INTEGER_DIGITS + DECIMAL_DIGITS)  # a register wraps at 999999.99 → 0 (in hundredths)
_TYPE_CODES = {"single": "01", "three": "03", "ct": "05", "supply": "09"}


def meter_identity(serial: int, kind: str) -> tuple[str, str]:
    """Meter number (资产编号) and DL/T 645 address of the meter with this serial."""
    return f"15{_TYPE_CODES[kind]}{serial:09d}", f"{serial:012d}"


def ct_ratio_for(amperes: float) -> int:
    """The ratio of the smallest standard x/5 A CT whose primary carries 1.2 × the current."""
    for primary in CT_PRIMARIES:
        if primary >= amperes * 1.2:
            return primary // 5
    return CT_PRIMARIES[-1] // 5
