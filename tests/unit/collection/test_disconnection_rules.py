"""Lawful disconnection and reconnection (停复电): eligibility (条例 art. 39, 《供电营业规则》 art. 66),
the steps of a case (art. 67) and reconnection (art. 69), with the shipped policy; and the
invariant that no sequence of steps reaches a cut without every step before it."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import event, given, settings, target
from hypothesis import strategies as st

from meter2cash.collection.disconnection_rules import (
    PATH,
    Bar,
    CaseState,
    CutMethod,
    DisconnectionCase,
    NaiveTime,
    TransitionRefused,
    advance,
    after_payment,
    check_transition,
    cut_method,
    eligibility,
    propose,
    reconnect_deadline,
)
from meter2cash.collection.dunning import AccountArrears, SentNotice
from meter2cash.collection.dunning_policy import DEFAULT_DUNNING_POLICY as POLICY
from meter2cash.platform.clock import BUSINESS_TZ as BJ

DUE = date(2026, 10, 10)
REMINDED = SentNotice(step="reminder", sent_on=date(2026, 10, 15))
CUT = datetime(2026, 11, 21, 9, 0, tzinfo=BJ)
CLERK, BOSS = "collector", "supervisor"
S = CaseState


def owing(arrears: str = "320.00", *, category: str = "general", **flags: bool) -> AccountArrears:
    return AccountArrears(
        account="1500000001",
        category=category,
        arrears=D(arrears),
        oldest_due_date=DUE if D(arrears) else None,
        notices=(REMINDED,),
        **flags,
    )


def bj(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BJ)


def codes(reasons: list) -> list[str]:  # type: ignore[type-arg]
    return [r.code for r in reasons]


def proposed(*, category: str = "general", cut: datetime = CUT) -> DisconnectionCase:
    return propose(
        policy=POLICY,
        account=owing(category=category),
        planned_cut=cut,
        method=CutMethod.REMOTE,
        at=bj(11, 12, 10),
        by=CLERK,
    )


def step(
    case: DisconnectionCase,
    to: CaseState,
    at: datetime,
    *,
    by: str = BOSS,
    account: AccountArrears | None = None,
) -> DisconnectionCase:
    return advance(
        policy=POLICY, case=case, to_state=to, at=at, by=by, account=account or owing(), supervisor=by == BOSS
    )


def ready_to_cut() -> DisconnectionCase:
    case = step(proposed(), S.APPROVED, bj(11, 12, 15))
    case = step(case, S.NOTICE_SENT, bj(11, 17), by=CLERK)
    return step(case, S.FINAL_NOTICE_SENT, bj(11, 21, 8, 0), by=CLERK)


class TestEligibility:
    def test_an_account_thirty_days_overdue_is_not_yet_eligible(self) -> None:
        assert codes(eligibility(policy=POLICY, as_of=DUE + timedelta(days=30), account=owing())) == [
            Bar.NOT_OVERDUE_ENOUGH
        ]

    def test_an_account_thirty_one_days_overdue_and_reminded_is_eligible(self) -> None:
        assert eligibility(policy=POLICY, as_of=DUE + timedelta(days=31), account=owing()) == []

    def test_an_account_never_reminded_is_not_eligible(self) -> None:
        silent = AccountArrears(account="1", category="general", arrears=D("320.00"), oldest_due_date=DUE)
        assert codes(eligibility(policy=POLICY, as_of=DUE + timedelta(days=40), account=silent)) == [
            Bar.NO_REMINDER
        ]

    def test_a_reminder_sent_today_is_not_a_reminder_before(self) -> None:
        reminded_today = AccountArrears(
            account="1",
            category="general",
            arrears=D("320.00"),
            oldest_due_date=DUE,
            notices=(SentNotice("reminder", DUE + timedelta(days=40)),),
        )
        assert codes(eligibility(policy=POLICY, as_of=DUE + timedelta(days=40), account=reminded_today)) == [
            Bar.NO_REMINDER
        ]

    @pytest.mark.parametrize("flag", ["important", "low_income", "medical", "social"])
    def test_a_protected_account_is_never_eligible(self, flag: str) -> None:
        reasons = eligibility(policy=POLICY, as_of=DUE + timedelta(days=90), account=owing(**{flag: True}))
        assert codes(reasons) == [flag]

    def test_every_reason_is_named_at_once(self) -> None:
        account = owing(important=True, medical=True, disconnected=True)
        assert codes(eligibility(policy=POLICY, as_of=DUE + timedelta(days=10), account=account)) == [
            Bar.NOT_OVERDUE_ENOUGH,
            Bar.ALREADY_DISCONNECTED,
            Bar.IMPORTANT,
            Bar.MEDICAL,
        ]

    def test_an_account_that_paid_is_not_eligible(self) -> None:
        reasons = codes(eligibility(policy=POLICY, as_of=DUE + timedelta(days=40), account=owing("0")))
        assert Bar.BELOW_MINIMUM in reasons

    def test_the_reason_says_why_in_words(self) -> None:
        (reason,) = eligibility(policy=POLICY, as_of=DUE + timedelta(days=30), account=owing())
        assert reason.en == "30 days overdue; disconnection needs more than 30"


class TestTheLawfulPath:
    def test_a_case_goes_from_proposal_to_reconnection_step_by_step(self) -> None:
        case = step(ready_to_cut(), S.EXECUTED, bj(11, 21, 9, 5), by=CLERK)
        case = step(case, S.RECONNECTION_DUE, bj(11, 22, 10), by=CLERK, account=owing("0"))
        case = step(case, S.RECONNECTED, bj(11, 22, 12), by=CLERK, account=owing("0"))
        assert [s.state for s in case.steps] == list(S)[:-1]

    def test_a_smart_meter_is_tripped_remotely_and_others_by_a_work_order(self) -> None:
        assert cut_method(remote_control=True) is CutMethod.REMOTE
        assert cut_method(remote_control=False) is CutMethod.WORK_ORDER

    def test_a_cut_planned_too_soon_for_the_written_notice_cannot_be_proposed(self) -> None:
        assert proposed(category="residential", cut=bj(11, 19)).state is S.PROPOSED  # 7 days ahead
        with pytest.raises(TransitionRefused, match="at least 7 days ahead"):
            proposed(category="residential", cut=bj(11, 18))  # residential: 7 days' notice

    def test_an_ineligible_account_cannot_be_proposed(self) -> None:
        with pytest.raises(TransitionRefused, match="important customer"):
            propose(
                policy=POLICY,
                account=owing(important=True),
                planned_cut=CUT,
                method=CutMethod.WORK_ORDER,
                at=bj(11, 16),
                by=CLERK,
            )


class TestEachStepsChecks:
    def test_the_proposer_cannot_approve_their_own_case(self) -> None:
        problems = check_transition(
            policy=POLICY,
            case=proposed(),
            to_state=S.APPROVED,
            at=bj(11, 15),
            by=CLERK,
            account=owing(),
            supervisor=True,
        )
        assert codes(problems) == ["self_approval"]

    def test_only_a_supervisor_may_approve(self) -> None:
        problems = check_transition(
            policy=POLICY,
            case=proposed(),
            to_state=S.APPROVED,
            at=bj(11, 15),
            by="other_clerk",
            account=owing(),
        )
        assert codes(problems) == ["not_supervisor"]

    def test_the_notice_cannot_go_before_approval(self) -> None:
        problems = check_transition(
            policy=POLICY, case=proposed(), to_state=S.NOTICE_SENT, at=bj(11, 17), by=CLERK, account=owing()
        )
        assert codes(problems) == ["wrong_order"]

    @pytest.mark.parametrize(("day", "allowed"), [(13, False), (14, True), (18, True), (19, False)])
    def test_the_written_notice_is_served_three_to_seven_days_before_the_cut(
        self, day: int, allowed: bool
    ) -> None:
        case = step(proposed(), S.APPROVED, bj(11, 12, 11))
        at = bj(11, day, 23, 59)  # calendar days: the hour does not matter
        problems = check_transition(
            policy=POLICY, case=case, to_state=S.NOTICE_SENT, at=at, by=CLERK, account=owing()
        )
        assert (problems == []) is allowed
        if not allowed:
            assert codes(problems) == ["notice_out_of_window"]

    @pytest.mark.parametrize(
        ("at", "allowed"),
        [
            (bj(11, 20, 8, 59), False),
            (bj(11, 20, 9), True),
            (bj(11, 21, 8, 30), True),
            (bj(11, 21, 8, 31), False),
        ],
    )
    def test_the_final_notice_comes_thirty_minutes_to_a_day_before_the_cut(
        self, at: datetime, allowed: bool
    ) -> None:
        case = step(step(proposed(), S.APPROVED, bj(11, 12, 11)), S.NOTICE_SENT, bj(11, 17), by=CLERK)
        problems = check_transition(
            policy=POLICY, case=case, to_state=S.FINAL_NOTICE_SENT, at=at, by=CLERK, account=owing()
        )
        assert (problems == []) is allowed

    def test_the_cut_cannot_come_before_the_notified_time(self) -> None:
        problems = check_transition(
            policy=POLICY,
            case=ready_to_cut(),
            to_state=S.EXECUTED,
            at=bj(11, 21, 8, 59),
            by=CLERK,
            account=owing(),
        )
        assert codes(problems) == ["before_planned_cut"]

    def test_a_payment_before_the_cut_stops_it_and_cancels_the_case(self) -> None:
        case = ready_to_cut()
        problems = check_transition(
            policy=POLICY, case=case, to_state=S.EXECUTED, at=bj(11, 21, 9), by=CLERK, account=owing("0")
        )
        assert Bar.BELOW_MINIMUM in codes(problems)
        assert after_payment(case=case) is S.CANCELLED
        assert step(case, S.CANCELLED, bj(11, 21, 9), by=CLERK, account=owing("0")).state is S.CANCELLED

    def test_a_protection_flag_raised_during_the_case_stops_the_cut(self) -> None:
        problems = check_transition(
            policy=POLICY,
            case=ready_to_cut(),
            to_state=S.EXECUTED,
            at=bj(11, 21, 9),
            by=CLERK,
            account=owing(medical=True),
        )
        assert codes(problems) == [Bar.MEDICAL]

    def test_a_final_notice_older_than_its_window_is_stale(self) -> None:
        problems = check_transition(
            policy=POLICY,
            case=ready_to_cut(),
            to_state=S.EXECUTED,
            at=bj(11, 22, 8, 1),
            by=CLERK,
            account=owing(),
        )
        assert codes(problems) == ["final_notice_stale"]

    def test_a_case_built_by_hand_without_its_steps_cannot_be_cut(self) -> None:
        forged = DisconnectionCase(
            account="1500000001",
            category="general",
            planned_cut=CUT,
            method=CutMethod.REMOTE,
            steps=(proposed().steps[0], ready_to_cut().steps[-1]),
        )
        problems = check_transition(
            policy=POLICY, case=forged, to_state=S.EXECUTED, at=bj(11, 21, 9), by=CLERK, account=owing()
        )
        assert codes(problems) == ["missing_steps"]

    def test_an_executed_cut_cannot_be_cancelled(self) -> None:
        case = step(ready_to_cut(), S.EXECUTED, bj(11, 21, 9), by=CLERK)
        problems = check_transition(
            policy=POLICY, case=case, to_state=S.CANCELLED, at=bj(11, 21, 10), by=BOSS, account=owing()
        )
        assert codes(problems) == ["wrong_order"]
        assert after_payment(case=case) is S.RECONNECTION_DUE

    def test_reconnection_follows_payment_only(self) -> None:
        case = step(ready_to_cut(), S.EXECUTED, bj(11, 21, 9), by=CLERK)
        problems = check_transition(
            policy=POLICY,
            case=case,
            to_state=S.RECONNECTION_DUE,
            at=bj(11, 22),
            by=CLERK,
            account=owing("5.00"),
        )
        assert codes(problems) == ["not_paid"]

    def test_a_step_cannot_be_dated_before_the_step_before_it(self) -> None:
        problems = check_transition(
            policy=POLICY,
            case=proposed(),
            to_state=S.APPROVED,
            at=bj(11, 12, 9),
            by=BOSS,
            account=owing(),
            supervisor=True,
        )
        assert codes(problems) == ["out_of_time_order"]

    def test_times_without_a_zone_are_refused(self) -> None:
        with pytest.raises(NaiveTime):
            check_transition(
                policy=POLICY,
                case=proposed(),
                to_state=S.APPROVED,
                at=datetime(2026, 11, 15, 9),  # noqa: DTZ001
                by=BOSS,
                account=owing(),
            )


class TestReconnectionDeadline:
    def test_supply_is_restored_within_24_hours_of_payment_by_default(self) -> None:
        paid = bj(11, 22, 10)
        assert reconnect_deadline(paid_at=paid, policy=POLICY, category="general") == bj(11, 23, 10)


DAY = 24 * 60
WHEN = st.one_of(  # ("after", minutes after the previous attempt) or ("cut", minutes from the planned cut)
    st.tuples(st.just("after"), st.integers(min_value=-60, max_value=3 * DAY)),
    st.tuples(
        st.just("cut"),
        st.sampled_from(
            [-7 * DAY + 600, -6 * DAY, -3 * DAY, -2 * DAY, -DAY - 1, -DAY, -60, -30, -29, 0, 5, DAY + 5]
        ),
    ),
)
ATTEMPT = st.tuples(
    st.sampled_from([*[None] * 8, *CaseState]),  # None: the next state on the path
    WHEN,
    st.sampled_from([CLERK, BOSS, BOSS, "other"]),
    st.booleans(),  # supervisor
    st.sampled_from([False, False, False, True]),  # paid by then
)


def _next(state: CaseState) -> CaseState:
    return PATH[PATH.index(state) + 1] if state in PATH[:-1] else S.CANCELLED


def _attempt(
    case: DisconnectionCase, to_state: CaseState, at: datetime, by: str, supervisor: bool, paid: bool
) -> DisconnectionCase:
    """The case after the step, or the same case when the step is refused (checked both ways)."""
    account = owing("0" if paid else "320.00", category=case.category)
    problems = check_transition(
        policy=POLICY, case=case, to_state=to_state, at=at, by=by, account=account, supervisor=supervisor
    )
    if problems:
        with pytest.raises(TransitionRefused):
            advance(
                policy=POLICY,
                case=case,
                to_state=to_state,
                at=at,
                by=by,
                account=account,
                supervisor=supervisor,
            )
        return case
    assert not (to_state is S.EXECUTED and paid)
    return advance(
        policy=POLICY, case=case, to_state=to_state, at=at, by=by, account=account, supervisor=supervisor
    )


class TestNoCutWithoutTheSteps:
    @settings(max_examples=400)
    @given(st.lists(ATTEMPT, max_size=10), st.sampled_from(["general", "residential"]))
    def test_no_sequence_of_transitions_reaches_a_cut_without_approval_notices_and_time(
        self, attempts: list[tuple[CaseState | None, tuple[str, int], str, bool, bool]], category: str
    ) -> None:
        rules = POLICY.for_class(category)
        case = proposed(category=category, cut=bj(11, 19))
        at = case.steps[0].at
        for wanted, (anchor, minutes), by, supervisor, paid in attempts:
            at = (at if anchor == "after" else case.planned_cut) + timedelta(minutes=minutes)
            case = _attempt(case, wanted or _next(case.state), at, by, supervisor, paid)
        furthest = max(PATH.index(s.state) for s in case.steps if s.state in PATH)
        target(float(furthest), label="furthest step on the path")  # steer the search towards the cut
        event(f"reached {PATH[furthest]}")
        executed = case.step(S.EXECUTED)
        if executed is None:
            return
        approved, notice, final = (case.step(s) for s in (S.APPROVED, S.NOTICE_SENT, S.FINAL_NOTICE_SENT))
        assert approved is not None and notice is not None and final is not None
        assert approved.by != case.steps[0].by
        assert case.steps[0].at <= approved.at <= notice.at <= final.at <= executed.at
        notice_days = (case.planned_cut.date() - notice.at.date()).days
        assert rules.notice_lead_days <= notice_days <= rules.notice_max_days
        assert timedelta(minutes=rules.final_notice_minutes) <= case.planned_cut - final.at
        assert executed.at >= case.planned_cut
