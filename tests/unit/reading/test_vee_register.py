from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meter2cash.reading.vee.register import BadRegister, RegisterSpec, advance, energy, reading_after, wrapped

D = Decimal
SIX_TWO = RegisterSpec(integer_digits=6, decimal_digits=2)


@st.composite
def spec_and_two_values(draw: st.DrawFn) -> tuple[RegisterSpec, Decimal, Decimal]:
    spec = RegisterSpec(draw(st.integers(1, 8)), draw(st.integers(0, 4)))
    steps = int(spec.modulus / spec.resolution)
    first, second = draw(st.integers(0, steps - 1)), draw(st.integers(0, steps - 1))
    return spec, first * spec.resolution, second * spec.resolution


class TestRegisterSpec:
    def test_a_six_plus_two_register_wraps_after_999999_99(self) -> None:
        assert (SIX_TWO.modulus, SIX_TWO.maximum, SIX_TWO.resolution) == (
            D(1000000),
            D("999999.99"),
            D("0.01"),
        )

    def test_a_value_fits_only_within_its_digits(self) -> None:
        assert SIX_TWO.fits(D("999999.99"))
        assert SIX_TWO.fits(D("12.300"))  # trailing zeros are not extra digits
        assert not SIX_TWO.fits(D("1000000"))
        assert not SIX_TWO.fits(D("12.345"))
        assert not SIX_TWO.fits(D("-0.01"))

    def test_digit_counts_out_of_range_are_refused(self) -> None:
        with pytest.raises(BadRegister):
            RegisterSpec(integer_digits=0, decimal_digits=2)
        with pytest.raises(BadRegister):
            RegisterSpec(integer_digits=6, decimal_digits=7)


class TestAdvance:
    def test_the_advance_is_current_minus_previous(self) -> None:
        assert advance(previous=D("1234.56"), current=D("1544.56"), spec=SIX_TWO) == D("310.00")

    def test_a_lower_reading_is_read_as_one_wrap_past_the_maximum(self) -> None:
        assert advance(previous=D("999950.00"), current=D("250.00"), spec=SIX_TWO) == D("300.00")
        assert wrapped(previous=D("999950.00"), current=D("250.00"))

    def test_energy_is_the_advance_times_the_multiplier(self) -> None:
        assert energy(moved=D("10.33"), multiplier=D("30")) == D("309.90")

    def test_a_value_the_register_cannot_show_is_refused(self) -> None:
        with pytest.raises(BadRegister):
            advance(previous=D("1.234"), current=D("2"), spec=SIX_TWO)

    def test_a_multiplier_that_is_not_positive_is_refused(self) -> None:
        with pytest.raises(BadRegister):
            energy(moved=D(1), multiplier=D(0))

    def test_reading_after_wraps_like_the_meter(self) -> None:
        assert reading_after(previous=D("999950.00"), moved=D("300.00"), spec=SIX_TWO) == D("250.00")


class TestRegisterInvariants:
    @given(spec_and_two_values())
    def test_consumption_across_a_rollover_is_never_negative(
        self, case: tuple[RegisterSpec, Decimal, Decimal]
    ) -> None:
        spec, previous, current = case
        moved = advance(previous=previous, current=current, spec=spec)
        assert D(0) <= moved < spec.modulus
        assert energy(moved=moved, multiplier=D("40")) >= 0

    @given(spec_and_two_values())
    def test_reading_to_advance_and_back_gives_the_same_reading_across_the_wrap(
        self, case: tuple[RegisterSpec, Decimal, Decimal]
    ) -> None:
        spec, previous, current = case
        moved = advance(previous=previous, current=current, spec=spec)
        assert reading_after(previous=previous, moved=moved, spec=spec) == current

    @given(spec_and_two_values())
    def test_advance_to_reading_and_back_gives_the_same_advance(
        self, case: tuple[RegisterSpec, Decimal, Decimal]
    ) -> None:
        spec, previous, moved = case
        current = reading_after(previous=previous, moved=moved, spec=spec)
        assert spec.fits(current)
        assert advance(previous=previous, current=current, spec=spec) == moved
