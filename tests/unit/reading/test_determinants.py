from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meter2cash.reading.determinants import BadSegments, Segment, determinant
from meter2cash.reading.vee.codes import QualityFlag
from meter2cash.reading.vee.register import RegisterSpec
from meter2cash.registry.registers import RegisterSet

SIX_TWO = RegisterSpec(integer_digits=6, decimal_digits=2)
D = Decimal


def seg(opening: str, closing: str, *, multiplier: str = "1", meter: str = "M1", **kw: object) -> Segment:
    return Segment(
        meter_no=meter,
        spec=SIX_TWO,
        multiplier=D(multiplier),
        opening=RegisterSet.of(opening),
        closing=RegisterSet.of(closing),
        **kw,
    )  # type: ignore[arg-type]


class TestDeterminantOfOneMeter:
    def test_energy_is_the_register_advance_times_the_multiplier(self) -> None:
        result = determinant(
            start=date(2026, 1, 15),
            end=date(2026, 2, 15),
            segments=[seg("1000.00", "1012.50", multiplier="80")],
        )
        assert result.kwh_total == D("1000.0000")
        assert result.days == 31

    def test_a_register_that_wrapped_counts_across_zero(self) -> None:
        result = determinant(
            start=date(2026, 1, 1), end=date(2026, 2, 1), segments=[seg("999990.00", "10.00")]
        )
        assert result.kwh_total == D("20.00")

    def test_time_of_use_registers_are_billed_separately(self) -> None:
        segment = Segment(
            meter_no="M1",
            spec=SIX_TWO,
            multiplier=D(1),
            opening=RegisterSet.of("100", sharp="10", peak="30", flat="40", valley="20"),
            closing=RegisterSet.of("200", sharp="20", peak="60", flat="80", valley="40"),
            tou_registers=("sharp", "peak", "flat", "valley"),
        )
        result = determinant(start=date(2026, 1, 1), end=date(2026, 2, 1), segments=[segment])
        assert result.kwh_tou == {"sharp": D(10), "peak": D(30), "flat": D(40), "valley": D(20)}


class TestDeterminantAcrossAMeterReplacement:
    def test_the_old_meters_final_plus_the_new_meters_use_make_the_period(self) -> None:
        old = seg("5000.00", "5120.00", meter="OLD")  # opening reading → final reading at removal
        new = seg("0.00", "80.00", meter="NEW", multiplier="1")  # reading at install → closing reading
        result = determinant(start=date(2026, 1, 15), end=date(2026, 2, 15), segments=[old, new])
        assert result.kwh_total == D("200.00")

    def test_meters_with_different_multipliers_each_use_their_own(self) -> None:
        old = seg("100.00", "110.00", meter="OLD", multiplier="20")
        new = seg("0.00", "5.00", meter="NEW", multiplier="40")
        result = determinant(start=date(2026, 1, 1), end=date(2026, 2, 1), segments=[old, new])
        assert result.kwh_total == D("400.00")

    def test_time_of_use_is_billed_only_when_every_meter_of_the_period_has_it(self) -> None:
        old = seg("100", "110", meter="OLD")
        new = Segment(
            meter_no="NEW",
            spec=SIX_TWO,
            multiplier=D(1),
            opening=RegisterSet.of("0", peak="0"),
            closing=RegisterSet.of("5", peak="2"),
            tou_registers=("peak",),
        )
        assert determinant(start=date(2026, 1, 1), end=date(2026, 2, 1), segments=[old, new]).kwh_tou == {}

    def test_an_estimate_behind_any_segment_makes_the_determinant_estimated(self) -> None:
        old = seg("100", "110", meter="OLD")
        new = seg("0", "5", meter="NEW", closing_quality=QualityFlag.ESTIMATED)
        result = determinant(start=date(2026, 1, 1), end=date(2026, 2, 1), segments=[old, new])
        assert result.quality is QualityFlag.ESTIMATED

    def test_demand_is_the_highest_of_the_meters_times_their_multipliers(self) -> None:
        old = seg("1", "2", meter="OLD", multiplier="100", max_demand=D("3.2"))
        new = seg("1", "2", meter="NEW", multiplier="200", max_demand=D("1.9"))
        assert determinant(
            start=date(2026, 1, 1), end=date(2026, 2, 1), segments=[old, new]
        ).max_demand_kw == D("380.0")


class TestBadSegments:
    def test_a_period_without_meters_is_refused(self) -> None:
        with pytest.raises(BadSegments):
            determinant(start=date(2026, 1, 1), end=date(2026, 2, 1), segments=[])

    def test_a_period_that_ends_before_it_starts_is_refused(self) -> None:
        with pytest.raises(BadSegments):
            determinant(start=date(2026, 2, 1), end=date(2026, 1, 1), segments=[seg("1", "2")])


@given(st.lists(st.tuples(st.integers(0, 99_999_999), st.integers(0, 50_000_00)), min_size=1, max_size=4))
def test_energy_is_never_negative_and_adds_up_over_segments(pairs: list[tuple[int, int]]) -> None:
    segments = []
    for i, (opening_hundredths, used_hundredths) in enumerate(pairs):
        opening = D(opening_hundredths).scaleb(-2)
        closing = (opening + D(used_hundredths).scaleb(-2)) % D(1_000_000)
        segments.append(seg(str(opening), str(closing), meter=f"M{i}"))
    result = determinant(start=date(2026, 1, 1), end=date(2026, 2, 1), segments=segments)
    assert result.kwh_total == sum((D(u).scaleb(-2) for _, u in pairs), D(0))
    assert result.kwh_total >= 0
