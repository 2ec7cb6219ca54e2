"""One class per reading-check code: it raises on a case made for it and stays quiet on a normal one."""

from __future__ import annotations

from datetime import date, timedelta

from meter2cash.platform.periods import Period
from meter2cash.reading.usage_history import UsagePeriod
from meter2cash.reading.vee import MeterStatus, Severity, VeePolicy
from vee_factory import FEB, JAN, MAR, TOU, D, codes, days, local, meter, months, reading, run

NO_HISTORY: tuple[UsagePeriod, ...] = ()


class TestNormalReadings:
    def test_a_month_in_line_with_history_raises_nothing(self) -> None:
        result = run(reading(JAN, "1234.56"), reading(FEB, "1544.56"))
        assert codes(result) == []
        assert result.readings[1].consumption_kwh == D("310.00")
        assert all(v.billable for v in result.readings)

    def test_the_first_reading_without_a_previous_one_is_the_baseline_and_has_no_consumption(self) -> None:
        result = run(reading(JAN, "1234.56"))
        assert result.readings[0].consumption_kwh is None and codes(result) == []


class TestInvalid:
    def test_a_total_that_is_not_a_number_is_invalid(self) -> None:
        result = run(reading(JAN, "1234.56"), reading(FEB, "15A4.56"))
        assert codes(result, 1) == ["INVALID"]
        assert "15A4.56" in result.readings[1].findings[0].reason
        assert result.readings[1].consumption_kwh is None and not result.readings[1].billable

    def test_a_negative_register_is_invalid(self) -> None:
        assert codes(run(reading(JAN, "-1.00")), 0) == ["INVALID"]

    def test_more_integer_digits_than_the_register_has_is_invalid(self) -> None:
        assert codes(run(reading(JAN, "1234567.00")), 0) == ["INVALID"]

    def test_more_decimals_than_the_register_has_is_invalid(self) -> None:
        assert codes(run(reading(JAN, "1234.567")), 0) == ["INVALID"]

    def test_a_time_of_use_register_the_meter_keeps_but_the_reading_lacks_is_invalid(self) -> None:
        result = run(reading(JAN, "10.00", tou={"sharp": "1", "peak": "2", "flat": "3"}), on=meter(tou=TOU))
        assert codes(result, 0) == ["INVALID"]
        assert "valley" in result.readings[0].findings[0].reason

    def test_a_register_the_meter_does_not_keep_is_invalid(self) -> None:
        assert codes(run(reading(JAN, "10.00", tou={"peak": "10.00"})), 0) == ["INVALID"]

    def test_a_reading_taken_after_as_of_is_invalid(self) -> None:
        assert codes(run(reading(FEB, "10.00"), as_of=JAN), 0) == ["INVALID"]

    def test_an_invalid_reading_is_not_the_baseline_of_the_next_one(self) -> None:
        result = run(
            reading(JAN, "1234.56"), reading(JAN + timedelta(days=10), "oops"), reading(FEB, "1514.56")
        )
        assert codes(result, 2) == []
        assert result.readings[2].consumption_kwh == D("280.00")

    def test_decimals_with_trailing_zeros_are_valid(self) -> None:
        assert codes(run(reading(JAN, "1234.5600")), 0) == []


class TestDuplicate:
    def test_two_different_readings_on_one_day_conflict(self) -> None:
        result = run(
            reading(JAN, "1234.56"), reading(FEB, "1544.56"), reading(FEB + timedelta(hours=5), "1546.10")
        )
        assert codes(result, 2) == ["DUPLICATE"]
        assert result.readings[2].findings[0].severity is Severity.ERROR
        assert result.readings[2].consumption_kwh is None

    def test_the_same_reading_given_twice_is_only_noted(self) -> None:
        result = run(reading(JAN, "1234.56"), reading(JAN, "1234.56"))
        assert codes(result, 1) == ["DUPLICATE"]
        assert result.readings[1].findings[0].severity is Severity.INFO
        assert result.readings[1].billable

    def test_the_archive_reading_given_again_at_the_same_time_is_a_duplicate(self) -> None:
        assert codes(run(reading(JAN, "1234.56"), previous=reading(JAN, "1234.56")), 0) == ["DUPLICATE"]

    def test_a_reading_later_on_the_day_the_archive_reading_was_taken_is_not_a_duplicate(self) -> None:
        result = run(reading(JAN + timedelta(hours=3), "1240.56"), previous=reading(JAN, "1234.56"))
        assert "DUPLICATE" not in codes(result, 0)
        assert result.readings[0].consumption_kwh == D("6.00")

    def test_readings_on_different_days_are_not_duplicates(self) -> None:
        assert "DUPLICATE" not in codes(run(reading(JAN, "1234.56"), reading(FEB, "1544.56")))


