from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meter2cash.platform.periods import Period
from meter2cash.reading.estimation import (
    CannotEstimate,
    EstimationMethod,
    EstimationPolicy,
    estimate_average_daily,
    estimate_period,
    estimate_same_period_last_year,
    estimated_reading,
    field_visit_due,
    interpolate_gaps,
)
from meter2cash.reading.usage_history import BadHistory, UsagePeriod
from meter2cash.reading.vee import QualityFlag, RegisterSpec
from vee_factory import days, months

D = Decimal
FEBRUARY_READ = Period(date(2026, 1, 15), date(2026, 2, 15))  # 31 days
A, E, S, C = QualityFlag.ACTUAL, QualityFlag.ESTIMATED, QualityFlag.SUBSTITUTED, QualityFlag.CUSTOMER_READ


class TestAverageDailyEstimate:
    def test_the_estimate_is_the_average_daily_use_of_the_last_periods_times_the_days(self) -> None:
        estimate = estimate_average_daily(history=months("290", "300", "310"), period=FEBRUARY_READ)
        assert estimate is not None
        assert estimate.kwh == D("303.26")  # 900 kWh / 92 days × 31 days, half-up to 0.01
        assert (estimate.method, estimate.quality) == (EstimationMethod.AVERAGE_DAILY, QualityFlag.ESTIMATED)

    def test_only_the_configured_number_of_latest_periods_count(self) -> None:
        history = months("3000", "300", "300", "300", first=(2025, 9))
        estimate = estimate_average_daily(history=history, period=FEBRUARY_READ)
        assert estimate is not None and estimate.kwh < D("320")

    def test_periods_that_ended_long_before_are_not_recent(self) -> None:
        assert estimate_average_daily(history=months("300", first=(2025, 6)), period=FEBRUARY_READ) is None

    def test_periods_starting_after_the_estimated_one_are_ignored(self) -> None:
        assert estimate_average_daily(history=months("300", first=(2026, 2)), period=FEBRUARY_READ) is None


class TestSamePeriodLastYearEstimate:
    def test_last_years_daily_use_over_the_same_dates_is_scaled_by_the_days(self) -> None:
        history = (days(date(2025, 1, 15), date(2025, 2, 15), "620"),)
        estimate = estimate_same_period_last_year(history=history, period=FEBRUARY_READ)
        assert estimate is not None and estimate.kwh == D("620.00")
        assert estimate.method is EstimationMethod.SAME_PERIOD_LAST_YEAR

    def test_history_partly_overlapping_last_year_is_prorated(self) -> None:
        # January 2025 (31 days, 310 kWh) and February 2025 (28 days, 560 kWh): 17 + 14 days
        estimate = estimate_same_period_last_year(
            history=months("310", "560", first=(2025, 1)), period=FEBRUARY_READ
        )
        assert estimate is not None and estimate.kwh == D("450.00")  # 170 + 280

    def test_too_little_of_last_year_covered_gives_no_estimate(self) -> None:
        history = (days(date(2025, 2, 10), date(2025, 2, 15), "50"),)
        assert estimate_same_period_last_year(history=history, period=FEBRUARY_READ) is None


class TestEstimatePeriod:
    def test_the_next_method_is_used_when_the_first_lacks_recent_history(self) -> None:
        history = (days(date(2025, 1, 15), date(2025, 2, 15), "620"),)
        outcome = estimate_period(history=history, period=FEBRUARY_READ)
        assert outcome.estimate.method is EstimationMethod.SAME_PERIOD_LAST_YEAR  # a year old is not recent
        assert outcome.estimate.kwh == D("620.00")

    def test_the_method_order_is_configurable(self) -> None:
        history = (*months("900", first=(2025, 1)), *months("290", "300", "310"))
        policy = EstimationPolicy(
            methods=(EstimationMethod.SAME_PERIOD_LAST_YEAR, EstimationMethod.AVERAGE_DAILY)
        )
        assert estimate_period(history=history, period=FEBRUARY_READ, policy=policy).estimate.kwh == D(
            "900.00"
        )
        assert estimate_period(history=history, period=FEBRUARY_READ).estimate.kwh == D("303.26")

    def test_no_history_at_all_is_refused_rather_than_estimated_as_zero(self) -> None:
        with pytest.raises(CannotEstimate):
            estimate_period(history=(), period=FEBRUARY_READ)

    def test_a_third_estimate_in_a_row_calls_for_a_field_visit(self) -> None:
        outcome = estimate_period(
            history=months("290", "300", "310"), period=FEBRUARY_READ, earlier_qualities=[A, E, E]
        )
        assert outcome.field_visit is not None
        assert (outcome.field_visit.consecutive, outcome.field_visit.limit) == (3, 3)

    def test_a_second_estimate_in_a_row_does_not(self) -> None:
        outcome = estimate_period(
            history=months("290", "300", "310"), period=FEBRUARY_READ, earlier_qualities=[E, A, E]
        )
        assert outcome.field_visit is None

    def test_linear_interpolation_is_not_a_method_for_read_periods(self) -> None:
        with pytest.raises(ValueError, match="interval"):
            EstimationPolicy(methods=(EstimationMethod.LINEAR_INTERPOLATION,))


