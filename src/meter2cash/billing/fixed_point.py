"""Exact fixed-point integers for the column-wise pricing engine. Pure.

The engine prices many accounts at once on integer columns, never on floats: energy, demand and
capacity are integers in units of 10⁻⁴ (kWh, kvarh, kW, kVA), unit prices are integers in units
of 10⁻¹⁰ 元 (a catalog price has at most 6 decimals and a TOU multiplier at most 4, so their
product is exact). A line amount is ``quantity × price ÷ denominator``, rounded to the fen half
away from zero (四舍五入 on the magnitude, domain-rules §2.7) by `to_fen`, the column form of
`meter2cash.platform.money.round_fen`; `tests/unit/billing` checks the two agree.

Columns are numpy arrays of Python integers (``dtype=object``), so no value can overflow;
`compact` turns a column into ``int64`` when its bound is proven safe for the multiplication at
hand, which is where the speed comes from. The arithmetic is the same code either way.
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


def column(values: Iterable[int]) -> npt.NDArray[np.object_]:
    """A column of exact Python integers."""
    items = list(values)
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def zeros(n: int) -> npt.NDArray[np.object_]:
    out = np.empty(n, dtype=object)
    out[:] = 0
    return out


def full(n: int, value: int) -> npt.NDArray[np.object_]:
    out = np.empty(n, dtype=object)
    out[:] = value
    return out


def div_half_up(numerator: Ints, denominator: Ints | int) -> Ints:
    """``numerator ÷ denominator`` rounded half away from zero; the denominator is positive."""
    magnitude = (abs(numerator) * 2 + denominator) // (denominator * 2)
    return np.where(numerator < 0, -magnitude, magnitude)


def to_fen(*, quantity: Ints, quantity_scale: int, price: Ints | int, denominator: Ints | int = 1) -> Ints:
    """The amount ``quantity × price ÷ denominator`` in fen, rounded half away from zero.

    ``quantity`` is in units of 1/quantity_scale, ``price`` in units of 1/PRICE 元.
    """
    per_fen = quantity_scale * (PRICE // FEN_PER_YUAN)
    return div_half_up(quantity * price, denominator * per_fen)


def round_to_step(values: Ints, *, step: int) -> Ints:
    """Round scaled values half-up to a multiple of ``step`` (e.g. whole kWh: step = QTY)."""
    if step == 1:
        return values
    return div_half_up(values, step) * step


def compact(values: Ints, *, times: int) -> Ints:
    """``values`` as int64 when ``max|values| × times`` cannot overflow, else unchanged."""
    if values.dtype == np.int64 or len(values) == 0:
        return values
    top = max(abs(int(values.max())), abs(int(values.min())))
    if top * max(times, 1) < _INT64_SAFE:
        return values.astype(np.int64)
    return values


def decimal_of(value: int, *, scale: int) -> Decimal:
    """The exact Decimal of a scaled integer."""
    return Decimal(int(value)).scaleb(-(len(str(scale)) - 1))
