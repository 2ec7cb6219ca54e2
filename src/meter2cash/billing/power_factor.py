"""Power-factor adjustment (力调电费). Pure rules: no storage, files, clock or logging.

Rule (domain-rules.md §2.4; 《功率因数调整电费办法》, 〔83〕水电财字第215号):

- the month's power factor is cos φ = P / √(P² + Q²), from the active energy P (kWh) and the
  reactive energy Q (kvarh), rounded half-up (四舍五入) to two decimals before the look-up;
- the account's standard (考核标准: 0.90, 0.85 or 0.80) picks one of the regulation's three
  tables, which gives a percentage of the month's charge for each cos φ from 0.30 to 1.00:
  negative is a reduction (减收), positive a surcharge (增收), 0 at the standard itself;
- below the table's lowest point (0.30) the percentage at that point applies (our reading: the
  regulation's tables stop at 0.30; a table extended down to 0.00 is used as it stands).

The tables are data (``billing/data/power_factor_tables.yaml``, loaded by
``meter2cash.billing.pf_tables``); this module only expands and checks their compact form
(`build_table`) and looks values up, so no regulatory number is written here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from math import isqrt
from types import MappingProxyType

HUNDRED = 100  # cos φ is kept in hundredths: 0.80 is 80, 1.00 is 100

_CONSTANT_KEYS = frozenset({"from", "to", "percent"})
_LINEAR_KEYS = frozenset({"from", "to", "percent_at_from", "step", "percent_at_to"})


@dataclass(frozen=True, slots=True)
class PowerFactorTable:
    """One of the regulation's tables, expanded to a percentage per hundredth of cos φ.

    ``standard`` is the 考核标准 as text ("0.90", "0.85" or "0.80"); ``percents`` maps cos φ in
    hundredths (30..100 for the regulation's tables) to the percentage of the month's charge
    (negative: reduction, positive: surcharge).
    """

    standard: str
    percents: Mapping[int, Decimal]

    @property
    def lowest(self) -> int:
        """The lowest cos φ the table lists, in hundredths (30 in the regulation's tables)."""
        return min(self.percents)


class BadPowerFactorTable(ValueError):
    """A power-factor table's data does not describe a complete, well-formed table."""


def build_table(*, standard: str, segments: Sequence[Mapping[str, str]]) -> PowerFactorTable:
    """Expand a table's segments (the data file's form) into one percentage per hundredth.

    A segment is either ``{from, to, percent}`` — the same percentage from ``from`` to ``to``,
    both included — or ``{from, to, percent_at_from, step, percent_at_to}`` — ``percent_at_from``
    at ``from``, changing by ``step`` for every 0.01 that cos φ rises, and ending exactly at
    ``percent_at_to``. Every value is decimal text; cos φ bounds have at most two decimals and lie
    in 0.00..1.00. The segments, in any order, must cover every hundredth from the lowest ``from``
    up to 1.00 exactly once; the percentage at the standard must be 0 and must never rise as cos φ
    rises (as in 〔83〕水电财字第215号). Anything else raises `BadPowerFactorTable` naming the
    table, the segment and the problem.
    """
    where = f"power-factor table {standard!r}"
    standard_at = _hundredths(standard, what=f"{where}: the standard")
    if not segments:
        raise BadPowerFactorTable(f"{where} has no segments")
    expanded: list[tuple[int, int, dict[int, Decimal]]] = []
    for number, segment in enumerate(segments, 1):
        points = _expand(segment, where=f"{where}, segment {number} {dict(segment)!r}")
        expanded.append((min(points), max(points), points))
    expanded.sort(key=lambda item: item[0])
    percents: dict[int, Decimal] = {}
    previous_to: int | None = None
    for low, high, points in expanded:
        if previous_to is not None and low <= previous_to:
            raise BadPowerFactorTable(
                f"{where}: segments overlap at {_cos_text(low)}..{_cos_text(min(high, previous_to))}"
            )
        if previous_to is not None and low > previous_to + 1:
            raise BadPowerFactorTable(
                f"{where}: no percentage for {_cos_text(previous_to + 1)}..{_cos_text(low - 1)}"
            )
        percents.update(points)
        previous_to = high
    if previous_to != HUNDRED:
        raise BadPowerFactorTable(
            f"{where}: the table must run up to 1.00, it stops at {_cos_text(max(percents))}"
        )
    if standard_at not in percents or percents[standard_at] != 0:
        found = percents.get(standard_at)
        raise BadPowerFactorTable(
            f"{where}: the percentage at the standard {standard} must be 0, found {found}"
        )
    ordered = sorted(percents)
    for lower, upper in pairwise(ordered):
        if percents[upper] > percents[lower]:
            raise BadPowerFactorTable(
                f"{where}: the percentage rises from {percents[lower]} at {_cos_text(lower)}"
                f" to {percents[upper]} at {_cos_text(upper)}; it must never rise with cos φ"
            )
    return PowerFactorTable(standard=standard, percents=MappingProxyType(percents))


def power_factor(*, kwh: Decimal, kvarh: Decimal) -> Decimal | None:
    """The month's power factor cos φ = P / √(P² + Q²), rounded half-up to two decimals.

    Rule (〔83〕水电财字第215号; domain-rules.md §2.4): P is the active energy in kWh, Q the
    reactive energy in kvarh (its absolute value: pass the magnitude), and cos φ is rounded
    half-up to 0.01 before the table look-up. The result is exact — no float is involved: the
    Decimals are scaled to integers and c hundredths is the answer iff
    (2c−1)²(P²+Q²) ≤ 40000·P² < (2c+1)²(P²+Q²) (for c ≥ 1; c = 0 needs only the right side).

    Returns ``None`` when both are zero (no energy: nothing to adjust) and ``Decimal("1.00")``
    when Q is zero. Negative or non-finite energies raise ``ValueError``.
    """
    for name, value in (("kwh", kwh), ("kvarh", kvarh)):
        if not isinstance(value, Decimal) or not value.is_finite():
            raise ValueError(f"{name} must be a finite Decimal, got {value!r}")
        if value < 0:
            raise ValueError(f"{name} must not be negative, got {value}")
    p, q = _as_integers(kwh, kvarh)
    hundredths = power_factor_hundredths(p=p, q=q)
    return None if hundredths is None else Decimal(hundredths).scaleb(-2)


def power_factor_hundredths(*, p: int, q: int) -> int | None:
    """`power_factor` on energies given as non-negative integers of one common scale (the
    pricing engine's fixed-point columns): cos φ in hundredths, rounded half-up; None when both
    are zero."""
    if p == 0 and q == 0:
        return None
    squares = p * p + q * q
    scaled = 4 * HUNDRED * HUNDRED * p * p  # (200·P)², so that 200·cos φ = 200·P / √(P² + Q²)
    twice = isqrt(scaled // squares)  # ⌊200·cos φ⌋: the largest m with m²(P²+Q²) ≤ (200·P)²
    return (twice + 1) // 2  # the largest c with 2c − 1 ≤ 200·cos φ: half-up rounding


def adjustment_percent(*, table: PowerFactorTable, power_factor: Decimal) -> Decimal:
    """The percentage of the month's charge that the table gives for a rounded power factor.

    ``power_factor`` is cos φ already rounded to two decimals (what `power_factor` returns),
    between 0 and 1; a value with more decimals raises ``ValueError`` rather than being rounded a
    second time. Below the table's lowest point (0.30 in 〔83〕水电财字第215号) the percentage at
    that point applies — our reading of the regulation, whose tables stop at 0.30.
    """
    if not isinstance(power_factor, Decimal) or not power_factor.is_finite():
        raise ValueError(f"the power factor must be a finite Decimal, got {power_factor!r}")
    scaled = power_factor.scaleb(2)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"the power factor must be rounded to two decimals first, got {power_factor}")
    hundredths = int(scaled)
    if not 0 <= hundredths <= HUNDRED:
        raise ValueError(f"a power factor lies between 0 and 1, got {power_factor}")
    return table.percents[max(hundredths, table.lowest)]


def percent_text(percent: Decimal) -> str:
    """A percentage as text with one decimal, or two when the second is needed.

    ``5`` → ``"5.0"``, ``-0.15`` → ``"-0.15"``, ``10`` → ``"10.0"``, ``0`` → ``"0.0"``; no plus
    sign. A value with still more decimals keeps them all rather than being rounded.
    """
    if not percent.is_finite():
        raise ValueError(f"not a finite percentage: {percent!r}")
    if percent == 0:
        return "0.0"
    exponent = percent.normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # finite, checked above
    places = max(1, -exponent)
    return f"{percent:.{places}f}"


def _expand(segment: Mapping[str, str], *, where: str) -> dict[int, Decimal]:
    keys = set(segment)
    if keys not in (_CONSTANT_KEYS, _LINEAR_KEYS):
        raise BadPowerFactorTable(
            f"{where}: a segment has either the keys {sorted(_CONSTANT_KEYS)}"
            f" or the keys {sorted(_LINEAR_KEYS)}"
        )
    low = _hundredths(segment["from"], what=f"{where}: from")
    high = _hundredths(segment["to"], what=f"{where}: to")
    if low > high:
        raise BadPowerFactorTable(f"{where}: from {segment['from']} is above to {segment['to']}")
    if keys == _CONSTANT_KEYS:
        percent = _decimal(segment["percent"], what=f"{where}: percent")
        return dict.fromkeys(range(low, high + 1), percent)
    start = _decimal(segment["percent_at_from"], what=f"{where}: percent_at_from")
    step = _decimal(segment["step"], what=f"{where}: step")
    end = _decimal(segment["percent_at_to"], what=f"{where}: percent_at_to")
    points = {at: start + step * (at - low) for at in range(low, high + 1)}
    if points[high] != end:
        raise BadPowerFactorTable(
            f"{where}: {start} with a step of {step} per 0.01 gives {points[high]} at"
            f" {segment['to']}, not percent_at_to {end}"
        )
    return points


def _decimal(text: object, *, what: str) -> Decimal:
    if not isinstance(text, str):
        raise BadPowerFactorTable(f"{what} must be quoted decimal text, got {text!r}")
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise BadPowerFactorTable(f"{what} is not a decimal number: {text!r}") from None
    if not value.is_finite():
        raise BadPowerFactorTable(f"{what} is not a finite number: {text!r}")
    return value


def _hundredths(text: object, *, what: str) -> int:
    value = _decimal(text, what=what).scaleb(2)
    if value != value.to_integral_value():
        raise BadPowerFactorTable(f"{what} must have at most two decimals, got {text!r}")
    hundredths = int(value)
    if not 0 <= hundredths <= HUNDRED:
        raise BadPowerFactorTable(f"{what} must lie between 0.00 and 1.00, got {text!r}")
    return hundredths


def _as_integers(*values: Decimal) -> tuple[int, ...]:
    """The values times one common power of ten, as exact integers (no rounding anywhere)."""
    parts = []
    for value in values:
        sign, digits, exponent = value.as_tuple()
        assert isinstance(exponent, int)  # finite, checked by the caller
        magnitude = int("".join(map(str, digits)))
        parts.append((-magnitude if sign else magnitude, exponent))
    lowest = min(0, *(exponent for _, exponent in parts))
    return tuple(number * 10 ** (exponent - lowest) for number, exponent in parts)


def _cos_text(hundredths: int) -> str:
    return f"{hundredths // HUNDRED}.{hundredths % HUNDRED:02d}"
