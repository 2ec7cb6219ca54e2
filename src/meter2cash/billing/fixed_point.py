"""Exact fixed-point integers for the column-wise pricing engine. Pure.

The engine prices many accounts at once on integer columns, never on floats: energy, demand and
capacity are integers in units of 10⁻⁴ (kWh, kvarh, kW, kVA), unit prices are integers in units
of 10⁻¹⁰ 元 (a catalog price has at most 6 decimals and a TOU multiplier at most 4, so their
product is exact). A line amount is ``quantity × price ÷ denominator``, rounded to the fen half
away from zero (四舍五入 on the magnitude, domain-rules §2.7) by `to_fen`, the column form of
`meter2cash.platform.money.round_fen`; `tests/unit/billing` checks the two agree.

Columns are ``int64`` arrays when their values are safely small and arrays of Python integers
(``dtype=object``) otherwise. Every product goes through `mul`, which checks the bound first and
falls back to Python integers when int64 could overflow (numpy would wrap silently): int64 is
where the speed comes from, Python integers are the exact net under it, and the arithmetic is the
same code either way.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

QTY = 10**4  # kWh, kvarh, kW, kVA: 4 decimals (the determinant's scale)
PRICE = 10**10  # 元 per unit: catalog price (≤ 6 decimals) × multiplier (≤ 4 decimals)
RATIO = 10**4  # multipliers and ratios: 4 decimals
PRICE_DECIMALS = 6
RATIO_DECIMALS = 4
FEN_PER_YUAN = 100
_INT64_SAFE = 2**62

Ints = npt.NDArray[Any]  # Python ints (dtype=object) or int64


class TooPrecise(ValueError):
    """A value with more decimals than the engine keeps exactly."""


def scaled(value: Decimal, *, scale: int, what: str) -> int:
    """``value × scale`` as an exact integer; refuses a value that would lose digits."""
    product = value * scale
    if product != product.to_integral_value():
        raise TooPrecise(f"{what} {value} has more decimals than the {len(str(scale)) - 1} kept")
    return int(product)


def column(values: Iterable[int]) -> Ints:
    """A column of exact integers: int64 when every value is safely small, else Python ints."""
    items = list(values)
    try:
        small = np.array(items, dtype=np.int64)
    except OverflowError:
        small = None
    if small is not None and _top(small) < _INT64_SAFE:
        return small
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def zeros(n: int) -> Ints:
    return np.zeros(n, dtype=np.int64)


def full(n: int, value: int) -> Ints:
    if -_INT64_SAFE < value < _INT64_SAFE:
        return np.full(n, value, dtype=np.int64)
    out = np.empty(n, dtype=object)
    out[:] = value
    return out


def _top(values: Ints | int) -> int:
    """The largest magnitude in ``values``."""
    if isinstance(values, int):
        return abs(values)
    if len(values) == 0:
        return 0
    return max(abs(int(values.max())), abs(int(values.min())))


def _exact(values: Ints | int, *, small: bool) -> Ints | int:
    if isinstance(values, int):
        return values
    if small:
        return values if values.dtype == np.int64 else values.astype(np.int64)
    return values if values.dtype == object else values.astype(object)


def mul(left: Ints | int, right: Ints | int) -> Ints:
    """``left × right`` exactly: in int64 when the product cannot overflow, else in Python ints.
    Every product in the engine goes through here; numpy's int64 would wrap silently."""
    small = _top(left) * _top(right) < _INT64_SAFE
    result = _exact(left, small=small) * _exact(right, small=small)
    assert isinstance(result, np.ndarray)
    return result


def div_half_up(numerator: Ints, denominator: Ints | int) -> Ints:
    """``numerator ÷ denominator`` rounded half away from zero; the denominator is positive."""
    small = _top(numerator) * 2 + _top(denominator) < _INT64_SAFE
    numerator = _exact(numerator, small=small)  # type: ignore[assignment]
    denominator = _exact(denominator, small=small)
    magnitude = (abs(numerator) * 2 + denominator) // (denominator * 2)
    return np.where(numerator < 0, -magnitude, magnitude)


def to_fen(*, quantity: Ints, quantity_scale: int, price: Ints | int, denominator: Ints | int = 1) -> Ints:
    """The amount ``quantity × price ÷ denominator`` in fen, rounded half away from zero.

    ``quantity`` is in units of 1/quantity_scale, ``price`` in units of 1/PRICE 元.
    """
    per_fen = quantity_scale * (PRICE // FEN_PER_YUAN)
    return div_half_up(
        mul(quantity, price),
        mul(denominator, per_fen) if not isinstance(denominator, int) else denominator * per_fen,
    )


def round_to_step(values: Ints, *, step: int) -> Ints:
    """Round scaled values half-up to a multiple of ``step`` (e.g. whole kWh: step = QTY)."""
    if step == 1:
        return values
    return mul(div_half_up(values, step), step)


def decimal_of(value: int, *, scale: int) -> Decimal:
    """The exact Decimal of a scaled integer."""
    return Decimal(int(value)).scaleb(-(len(str(scale)) - 1))
