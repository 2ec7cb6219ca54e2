"""How the demo scores a planted reading fault against the bills: which period's bill it touched,
and whether that bill was held at reading, stopped at review or reached a customer."""

from __future__ import annotations

from datetime import date

import pytest

from meter2cash.demo.billing_cycle import (
    HELD_AT_READING,
    NOT_ISSUED,
    REACHED_CUSTOMER,
    STOPPED_AT_REVIEW,
    _fate,
    _periods_touched,
)

PERIODS = ["2026-09", "2026-10"]  # reading day 8: (08-08, 09-08] and (09-08, 10-08]


@pytest.mark.parametrize(
    ("day", "touched"),
    [
        (date(2026, 8, 8), []),  # the opening reading's day: before the cycle
        (date(2026, 8, 9), ["2026-09"]),
        (date(2026, 9, 8), ["2026-09"]),  # read on the reading day: this period's bill
        (date(2026, 9, 9), ["2026-10"]),
        (date(2026, 10, 9), []),
    ],
)
def test_a_one_off_fault_touches_the_bill_of_its_reading_interval(day: date, touched: list[str]) -> None:
    assert _periods_touched(day, kind="misread", periods=PERIODS, reading_day=8) == touched


def test_a_persistent_fault_touches_every_bill_from_its_day_on() -> None:
    assert _periods_touched(date(2025, 1, 1), kind="theft", periods=PERIODS, reading_day=8) == PERIODS
    assert _periods_touched(date(2026, 9, 20), kind="stopped_meter", periods=PERIODS, reading_day=8) == [
        "2026-10"
    ]


@pytest.mark.parametrize(
    ("states", "fate"),
    [
        ([], HELD_AT_READING),
        (["flagged"], STOPPED_AT_REVIEW),
        (["issued", "rejected"], STOPPED_AT_REVIEW),
        (["issued"], REACHED_CUSTOMER),
        (["approved"], NOT_ISSUED),
    ],
)
def test_the_fate_of_the_bills_a_fault_touched(states: list[str], fate: str) -> None:
    assert _fate(states) == fate
