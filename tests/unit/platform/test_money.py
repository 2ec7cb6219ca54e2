from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meter2cash.platform.money import BadAmount, NotExact, exact, fen_text, round_fen, round_to


class TestRoundingToTheFen:
    def test_half_a_fen_rounds_away_from_zero(self) -> None:
        assert round_fen(Decimal("0.005")) == Decimal("0.01")
        assert round_fen(Decimal("2.345")) == Decimal("2.35")

    def test_a_negative_half_fen_rounds_away_from_zero_too(self) -> None:
        # domain-rules §2.7: a reduction of −327.375 元 is −327.38 元
        assert round_fen(Decimal("-327.375")) == Decimal("-327.38")

    def test_a_float_is_refused(self) -> None:
        with pytest.raises(NotExact):
            round_fen(0.1)  # type: ignore[arg-type]

    @given(st.decimals(min_value=-(10**9), max_value=10**9, allow_nan=False, allow_infinity=False, places=6))
    def test_rounding_moves_an_amount_by_at_most_half_a_fen(self, amount: Decimal) -> None:
        rounded = round_fen(amount)
        assert abs(rounded - amount) <= Decimal("0.005")
        assert rounded.as_tuple().exponent == -2

    @given(st.decimals(min_value=-(10**6), max_value=10**6, allow_nan=False, allow_infinity=False, places=4))
    def test_rounding_is_symmetric_about_zero(self, amount: Decimal) -> None:
        assert round_fen(-amount) == -round_fen(amount)

    def test_other_quantities_round_half_up_to_the_places_asked(self) -> None:
        assert round_to(Decimal("0.845"), places=2) == Decimal("0.85")

    def test_money_text_always_has_two_places(self) -> None:
        assert fen_text(Decimal("12")) == "12.00"


class TestExactAmounts:
    def test_decimal_text_with_blanks_and_thousands_separators_is_read_exactly(self) -> None:
        assert exact(" 1,234.50 ") == Decimal("1234.50")

    def test_integers_and_decimals_pass_through(self) -> None:
        assert exact(7) == Decimal(7)
        assert exact(Decimal("0.1")) == Decimal("0.1")

    @pytest.mark.parametrize("value", [0.1, True, None, [1]])
    def test_floats_booleans_and_other_types_are_refused(self, value: object) -> None:
        with pytest.raises(NotExact):
            exact(value)

    @pytest.mark.parametrize("text", ["abc", "", "1.2.3", "NaN", "Infinity"])
    def test_text_that_is_not_a_finite_number_is_refused(self, text: str) -> None:
        with pytest.raises(BadAmount):
            exact(text)