class TestRollback:
    def test_a_lower_reading_that_is_no_plausible_wrap_is_a_rollback(self) -> None:
        result = run(reading(JAN, "1234.56"), reading(FEB, "1200.00"))
        assert codes(result, 1) == ["ROLLBACK"]
        assert result.readings[1].consumption_kwh is None

    def test_a_wrap_beyond_the_capacity_of_the_supply_is_a_rollback(self) -> None:
        # 999000.00 → 500.00 would be 1500.00 kWh: fine for the register range, not for 1 kVA.
        result = run(
            reading(JAN, "999000.00"), reading(FEB, "500.00"), on=meter(capacity="1"), history=NO_HISTORY
        )
        assert codes(result, 1) == ["ROLLBACK"]

    def test_a_rollback_reading_is_not_the_baseline_of_the_next_one(self) -> None:
        result = run(
            reading(JAN, "1234.56"), reading(JAN + timedelta(days=10), "1200.00"), reading(FEB, "1514.56")
        )
        assert codes(result, 2) == []
        assert result.readings[2].consumption_kwh == D("280.00")

    def test_a_higher_reading_is_no_rollback(self) -> None:
        assert "ROLLBACK" not in codes(run(reading(JAN, "1234.56"), reading(FEB, "1544.56")))


class TestRollover:
    def test_a_plausible_wrap_is_accepted_and_flagged_for_review(self) -> None:
        result = run(reading(JAN, "999950.00"), reading(FEB, "250.00"))
        assert codes(result, 1) == ["ROLLOVER"]
        assert result.readings[1].consumption_kwh == D("300.00")
        assert result.readings[1].findings[0].severity is Severity.WARNING
        assert result.readings[1].billable

    def test_the_range_fraction_decides_what_is_plausible(self) -> None:
        readings = (reading(JAN, "9000.00"), reading(FEB, "500.00"))  # a 4-digit wrap of 1500 kWh
        four = meter(digits=(4, 2), capacity=None)
        assert codes(run(*readings, on=four, history=NO_HISTORY), 1) == ["ROLLBACK"]
        lenient = VeePolicy(rollover_max_range_fraction=D("0.2"))
        assert codes(run(*readings, on=four, history=NO_HISTORY, policy=lenient), 1) == ["ROLLOVER"]

    def test_the_wrapped_consumption_is_multiplied(self) -> None:
        result = run(
            reading(JAN, "999999.00"), reading(FEB, "1.00"), on=meter(multiplier="30", capacity=None)
        )
        assert result.readings[1].consumption_kwh == D("60.00")


class TestTouSum:
    def test_registers_that_do_not_add_up_to_the_total_are_flagged(self) -> None:
        tou = {"sharp": "125.00", "peak": "500.00", "flat": "540.00", "valley": "375.00"}
        result = run(reading(JAN, "1544.56", tou=tou), on=meter(tou=TOU))
        assert codes(result, 0) == ["TOU_SUM"]
        assert result.readings[0].findings[0].params["gap"] == "4.56"

    def test_a_difference_within_display_rounding_is_accepted(self) -> None:
        tou = {"sharp": "125.01", "peak": "500.01", "flat": "544.51", "valley": "375.01"}  # 1544.54
        assert codes(run(reading(JAN, "1544.56", tou=tou), on=meter(tou=TOU)), 0) == []

    def test_a_total_that_has_wrapped_while_its_parts_have_not_still_adds_up(self) -> None:
        tou = {"sharp": "100000.00", "peak": "300000.00", "flat": "400000.00", "valley": "200000.50"}
        assert codes(run(reading(JAN, "0.50", tou=tou), on=meter(tou=TOU)), 0) == []

    def test_a_meter_without_time_of_use_registers_is_not_checked(self) -> None:
        assert codes(run(reading(JAN, "1544.56")), 0) == []


