"""The dunning and disconnection policy (催费停复电政策): the shipped file, the defaults, and a bad
file refused whole with every key named."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

import pytest

from meter2cash.collection.dunning_policy import (
    DEFAULT_DUNNING_POLICY,
    BadDunningPolicy,
    ClassPolicy,
    DunningPolicy,
    DunningStep,
    NoticeChannel,
    UnknownCategory,
    bundled_dunning_policy,
    policy_from_yaml,
)

SMS, EMAIL, LETTER = NoticeChannel.SMS, NoticeChannel.EMAIL, NoticeChannel.LETTER
STEPS = "steps: [{step: reminder, days_after_due: 5, channels: [sms]}]"


def refused_columns(text: str) -> list[str | None]:
    with pytest.raises(BadDunningPolicy) as refused:
        policy_from_yaml(text=text)
    return [p.column for p in refused.value.problems]


class TestTheShippedPolicy:
    def test_the_shipped_file_equals_the_defaults_in_the_code(self) -> None:
        assert bundled_dunning_policy() == DEFAULT_DUNNING_POLICY

    def test_every_customer_class_has_rules(self) -> None:
        assert set(bundled_dunning_policy().classes) == {
            "residential",
            "general",
            "large_industry",
            "agriculture",
        }

    def test_a_reminder_goes_five_days_after_the_due_date_and_an_escalation_at_twenty(self) -> None:
        rules = bundled_dunning_policy().for_class("general")
        assert [(s.name, s.days_after_due) for s in rules.steps] == [("reminder", 5), ("second_reminder", 20)]
        assert rules.steps[0].channels == (SMS, EMAIL)
        assert rules.steps[1].channels == (SMS, EMAIL, LETTER)

    def test_residential_customers_get_seven_days_notice_and_others_three(self) -> None:
        policy = bundled_dunning_policy()
        assert policy.for_class("residential").notice_lead_days == 7
        assert {
            policy.for_class(c).notice_lead_days for c in ("general", "large_industry", "agriculture")
        } == {3}

    def test_the_legal_numbers_are_the_defaults(self) -> None:
        rules = bundled_dunning_policy().for_class("agriculture")
        assert (rules.disconnect_after_days, rules.notice_max_days, rules.final_notice_minutes) == (30, 7, 30)
        assert (rules.reconnect_within_hours, rules.minimum_arrears) == (24, D("0.01"))
        assert (rules.notice_channels, rules.final_notice_channels) == ((LETTER,), (SMS,))

    def test_a_class_the_policy_does_not_name_is_refused(self) -> None:
        with pytest.raises(UnknownCategory):
            DEFAULT_DUNNING_POLICY.for_class("street_lighting")


class TestABureausOwnFile:
    def test_a_class_takes_the_defaults_unless_it_names_its_own(self) -> None:
        text = f"""
defaults: {{{STEPS}, reconnect_within_hours: 48}}
classes:
  residential: {{label: 居民, reconnect_within_hours: 12}}
  general: {{label: 一般工商业}}
"""
        policy = policy_from_yaml(text=text)
        assert policy.for_class("residential").reconnect_within_hours == 12
        assert policy.for_class("general").reconnect_within_hours == 48
        assert policy.for_class("general").steps == (DunningStep("reminder", 5, (SMS,)),)

    def test_quoted_numbers_are_read_exactly(self) -> None:
        text = f'classes: {{residential: {{label: 居民, {STEPS}, minimum_arrears: "10.50"}}}}'
        assert policy_from_yaml(text=text).for_class("residential").minimum_arrears == D("10.50")


class TestABadFileIsRefusedNamingTheKey:
    def test_a_lead_time_outside_three_to_seven_days_names_the_class_and_key(self) -> None:
        text = f"classes: {{residential: {{label: 居民, {STEPS}, notice_lead_days: 2}}}}"
        assert refused_columns(text) == ["classes.residential.notice_lead_days"]

    def test_a_bad_default_is_named_where_it_is_written(self) -> None:
        text = f"defaults: {{{STEPS}, notice_lead_days: 9}}\nclasses: {{general: {{label: x}}}}"
        assert refused_columns(text) == ["defaults.notice_lead_days"]

    def test_the_error_message_names_the_key(self) -> None:
        text = f"classes: {{general: {{label: x, {STEPS}, reconnect_within_hours: 100}}}}"
        with pytest.raises(BadDunningPolicy, match=r"classes\.general\.reconnect_within_hours"):
            policy_from_yaml(text=text)

    def test_every_problem_is_named_at_once(self) -> None:
        text = """
