"""Dunning (催费): the next notice an overdue account is due for, with the shipped policy (reminder
5 days after the due date, escalation at 20), and Hypothesis invariants."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meter2cash.collection.dunning import (
    AccountArrears,
    BadAccountState,
    DunningCode,
    SentNotice,
    days_overdue,
    next_dunning_step,
    notices_of_arrears,
)
from meter2cash.collection.dunning_policy import DEFAULT_DUNNING_POLICY as POLICY
from meter2cash.collection.dunning_policy import DunningPolicy, NoticeChannel, UnknownCategory
from meter2cash.platform.i18n import translations

DUE = date(2026, 10, 15)


def account(arrears: str = "320.00", *notices: SentNotice, category: str = "residential") -> AccountArrears:
    return AccountArrears(
        account="1500000001", category=category, arrears=D(arrears), oldest_due_date=DUE, notices=notices
    )


def sent(step: str, days_after_due: int) -> SentNotice:
    return SentNotice(step=step, sent_on=DUE + timedelta(days=days_after_due))


def on(days_after_due: int) -> date:
    return DUE + timedelta(days=days_after_due)


class TestTheFirstReminder:
    def test_an_account_four_days_overdue_is_not_yet_reminded(self) -> None:
        decision = next_dunning_step(policy=POLICY, as_of=on(4), account=account())
        assert decision.step is None
        assert (decision.reason.code, decision.due_on) == (DunningCode.NOT_YET_DUE, on(5))
        assert decision.reason.en == "4 days overdue: the reminder notice is due on 2026-10-20"

    def test_an_account_five_days_overdue_is_due_its_reminder_by_sms_and_email(self) -> None:
        decision = next_dunning_step(policy=POLICY, as_of=on(5), account=account())
        assert decision.step is not None and decision.step.name == "reminder"
        assert decision.channels == (NoticeChannel.SMS, NoticeChannel.EMAIL)
        assert decision.days_overdue == 5
        assert decision.reason.en == "5 days overdue: the reminder notice is due, by sms, email"

    def test_the_reason_reads_in_chinese_through_the_catalog(self) -> None:
        decision = next_dunning_step(policy=POLICY, as_of=on(5), account=account())
        chinese = decision.reason.text(translations("zh_CN").gettext)
        assert chinese != decision.reason.en
        assert "5" in chinese and "reminder" in chinese

    def test_nothing_is_sent_on_or_before_the_due_date(self) -> None:
        decision = next_dunning_step(policy=POLICY, as_of=DUE, account=account())
        assert (decision.step, decision.reason.code) == (None, DunningCode.NOTHING_OVERDUE)

    def test_an_account_that_owes_nothing_gets_no_notice(self) -> None:
        paid = AccountArrears(account="1500000001", category="general", arrears=D("0"))
        assert (
            next_dunning_step(policy=POLICY, as_of=on(40), account=paid).reason.code
            == DunningCode.NOTHING_OVERDUE
        )


class TestTheEscalation:
    def test_after_the_reminder_the_escalation_waits_for_day_twenty(self) -> None:
        decision = next_dunning_step(
            policy=POLICY, as_of=on(19), account=account("320.00", sent("reminder", 5))
        )
        assert (decision.step, decision.due_on) == (None, on(20))

    def test_on_day_twenty_the_escalation_also_goes_by_letter(self) -> None:
        decision = next_dunning_step(
            policy=POLICY, as_of=on(20), account=account("320.00", sent("reminder", 5))
        )
        assert decision.step is not None and decision.step.name == "second_reminder"
        assert NoticeChannel.LETTER in decision.channels

    def test_a_missed_reminder_is_sent_late_rather_than_skipped(self) -> None:
        decision = next_dunning_step(policy=POLICY, as_of=on(25), account=account())
        assert decision.step is not None and decision.step.name == "reminder"

    def test_two_notices_never_go_out_on_the_same_day(self) -> None:
        decision = next_dunning_step(
            policy=POLICY, as_of=on(25), account=account("320.00", sent("reminder", 25))
        )
        assert (decision.step, decision.reason.code, decision.due_on) == (
            None,
            DunningCode.SENT_TODAY,
            on(26),
        )

    def test_when_every_step_was_sent_the_disconnection_procedure_comes_next(self) -> None:
        notices = (sent("reminder", 5), sent("second_reminder", 20))
        decision = next_dunning_step(policy=POLICY, as_of=on(31), account=account("320.00", *notices))
        assert (decision.step, decision.reason.code) == (None, DunningCode.ALL_STEPS_SENT)


class TestWhatCounts:
    def test_a_notice_of_an_earlier_paid_arrears_does_not_count(self) -> None:
        old = SentNotice(step="reminder", sent_on=DUE - timedelta(days=40))
        decision = next_dunning_step(policy=POLICY, as_of=on(5), account=account("320.00", old))
        assert decision.step is not None and decision.step.name == "reminder"

    def test_a_notice_dated_after_the_as_of_date_does_not_count(self) -> None:
        assert notices_of_arrears(account=account("1.00", sent("reminder", 10)), as_of=on(9)) == ()

    def test_an_amount_under_the_bureaus_minimum_is_not_acted_on(self) -> None:
        rules = replace(POLICY.for_class("residential"), minimum_arrears=D("10.00"))
        policy = DunningPolicy(classes={"residential": rules})
        decision = next_dunning_step(policy=policy, as_of=on(40), account=account("9.99"))
        assert (decision.step, decision.reason.code) == (None, DunningCode.BELOW_MINIMUM)
        assert (
            decision.reason.en == "The overdue amount 9.99 yuan is under the minimum of 10.00 yuan to act on"
        )

    def test_protection_flags_do_not_stop_reminders(self) -> None:
        protected = AccountArrears(
            account="1",
            category="general",
            arrears=D("9.00"),
            oldest_due_date=DUE,
            important=True,
            medical=True,
        )
        assert next_dunning_step(policy=POLICY, as_of=on(5), account=protected).step is not None

    def test_days_overdue_count_from_the_day_after_the_due_date(self) -> None:
        assert [days_overdue(due_date=DUE, as_of=on(n)) for n in (-3, 0, 1, 31)] == [0, 0, 1, 31]


class TestABadAccountState:
    @pytest.mark.parametrize("arrears", [D("-1.00"), D("1.005"), D("NaN")])
    def test_a_negative_or_inexact_amount_is_refused(self, arrears: D) -> None:
        with pytest.raises(BadAccountState):
            AccountArrears(account="1", category="general", arrears=arrears, oldest_due_date=DUE)

    def test_arrears_without_a_due_date_are_refused(self) -> None:
        with pytest.raises(BadAccountState):
            AccountArrears(account="1", category="general", arrears=D("5.00"))

    def test_a_class_the_policy_does_not_name_is_refused(self) -> None:
        with pytest.raises(UnknownCategory):
            next_dunning_step(policy=POLICY, as_of=on(5), account=account(category="street_lighting"))


@st.composite
def histories(draw: st.DrawFn) -> tuple[AccountArrears, date]:
    """An account with some of the shipped steps sent on some days, and an as-of day."""
    days = draw(st.lists(st.integers(min_value=1, max_value=60), max_size=3, unique=True))
    names = ["reminder", "second_reminder", "unknown_step"]
    notices = tuple(sent(names[i], d) for i, d in enumerate(sorted(days)))
    as_of = on(draw(st.integers(min_value=-5, max_value=90)))
    amount = draw(st.decimals(min_value=0, max_value=10**6, places=2))
    return account(str(amount), *notices, category=draw(st.sampled_from(sorted(POLICY.classes)))), as_of


class TestInvariants:
    @given(histories())
    def test_a_step_due_is_never_one_already_sent_nor_before_its_day(
        self, case: tuple[AccountArrears, date]
    ) -> None:
        arrears, as_of = case
        decision = next_dunning_step(policy=POLICY, as_of=as_of, account=arrears)
        if decision.step is not None:
            assert decision.step.name not in {
                n.step for n in notices_of_arrears(account=arrears, as_of=as_of)
            }
            assert decision.days_overdue >= decision.step.days_after_due
            assert decision.channels
            assert arrears.arrears >= POLICY.for_class(arrears.category).minimum_arrears

    @given(histories())
    def test_the_escalation_is_never_due_before_the_reminder_was_sent(
        self, case: tuple[AccountArrears, date]
    ) -> None:
        arrears, as_of = case
        decision = next_dunning_step(policy=POLICY, as_of=as_of, account=arrears)
        if decision.step is not None and decision.step.name == "second_reminder":
            assert "reminder" in {n.step for n in notices_of_arrears(account=arrears, as_of=as_of)}

    @given(histories())
    def test_the_decision_is_the_same_every_time(self, case: tuple[AccountArrears, date]) -> None:
        arrears, as_of = case
        assert next_dunning_step(policy=POLICY, as_of=as_of, account=arrears) == next_dunning_step(
            policy=POLICY, as_of=as_of, account=arrears
        )