class TestMultiplierChange:
    def test_a_field_multiplier_other_than_the_archives_is_flagged(self) -> None:
        result = run(
            reading(JAN, "1234.56"),
            reading(FEB, "1244.89", multiplier=D("40")),
            on=meter(multiplier="30", capacity=None),
        )
        assert codes(result, 1) == ["MULTIPLIER_CHANGE"]
        assert result.readings[1].consumption_kwh == D("309.90")  # billed on the archive's 30

    def test_the_same_multiplier_written_differently_is_no_change(self) -> None:
        assert codes(run(reading(JAN, "1.00", multiplier=D("30.00")), on=meter(multiplier="30")), 0) == []


class TestClockDrift:
    def test_a_meter_clock_25_minutes_slow_is_flagged(self) -> None:
        result = run(reading(FEB, "1.00", meter_clock=FEB - timedelta(minutes=25)))
        assert codes(result, 0) == ["CLOCK_DRIFT"]
        assert result.readings[0].findings[0].params["drift"] == "1500"

    def test_a_meter_clock_fast_by_more_than_the_tolerance_is_flagged(self) -> None:
        assert codes(run(reading(FEB, "1.00", meter_clock=FEB + timedelta(seconds=301))), 0) == [
            "CLOCK_DRIFT"
        ]

    def test_a_clock_within_the_tolerance_is_accepted(self) -> None:
        assert codes(run(reading(FEB, "1.00", meter_clock=FEB + timedelta(seconds=300))), 0) == []


class TestMissing:
    def test_no_reading_in_a_closed_window_is_flagged_on_the_meter(self) -> None:
        window = Period(date(2026, 2, 10), date(2026, 2, 20))
        result = run(reading(JAN, "1234.56"), window=window, as_of=local(2026, 3, 1))
        assert [f.code.value for f in result.meter_findings] == ["MISSING"]
        assert result.meter_findings[0].index is None

    def test_a_window_that_is_still_open_is_not_missing(self) -> None:
        window = Period(date(2026, 2, 10), date(2026, 2, 20))
        assert codes(run(reading(JAN, "1234.56"), window=window, as_of=local(2026, 2, 15))) == []

    def test_a_valid_reading_in_the_window_is_not_missing(self) -> None:
        window = Period(date(2026, 2, 10), date(2026, 2, 20))
        result = run(reading(JAN, "1234.56"), reading(FEB, "1544.56"), window=window, as_of=local(2026, 3, 1))
        assert result.meter_findings == ()

    def test_an_invalid_reading_in_the_window_does_not_count(self) -> None:
        window = Period(date(2026, 2, 10), date(2026, 2, 20))
        result = run(reading(FEB, "x"), window=window, as_of=local(2026, 3, 1))
        assert [f.code.value for f in result.meter_findings] == ["MISSING"]

    def test_a_gap_longer_than_allowed_between_readings_is_flagged_on_the_later_reading(self) -> None:
        result = run(reading(JAN, "1234.56"), reading(MAR, "1814.56"))
        assert codes(result, 1) == ["MISSING"]
        assert result.readings[1].findings[0].params["days"] == "59"
        assert result.readings[1].consumption_kwh == D("580.00")


class TestZero:
    def test_no_consumption_on_an_active_account_is_flagged(self) -> None:
        result = run(reading(JAN, "1234.56"), reading(FEB, "1234.56"))
        assert codes(result, 1) == ["ZERO"]  # and not SPIKE_LOW as well

    def test_consumption_above_the_threshold_is_not_zero(self) -> None:
        policy = VeePolicy(zero_threshold_kwh=D("5"))
        assert codes(run(reading(JAN, "1.00"), reading(FEB, "4.00"), history=(), policy=policy), 1) == [
            "ZERO"
        ]
        assert codes(run(reading(JAN, "1.00"), reading(FEB, "7.00"), history=(), policy=policy), 1) == []

    def test_no_consumption_on_a_suspended_meter_is_expected(self) -> None:
        result = run(reading(JAN, "1.00"), reading(FEB, "1.00"), on=meter(status=MeterStatus.SUSPENDED))
        assert codes(result) == []


class TestStopped:
    def test_a_register_standing_still_while_the_area_has_load_is_a_stopped_meter(self) -> None:
        result = run(reading(JAN, "1234.56"), reading(FEB, "1234.56", area_supply_kwh=D("52000")))
        assert codes(result, 1) == ["STOPPED"]  # instead of ZERO

    def test_an_area_without_load_explains_the_standstill(self) -> None:
        result = run(reading(JAN, "1234.56"), reading(FEB, "1234.56", area_supply_kwh=D("10")))
        assert codes(result, 1) == ["ZERO"]

    def test_a_moving_register_is_not_stopped(self) -> None:
        result = run(reading(JAN, "1234.56"), reading(FEB, "1544.56", area_supply_kwh=D("52000")))
        assert codes(result, 1) == []


