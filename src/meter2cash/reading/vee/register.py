"""Register arithmetic: advance across a rollover, and energy = advance × multiplier (倍率). Pure.

Rule (domain-rules §1): a register with ``n`` integer and ``d`` decimal digits shows values
``0 … 10ⁿ − 10⁻ᵈ`` and wraps to 0 after its maximum (6 + 2 digits: 999999.99 → 0). The energy of
a period is ``(current − previous register, with rollover) × multiplier``, where the multiplier is
CT ratio × PT ratio. Everything is Decimal; nothing is rounded here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

MIN_INTEGER_DIGITS = 1
MAX_INTEGER_DIGITS = 12
MAX_DECIMAL_DIGITS = 6


class BadRegister(ValueError):
    """A register description or value the arithmetic can't work with."""


@dataclass(frozen=True, slots=True)
class RegisterSpec:
    """How many digits a meter's registers show (表计整数位数 / 小数位数)."""

    integer_digits: int
    decimal_digits: int

    def __post_init__(self) -> None:
        if not MIN_INTEGER_DIGITS <= self.integer_digits <= MAX_INTEGER_DIGITS:
            raise BadRegister(f"integer digits must be {MIN_INTEGER_DIGITS}–{MAX_INTEGER_DIGITS}")
        if not 0 <= self.decimal_digits <= MAX_DECIMAL_DIGITS:
            raise BadRegister(f"decimal digits must be 0–{MAX_DECIMAL_DIGITS}")

    @property
    def modulus(self) -> Decimal:
        """The value at which the register wraps back to 0 (10ⁿ)."""
        return Decimal(10) ** self.integer_digits

    @property
    def resolution(self) -> Decimal:
        """One step of the last displayed digit (10⁻ᵈ)."""
        return Decimal(1).scaleb(-self.decimal_digits)

    @property
    def maximum(self) -> Decimal:
        """The highest value the register can show, e.g. 999999.99."""
        return self.modulus - self.resolution

    def fits(self, value: Decimal) -> bool:
        """True when ``value`` can be shown: not negative, below 10ⁿ, no more than ``d`` decimals."""
        return Decimal(0) <= value < self.modulus and value % self.resolution == 0


def advance(*, previous: Decimal, current: Decimal, spec: RegisterSpec) -> Decimal:
    """How far the register moved from ``previous`` to ``current``, assuming at most one wrap.

    Never negative: a lower current value is read as a wrap (``current + 10ⁿ − previous``). Whether
    a wrap is plausible is the ROLLOVER/ROLLBACK check's business, not this function's.
    """
    _require_fits(previous, spec)
    _require_fits(current, spec)
    moved = current - previous
    return moved + spec.modulus if moved < 0 else moved


def wrapped(*, previous: Decimal, current: Decimal) -> bool:
    """True when going from ``previous`` to ``current`` means passing through 0."""
    return current < previous


def reading_after(*, previous: Decimal, moved: Decimal, spec: RegisterSpec) -> Decimal:
    """The register value after moving ``moved`` from ``previous`` (inverse of :func:`advance`)."""
    _require_fits(previous, spec)
    if not Decimal(0) <= moved < spec.modulus or moved % spec.resolution != 0:
        raise BadRegister(f"an advance must be a register step in [0, {spec.modulus}): {moved}")
    value = previous + moved
    return value - spec.modulus if value >= spec.modulus else value


def energy(*, moved: Decimal, multiplier: Decimal) -> Decimal:
    """Energy in kWh for a register advance: advance × multiplier (倍率)."""
    if multiplier <= 0:
        raise BadRegister(f"a multiplier must be positive: {multiplier}")
    return moved * multiplier


def _require_fits(value: Decimal, spec: RegisterSpec) -> None:
    if not spec.fits(value):
        digits = f"{spec.integer_digits}+{spec.decimal_digits}"
        raise BadRegister(f"{value} is not a value a {digits} digit register shows")
