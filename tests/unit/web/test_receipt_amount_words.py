"""A receipt's amount in Chinese capital numerals (大写金额) and in figures, as the payment rules
write them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from meter2cash.interfaces.web.console.amount_words import amount_in_figures, amount_in_words


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0.00", "零元整"),
        ("1.00", "壹元整"),
        ("10.00", "壹拾元整"),
        ("15.00", "壹拾伍元整"),
        ("100.00", "壹佰元整"),
        ("203.80", "贰佰零叁元捌角整"),
        ("1005.00", "壹仟零伍元整"),
        ("1010.10", "壹仟零壹拾元壹角整"),
        ("1234.56", "壹仟贰佰叁拾肆元伍角陆分"),
        ("10.06", "壹拾元零陆分"),
        ("0.56", "伍角陆分"),
        ("0.06", "陆分"),
        ("0.50", "伍角整"),
        ("100000.00", "壹拾万元整"),
        ("100100.00", "壹拾万零壹佰元整"),
        ("107000.53", "壹拾万柒仟元伍角叁分"),
        ("1000100.00", "壹佰万零壹佰元整"),
        ("100000000.00", "壹亿元整"),
        ("100000001.00", "壹亿零壹元整"),
        ("1200034005.07", "壹拾贰亿零叁万肆仟零伍元零柒分"),
        ("9999999999999999.99", "玖仟玖佰玖拾玖万亿玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
        ("-5.00", "负伍元整"),
    ],
)
def test_an_amount_is_written_in_capital_numerals_as_the_payment_rules_say(amount: str, words: str) -> None:
    assert amount_in_words(Decimal(amount)) == words


@pytest.mark.parametrize("amount", ["1.005", "10000000000000000.00", "NaN"])
def test_an_amount_not_in_whole_fen_or_too_large_is_refused(amount: str) -> None:
    with pytest.raises(ValueError):
        amount_in_words(Decimal(amount))


def test_a_float_is_refused() -> None:
    with pytest.raises(ValueError):
        amount_in_words(1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "figures"),
    [("0", "¥0.00"), ("203.8", "¥203.80"), ("1234567.89", "¥1,234,567.89"), ("-5", "-¥5.00")],
)
def test_an_amount_in_figures_has_the_yuan_sign_thousands_and_two_places(amount: str, figures: str) -> None:
    assert amount_in_figures(Decimal(amount)) == figures
