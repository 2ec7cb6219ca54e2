"""The prepaid policy (费控 thresholds, card-meter tolerances): defaults, the shipped file, and every
bad key named."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meter2cash.collection.prepaid_policy import (
    DEFAULT_PREPAID_POLICY,
    BadPrepaidPolicy,
    CardMeterRules,
    PrepaidPolicy,
    SmartPrepaidRules,
    UnknownPrepaidClass,
    bundled_prepaid_policy,
    policy_from_yaml,
)

GOOD_CLASS = "{label: 居民, alert_threshold: '20.00', notice_hours: 24, trip_at: 0, reconnect_minimum: 0}"


def columns(error: pytest.ExceptionInfo[BadPrepaidPolicy]) -> set[str | None]:
    return {p.column for p in error.value.problems}


class TestTheDefaults:
    def test_the_shipped_policy_file_holds_the_defaults(self) -> None:
        assert bundled_prepaid_policy() == DEFAULT_PREPAID_POLICY

    def test_a_residential_account_is_warned_below_20_yuan_and_trips_at_zero_a_day_after_notice(self) -> None:
        rules = DEFAULT_PREPAID_POLICY.rules("residential")
        assert (rules.alert_threshold, rules.trip_at, rules.notice_hours, rules.reconnect_minimum) == (
            D("20.00"),
            D("0.00"),
            24,
            D("0.00"),
        )

    def test_card_meters_are_flagged_after_90_days_without_a_purchase(self) -> None:
        assert DEFAULT_PREPAID_POLICY.card_meters.stopped_buying_days == 90

    def test_a_class_the_policy_does_not_name_is_an_error_not_a_default(self) -> None:
        with pytest.raises(UnknownPrepaidClass):
            DEFAULT_PREPAID_POLICY.rules("large_industry")


class TestThePolicyFile:
    def test_a_file_is_read_exactly(self) -> None:
        policy = policy_from_yaml(
            text="classes:\n"
            "  residential: {label: 居民, alert_threshold: 10.5, notice_hours: 48, trip_at: '-5.00',"
            " reconnect_minimum: '10'}\n"
            "card_meters: {stopped_buying_days: 60, kwh_tolerance: '0.5'}\n"
        )
        rules = policy.rules("residential")
        assert (rules.alert_threshold, rules.notice_hours, rules.trip_at, rules.reconnect_minimum) == (
            D("10.5"),
            48,
            D("-5.00"),
            D(10),
        )
        card = policy.card_meters
        assert (card.stopped_buying_days, card.kwh_tolerance) == (60, D("0.5"))
        assert card.amount_tolerance == D("0.50")  # not given: the default

    def test_card_meter_thresholds_may_be_left_out(self) -> None:
        policy = policy_from_yaml(text=f"classes:\n  residential: {GOOD_CLASS}\n")
        assert policy.card_meters == CardMeterRules()

    def test_every_problem_is_named_by_its_key_at_once(self) -> None:
        with pytest.raises(BadPrepaidPolicy) as refused:
            policy_from_yaml(
                text="classes:\n"
                "  residential: {label: 居民, alert_threshold: abc, notice_hours: 2.5, trip_at: 5,"
                " reconnect_minimum: -1, colour: red}\n"
                "  general: {label: 一般工商业}\n"
                "card_meters: {kwh_tolerance: '0.00001', stopped_buying_days: 0, speed: 1}\n"
                "limits: 1\n"
            )
        assert columns(refused) == {
            "limits",
            "classes.residential.colour",
            "classes.residential.alert_threshold",
            "classes.residential.notice_hours",
            "classes.residential.trip_at",
            "classes.residential.reconnect_minimum",
            "classes.general.alert_threshold",
            "classes.general.notice_hours",
            "classes.general.trip_at",
            "classes.general.reconnect_minimum",
            "card_meters.speed",
            "card_meters.kwh_tolerance",
            "card_meters.stopped_buying_days",
        }

    def test_the_alert_must_come_before_the_trip(self) -> None:
        with pytest.raises(BadPrepaidPolicy) as refused:
            policy_from_yaml(
                text="classes:\n  residential: {label: 居民, alert_threshold: '-1', notice_hours: 24,"
                " trip_at: 0, reconnect_minimum: 0}\n"
            )
        assert columns(refused) == {"classes.residential.alert_threshold"}
        assert "trip_at" in refused.value.problems[0].reason

    def test_amounts_finer_than_the_fen_are_refused(self) -> None:
        with pytest.raises(BadPrepaidPolicy) as refused:
            policy_from_yaml(
                text="classes:\n  residential: {label: 居民, alert_threshold: '20.001', notice_hours: 24,"
                " trip_at: 0, reconnect_minimum: 0}\n"
            )
        assert columns(refused) == {"classes.residential.alert_threshold"}

    @pytest.mark.parametrize("text", ["", "- a list\n", "classes: {}\n", "classes: [1]\n", "{{{\n"])
    def test_a_file_without_classes_is_refused(self, text: str) -> None:
        with pytest.raises(BadPrepaidPolicy):
            policy_from_yaml(text=text)


class TestTheRulesInCode:
    def test_a_positive_trip_level_is_refused_by_name(self) -> None:
        with pytest.raises(BadPrepaidPolicy) as refused:
            SmartPrepaidRules(label="居民", trip_at=D("1.00"))
        assert columns(refused) == {"trip_at"}

    def test_a_negative_reconnection_minimum_is_refused(self) -> None:
        with pytest.raises(BadPrepaidPolicy) as refused:
            SmartPrepaidRules(label="居民", reconnect_minimum=D("-1.00"))
        assert columns(refused) == {"reconnect_minimum"}

    def test_a_float_is_not_an_amount(self) -> None:
        with pytest.raises(BadPrepaidPolicy):
            SmartPrepaidRules(label="居民", alert_threshold=20.0)  # type: ignore[arg-type]

    def test_a_policy_needs_a_class(self) -> None:
        with pytest.raises(BadPrepaidPolicy):
            PrepaidPolicy(classes={})

    def test_an_overdraft_is_a_trip_level_below_zero(self) -> None:
        rules = SmartPrepaidRules(label="居民", trip_at=D("-10.00"), alert_threshold=D("5.00"))
        assert rules.trip_at == D("-10.00")


@given(
    threshold=st.decimals(min_value=-100, max_value=1000, places=2),
    trip_at=st.decimals(min_value=-100, max_value=0, places=2),
)
def test_a_class_is_accepted_exactly_when_its_alert_is_above_its_trip_level(threshold: D, trip_at: D) -> None:
    try:
        SmartPrepaidRules(label="x", alert_threshold=threshold, trip_at=trip_at)
    except BadPrepaidPolicy:
        assert threshold <= trip_at
    else:
        assert threshold > trip_at
