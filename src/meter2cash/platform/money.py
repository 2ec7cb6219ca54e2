"""Exact money and energy.

Rule (domain-rules.md §2.7): money is never binary floating point. Each bill line is rounded to
the fen (0.01 元) half-up on the magnitude (四舍五入, half away from zero: −327.375 → −327.38);
a total is the sum of rounded lines. `round_fen` is the one place that rounding happens.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")


class NotExact(TypeError):
    """A binary float (or other inexact value) was offered where an exact amount is required."""


class BadAmount(ValueError):
    """Text that is not a decimal number was offered as an amount."""


def exact(value: object) -> Decimal:
    """Turn `value` into a Decimal, refusing floats and booleans outright.

    Accepts Decimal, int and decimal text such as ``"12.30"`` (surrounding blanks allowed).
    """
    if isinstance(value, bool | float):
        raise NotExact(f"binary float or bool not allowed for an exact amount: {value!r}")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise BadAmount(f"not a finite number: {value!r}")
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        try:
            result = Decimal(text)
        except InvalidOperation as error:
            raise BadAmount(f"not a decimal number: {value!r}") from error
        if not result.is_finite():
            raise BadAmount(f"not a finite number: {value!r}")
        return result
    raise NotExact(f"not an exact amount: {value!r} ({type(value).__name__})")


def round_fen(amount: Decimal) -> Decimal:
    """Round an amount in 元 to the fen, half away from zero (四舍五入). The only money rounding."""
    if not isinstance(amount, Decimal):
        raise NotExact(f"round_fen needs a Decimal, got {type(amount).__name__}")
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def round_to(value: Decimal, *, places: int) -> Decimal:
    """Round a non-money quantity (energy, power factor) half-up to `places` decimals."""
    if not isinstance(value, Decimal):
        raise NotExact(f"round_to needs a Decimal, got {type(value).__name__}")
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def fen_text(amount: Decimal) -> str:
    """Money as a plain decimal string with two places, as shown on bills and in JSON."""
    return str(round_fen(amount))