bogus: 1
classes:
  general:
    label: x
    colour: red
    steps: [{step: reminder, days_after_due: 5, channels: [fax]}]
    minimum_arrears: abc
  residential: {label: 居民}
"""
        assert refused_columns(text) == [
            "bogus",
            "classes.general.colour",
            "classes.general.steps[0].channels",
            "classes.general.minimum_arrears",
            "classes.residential.steps",
        ]

    def test_steps_must_come_later_one_after_another_with_distinct_names(self) -> None:
        text = """
classes:
  general:
    label: x
    steps:
      - {step: reminder, days_after_due: 10, channels: [sms]}
      - {step: reminder, days_after_due: 10, channels: [sms, sms]}
"""
        assert refused_columns(text) == [
            "classes.general.steps[0].step",
            "classes.general.steps[1].step",
            "classes.general.steps[1].days_after_due",
            "classes.general.steps[1].channels",
        ]

    @pytest.mark.parametrize(
        ("setting", "key"),
        [
            ("disconnect_after_days: 29", "disconnect_after_days"),  # the law: more than 30 days
            ("final_notice_minutes: 20", "final_notice_minutes"),  # art. 67: 30 minutes
            ("reconnect_within_hours: 73", "reconnect_within_hours"),  # art. 69: 3 days
            ("notice_max_days: 4", "notice_max_days"),  # under the class's lead of 5
            ("minimum_arrears: 0", "minimum_arrears"),
            ("minimum_arrears: 0.001", "minimum_arrears"),
            ("notice_channels: []", "notice_channels"),
            ("notice_lead_days: 5.5", "notice_lead_days"),
            ("notice_lead_days: true", "notice_lead_days"),
        ],
    )
    def test_a_number_outside_its_lawful_range_is_refused(self, setting: str, key: str) -> None:
        text = f"classes: {{general: {{label: x, {STEPS}, notice_lead_days: 5, {setting}}}}}"
        assert refused_columns(text.replace("notice_lead_days: 5, notice_lead_days", "notice_lead_days")) == [
            f"classes.general.{key}"
        ]

    def test_a_first_reminder_after_disconnection_eligibility_is_refused(self) -> None:
        text = (
            "classes: {general: {label: x, steps: [{step: reminder, days_after_due: 31, channels: [sms]}]}}"
        )
        assert refused_columns(text) == ["classes.general.steps[0].days_after_due"]

    @pytest.mark.parametrize("text", ["a: [", "- just a list", "classes: {}"])
    def test_a_file_that_is_not_a_policy_is_refused(self, text: str) -> None:
        with pytest.raises(BadDunningPolicy):
            policy_from_yaml(text=text)


class TestThePolicyInCode:
    def test_building_rules_out_of_range_is_refused_too(self) -> None:
        rules = DEFAULT_DUNNING_POLICY.for_class("general")
        with pytest.raises(BadDunningPolicy, match="notice_lead_days"):
            replace(rules, notice_lead_days=8)

    def test_a_policy_without_classes_is_refused(self) -> None:
        with pytest.raises(BadDunningPolicy):
            DunningPolicy(classes={})

    def test_a_class_needs_a_label_and_a_step(self) -> None:
        with pytest.raises(BadDunningPolicy) as refused:
            ClassPolicy(label=" ", steps=())
        assert [p.column for p in refused.value.problems] == ["label", "steps"]