class TestSpike:
    def test_far_more_than_the_recent_average_is_a_high_spike(self) -> None:
        result = run(reading(JAN, "1234.56"), reading(FEB, "2734.56"))
        assert codes(result, 1) == ["SPIKE_HIGH"]
        assert result.readings[1].findings[0].params["recent"] == "303.26"  # 900 kWh / 92 days × 31

    def test_far_less_than_the_recent_average_is_a_low_spike(self) -> None:
        assert codes(run(reading(JAN, "1234.56"), reading(FEB, "1284.56")), 1) == ["SPIKE_LOW"]

    def test_consumption_within_the_relative_tolerance_is_accepted(self) -> None:
        assert codes(run(reading(JAN, "1234.56"), reading(FEB, "1834.56")), 1) == []  # 600 < 2 × 303.26

    def test_the_absolute_tolerance_keeps_small_consumers_quiet(self) -> None:
        tiny = months("3", "3", "3")
        assert (
            codes(run(reading(JAN, "1.00"), reading(FEB, "31.00"), history=tiny), 1) == []
        )  # 10× but 30 kWh

    def test_a_seasonal_rise_that_last_year_explains_is_accepted(self) -> None:
        history = (
            *months("900", first=(2025, 1)),
            days(date(2025, 1, 15), date(2025, 2, 15), "900"),
            *months("290", "300", "310"),
        )
        assert codes(run(reading(JAN, "1234.56"), reading(FEB, "2134.56"), history=history), 1) == []

    def test_the_same_rise_without_last_years_history_is_a_spike(self) -> None:
        assert codes(run(reading(JAN, "1234.56"), reading(FEB, "2134.56")), 1) == ["SPIKE_HIGH"]

    def test_without_history_there_is_nothing_to_compare(self) -> None:
        assert codes(run(reading(JAN, "1234.56"), reading(FEB, "5234.56"), history=NO_HISTORY), 1) == []

    def test_earlier_readings_in_the_sequence_become_history(self) -> None:
        result = run(
            reading(local(2025, 11, 15), "0.00"),
            reading(local(2025, 12, 15), "300.00"),
            reading(JAN, "610.00"),
            reading(FEB, "2110.00"),
            history=NO_HISTORY,
        )
        assert codes(result, 3) == ["SPIKE_HIGH"]


class TestOverCapacity:
    def test_more_energy_than_capacity_times_hours_is_flagged(self) -> None:
        result = run(
            reading(JAN, "1234.56"), reading(FEB, "3234.56"), on=meter(capacity="2"), history=NO_HISTORY
        )
        assert codes(result, 1) == ["OVER_CAPACITY"]
        assert result.readings[1].findings[0].params["most"] == "1488.00"

    def test_energy_within_the_capacity_is_accepted(self) -> None:
        result = run(
            reading(JAN, "1234.56"), reading(FEB, "2634.56"), on=meter(capacity="2"), history=NO_HISTORY
        )
        assert codes(result, 1) == []

    def test_a_meter_without_a_known_capacity_is_not_checked(self) -> None:
        result = run(reading(JAN, "0"), reading(FEB, "90000"), on=meter(capacity=None), history=NO_HISTORY)
        assert codes(result, 1) == []


class TestInactiveUsage:
    def test_energy_on_a_disconnected_meter_is_flagged(self) -> None:
        result = run(
            reading(JAN, "1234.56"), reading(FEB, "1284.56"), on=meter(status=MeterStatus.DISCONNECTED)
        )
        assert codes(result, 1) == ["INACTIVE_USAGE"]

    def test_energy_on_a_closed_or_suspended_meter_is_flagged(self) -> None:
        for status in (MeterStatus.CLOSED, MeterStatus.SUSPENDED):
            assert codes(run(reading(JAN, "1.00"), reading(FEB, "2.00"), on=meter(status=status)), 1) == [
                "INACTIVE_USAGE"
            ]

    def test_energy_on_an_active_meter_is_expected(self) -> None:
        assert codes(run(reading(JAN, "1234.56"), reading(FEB, "1544.56")), 1) == []