class TestFieldVisitSignal:
    def test_substituted_values_count_like_estimates(self) -> None:
        assert field_visit_due([E, S, E]) is not None

    def test_a_customer_read_breaks_the_run(self) -> None:
        assert field_visit_due([E, E, C, E, E]) is None

    def test_the_limit_is_configurable(self) -> None:
        assert field_visit_due([E, E], policy=EstimationPolicy(max_consecutive_estimates=2)) is not None


class TestEstimatedReading:
    def test_the_register_moves_by_the_estimate_divided_by_the_multiplier(self) -> None:
        spec = RegisterSpec(6, 2)
        assert estimated_reading(previous=D("1234.56"), kwh=D("310"), multiplier=D("30"), spec=spec) == D(
            "1244.89"
        )

    def test_the_estimated_register_wraps_like_the_meter(self) -> None:
        spec = RegisterSpec(6, 2)
        assert estimated_reading(previous=D("999950.00"), kwh=D("300"), multiplier=D("1"), spec=spec) == D(
            "250.00"
        )


class TestLinearInterpolation:
    def test_a_gap_is_filled_on_the_straight_line_between_its_neighbours(self) -> None:
        result = interpolate_gaps([100, None, None, 400])
        assert result.values == (100, 200, 300, 400)
        assert result.filled == (False, True, True, False)
        assert (result.method, result.quality) == (
            EstimationMethod.LINEAR_INTERPOLATION,
            QualityFlag.SUBSTITUTED,
        )

    def test_filled_values_are_whole_wh_rounded_half_up(self) -> None:
        assert interpolate_gaps([0, None, 1]).values == (0, 1, 1)  # 0.5 → 1
        assert interpolate_gaps([0, None, None, 1]).values == (0, 0, 1, 1)  # 0.33 → 0, 0.67 → 1

    def test_gaps_at_the_edges_stay_missing(self) -> None:
        assert interpolate_gaps([None, 5, None]).values == (None, 5, None)

    def test_a_gap_longer_than_the_maximum_stays_missing(self) -> None:
        values = [10, *([None] * 9), 20]
        assert interpolate_gaps(values).values == tuple(values)
        assert interpolate_gaps(values, policy=EstimationPolicy(max_interpolation_gap=9)).values[1] == 11


class TestEstimationInvariants:
    @given(st.lists(st.integers(0, 100_000), min_size=1, max_size=6), st.integers(1, 120))
    def test_an_estimate_is_never_negative(self, kwh: list[int], length: int) -> None:
        history = tuple(
            UsagePeriod(Period(date(2025, 1 + i, 1), date(2025, 2 + i, 1)), D(k)) for i, k in enumerate(kwh)
        )
        start = history[-1].period.end
        assert start is not None
        period = Period(start, date.fromordinal(start.toordinal() + length))
        estimate = estimate_average_daily(history=history, period=period)
        assert estimate is not None and estimate.kwh >= 0

    @given(st.integers(0, 10**7), st.integers(1, 365), st.integers(1, 100))
    def test_an_estimate_is_proportional_to_the_days(self, kwh: int, history_days: int, length: int) -> None:
        start = date(2024, 1, 1)
        history = (
            UsagePeriod(Period(start, date.fromordinal(start.toordinal() + history_days)), D(kwh) / 100),
        )
        after = history[0].period.end
        assert after is not None

        def estimate(n: int) -> Decimal:
            period = Period(after, date.fromordinal(after.toordinal() + n))
            found = estimate_average_daily(history=history, period=period)
            assert found is not None
            return found.kwh

        one, two = estimate(length), estimate(2 * length)
        assert abs(two - 2 * one) <= D("0.015")  # each is rounded to 0.01 half-up

    @given(st.lists(st.one_of(st.none(), st.integers(0, 10**6)), max_size=96))
    def test_interpolated_values_lie_between_their_neighbours(self, values: list[int | None]) -> None:
        result = interpolate_gaps(values, policy=EstimationPolicy(max_interpolation_gap=96))
        for i, (value, was_filled) in enumerate(zip(result.values, result.filled, strict=True)):
            if not was_filled:
                assert value == values[i]
                continue
            known = [v for v in values if v is not None]
            assert value is not None and min(known) <= value <= max(known)


class TestUsageHistory:
    def test_negative_history_is_refused(self) -> None:
        with pytest.raises(BadHistory):
            UsagePeriod(FEBRUARY_READ, D("-1"))

    def test_an_open_ended_history_period_is_refused(self) -> None:
        with pytest.raises(BadHistory):
            UsagePeriod(Period(date(2026, 1, 1)), D("1"))
