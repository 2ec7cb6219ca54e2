from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meter2cash.platform.periods import BadPeriod, Period, first_overlap, month_period

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 1, 1))


class TestHalfOpenPeriods:
    def test_a_period_holds_its_start_but_not_its_end(self) -> None:
        period = Period(date(2026, 1, 1), date(2026, 2, 1))
        assert period.contains(date(2026, 1, 1))
        assert not period.contains(date(2026, 2, 1))
        assert period.days == 31

    def test_consecutive_periods_do_not_overlap(self) -> None:
        assert not month_period(year=2026, month=1).overlaps(month_period(year=2026, month=2))

    def test_an_open_ended_period_overlaps_everything_after_its_start(self) -> None:
        assert Period(date(2026, 1, 1)).overlaps(Period(date(2030, 1, 1), date(2030, 2, 1)))

    def test_an_end_not_after_the_start_is_refused(self) -> None:
        with pytest.raises(BadPeriod):
            Period(date(2026, 1, 2), date(2026, 1, 2))

    def test_december_ends_on_the_first_of_january(self) -> None:
        assert month_period(year=2025, month=12) == Period(date(2025, 12, 1), date(2026, 1, 1))

    def test_first_overlap_names_the_clashing_pair(self) -> None:
        periods = [
            Period(date(2026, 1, 1), date(2026, 2, 1)),
            Period(date(2026, 3, 1)),
            Period(date(2026, 1, 20), date(2026, 2, 5)),
        ]
        assert first_overlap(periods) == (0, 2)

    @given(days, st.integers(1, 400), st.integers(1, 400))
    def test_splitting_a_period_gives_two_that_meet_without_overlap(
        self, start: date, a: int, b: int
    ) -> None:
        middle, end = start + timedelta(days=a), start + timedelta(days=a + b)
        first, second = Period(start, middle), Period(middle, end)
        assert not first.overlaps(second)
        assert first.days + second.days == Period(start, end).days

    @given(days, days, days, days)
    def test_overlap_is_symmetric_and_agrees_with_the_intersection(
        self, a: date, b: date, c: date, d: date
    ) -> None:
        if a >= b or c >= d:
            return
        one, two = Period(a, b), Period(c, d)
        assert one.overlaps(two) == two.overlaps(one) == (one.intersection(two) is not None)
