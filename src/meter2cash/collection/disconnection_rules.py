"""Lawful disconnection and reconnection (停复电): who may be cut, and the steps of a case. Pure:
every time is passed in (timezone-aware), the policy too; problems come back as values.

Eligibility (《电力供应与使用条例》 art. 39; 《供电营业规则》(1996) art. 66): an account may be cut only
when it is *more* than ``disconnect_after_days`` (30) days overdue, was reminded (催交) on an earlier
day, owes at least ``minimum_arrears``, is not already cut, and is not protected — important
(重要用户), low-income (低保五保), medical or social flags all bar it.

A case follows one path (art. 67, in its order — approval by the bureau's head comes before the
notice is served)::

    proposed → approved → notice_sent → final_notice_sent → executed → reconnection_due → reconnected
        └──────────┴───────────┴──────────────┴──→ cancelled (any time before the cut)

- approved: by a supervisor who is not the proposer (four eyes);
- notice_sent: the written notice, ``notice_lead_days``–``notice_max_days`` calendar days before
  the planned cut (art. 67: 3–7 days; business calendar days, Asia/Shanghai);
- final_notice_sent: at least ``final_notice_minutes`` (30) and at most
  ``final_notice_window_hours`` before the planned cut (art. 67);
- executed: at or after the planned cut, within the final notice's window, and only while the
  account is still eligible — a payment in between means the case is cancelled instead;
- reconnection_due: once the arrears are paid; reconnected within ``reconnect_within_hours``
  (art. 69: 3 days) — `reconnect_deadline`.

Each step on the path to ``executed`` re-checks eligibility at its own time, so a cut without
every step before it, in order and on time, cannot be recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from meter2cash.collection.dunning import AccountArrears, Reason, days_overdue, notices_of_arrears, reason
from meter2cash.collection.dunning_policy import ClassPolicy, DunningPolicy
from meter2cash.platform.clock import business_date
from meter2cash.platform.i18n import N_


class Bar(StrEnum):
    """Why an account may not be disconnected."""

    NOT_OVERDUE_ENOUGH = "not_overdue_enough"
    NO_REMINDER = "no_reminder"
    BELOW_MINIMUM = "below_minimum"
    ALREADY_DISCONNECTED = "already_disconnected"
    IMPORTANT = "important"
    LOW_INCOME = "low_income"
    MEDICAL = "medical"
    SOCIAL = "social"


PROTECTIONS = {
    Bar.IMPORTANT: N_("An important customer is protected from disconnection"),
    Bar.LOW_INCOME: N_("A low-income household is protected from disconnection"),
    Bar.MEDICAL: N_("The account is protected from disconnection for medical reasons"),
    Bar.SOCIAL: N_("The account is protected from disconnection for social reasons"),
}


def eligibility(*, policy: DunningPolicy, as_of: date, account: AccountArrears) -> list[Reason]:
    """Every reason the account may NOT be disconnected on ``as_of``; empty means eligible."""
    rules = policy.for_class(account.category)
    out: list[Reason] = []
    days = days_overdue(due_date=account.oldest_due_date, as_of=as_of)
    if days <= rules.disconnect_after_days:
        template = N_("{days} days overdue; disconnection needs more than {threshold}")
        out.append(reason(Bar.NOT_OVERDUE_ENOUGH, template, days=days, threshold=rules.disconnect_after_days))
    if not any(n.sent_on < as_of for n in notices_of_arrears(account=account, as_of=as_of)):
        out.append(reason(Bar.NO_REMINDER, N_("No reminder was sent for these arrears before today")))
    if account.arrears < rules.minimum_arrears:
        template = N_("The overdue amount {amount} yuan is under the minimum of {minimum} yuan to act on")
        out.append(reason(Bar.BELOW_MINIMUM, template, amount=account.arrears, minimum=rules.minimum_arrears))
    if account.disconnected:
        out.append(reason(Bar.ALREADY_DISCONNECTED, N_("Supply to the account is already stopped")))
    flags = {Bar.IMPORTANT: account.important, Bar.LOW_INCOME: account.low_income}
    flags |= {Bar.MEDICAL: account.medical, Bar.SOCIAL: account.social}
    out += [reason(bar, PROTECTIONS[bar]) for bar, flagged in flags.items() if flagged]
    return out


class CaseState(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    NOTICE_SENT = "notice_sent"
    FINAL_NOTICE_SENT = "final_notice_sent"
    EXECUTED = "executed"
    RECONNECTION_DUE = "reconnection_due"
    RECONNECTED = "reconnected"
    CANCELLED = "cancelled"


class CutMethod(StrEnum):
    """How the supply is cut: a DL/T 645 remote trip (1CH) for smart meters, else a field order."""

    REMOTE = "remote"
    WORK_ORDER = "work_order"


PATH = tuple(s for s in CaseState if s is not CaseState.CANCELLED)
BEFORE_CUT = frozenset(PATH[: PATH.index(CaseState.EXECUTED)])
GUARDED = frozenset(PATH[1 : PATH.index(CaseState.EXECUTED) + 1])  # each re-checks eligibility


class NaiveTime(ValueError):
    """A time without a zone: every time in a case is timezone-aware."""


class TransitionRefused(ValueError):
    """The step may not be recorded; ``problems`` says every reason."""

    def __init__(self, problems: Sequence[Reason]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(p.en for p in self.problems))


@dataclass(frozen=True, slots=True)
class CaseStep:
    state: CaseState
    at: datetime
    by: str


@dataclass(frozen=True, slots=True)
class DisconnectionCase:
    """A disconnection case: the account, its class, the planned cut, how, and its steps so far
    (the first is ``proposed``). Build new steps with `advance`, never by hand."""

    account: str
    category: str
    planned_cut: datetime
    method: CutMethod
    steps: tuple[CaseStep, ...]

    def __post_init__(self) -> None:
        for moment in (self.planned_cut, *(s.at for s in self.steps)):
            _aware(moment)
        if not self.steps or self.steps[0].state is not CaseState.PROPOSED:
            raise ValueError("a case starts with its proposal")

    @property
    def state(self) -> CaseState:
        return self.steps[-1].state

    def step(self, state: CaseState) -> CaseStep | None:
        """The step that reached ``state``, if the case has one."""
        return next((s for s in self.steps if s.state is state), None)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise NaiveTime(f"a time without a zone: {moment.isoformat()}")
    return moment


def cut_method(*, remote_control: bool) -> CutMethod:
    """A meter that takes DL/T 645 remote control (1CH) is tripped remotely; others by a work order."""
    return CutMethod.REMOTE if remote_control else CutMethod.WORK_ORDER


def propose(
    *,
    policy: DunningPolicy,
    account: AccountArrears,
    planned_cut: datetime,
    method: CutMethod,
    at: datetime,
    by: str,
) -> DisconnectionCase:
    """Open a case for an eligible account, its cut planned far enough ahead for the written
    notice; `TransitionRefused` naming every problem otherwise."""
    problems = eligibility(policy=policy, as_of=_day(at), account=account)
    lead = policy.for_class(account.category).notice_lead_days
    if (_day(planned_cut) - _day(at)).days < lead:
        template = N_("The cut must be planned at least {lead} days ahead, for the written notice")
        problems.append(reason("cut_too_soon", template, lead=lead))
    if not by.strip():
        problems.append(reason("no_actor", N_("Every step names the person who took it")))
    if problems:
        raise TransitionRefused(problems)
    first = CaseStep(CaseState.PROPOSED, at, by)
    return DisconnectionCase(account.account, account.category, planned_cut, method, (first,))


def _day(moment: datetime) -> date:
    """The business (Asia/Shanghai) calendar date of an aware time."""
    return business_date(_aware(moment))


def check_transition(
    *,
    policy: DunningPolicy,
    case: DisconnectionCase,
    to_state: CaseState,
    at: datetime,
    by: str,
    account: AccountArrears,
    supervisor: bool = False,
) -> list[Reason]:
    """Every problem with moving ``case`` to ``to_state`` at ``at`` by ``by``; empty means allowed.
    ``account`` is the account's state at ``at``; ``supervisor``: whether ``by`` may approve."""
    if account.account != case.account:
        raise ValueError(f"the state of {account.account} does not belong to the case of {case.account}")
    rules, last = policy.for_class(case.category), case.steps[-1]
    out: list[Reason] = []
    if not _may_follow(case.state, to_state):
        template = N_("A case that is {state} cannot become {to_state}")
        out.append(reason("wrong_order", template, state=case.state, to_state=to_state))
    if _aware(at) < last.at:
        template = N_("The step at {at} is earlier than the step before it ({last})")
        out.append(reason("out_of_time_order", template, at=at.isoformat(), last=last.at.isoformat()))
    if not by.strip():
        out.append(reason("no_actor", N_("Every step names the person who took it")))
    if to_state in GUARDED:
        out += eligibility(policy=policy, as_of=_day(at), account=account)
    if to_state is CaseState.APPROVED:
        out += _approval(case=case, by=by, supervisor=supervisor)
    elif to_state is CaseState.NOTICE_SENT:
        out += _notice(rules=rules, case=case, at=at)
    elif to_state is CaseState.FINAL_NOTICE_SENT:
        out += _final_notice(rules=rules, case=case, at=at)
    elif to_state is CaseState.EXECUTED:
        out += _cut(rules=rules, case=case, at=at)
    elif to_state is CaseState.RECONNECTION_DUE and account.arrears >= rules.minimum_arrears:
        template = N_("Reconnection follows payment: {amount} yuan is still overdue")
        out.append(reason("not_paid", template, amount=account.arrears))
    return out


def _may_follow(state: CaseState, to_state: CaseState) -> bool:
    """The path in order, one step at a time; cancelled from any state before the cut."""
    if state in (CaseState.CANCELLED, CaseState.RECONNECTED):
        return False
    if to_state is CaseState.CANCELLED:
        return state in BEFORE_CUT
    return PATH.index(to_state) == PATH.index(state) + 1


def _approval(*, case: DisconnectionCase, by: str, supervisor: bool) -> list[Reason]:
    out = []
    if by == case.steps[0].by:
        out.append(reason("self_approval", N_("The proposer may not approve the case (four eyes)")))
    if not supervisor:
        out.append(reason("not_supervisor", N_("Only a supervisor may approve a disconnection")))
    return out


def _notice(*, rules: ClassPolicy, case: DisconnectionCase, at: datetime) -> list[Reason]:
    lead, most = rules.notice_lead_days, rules.notice_max_days
    days = (_day(case.planned_cut) - _day(at)).days
    if lead <= days <= most:
        return []
    template = N_("The written notice must be served {lead} to {most} days before the cut, not {days}")
    return [reason("notice_out_of_window", template, lead=lead, most=most, days=days)]


def _final_notice(*, rules: ClassPolicy, case: DisconnectionCase, at: datetime) -> list[Reason]:
    minutes, hours = rules.final_notice_minutes, rules.final_notice_window_hours
    if timedelta(minutes=minutes) <= case.planned_cut - at <= timedelta(hours=hours):
        return []
    template = N_("The final notice must come {minutes} minutes to {hours} hours before the cut")
    return [reason("final_notice_out_of_window", template, minutes=minutes, hours=hours)]


def _cut(*, rules: ClassPolicy, case: DisconnectionCase, at: datetime) -> list[Reason]:
    out = []
    missing = [s for s in PATH[: PATH.index(CaseState.EXECUTED)] if case.step(s) is None]
    if missing:
        out.append(reason("missing_steps", N_("The cut lacks the steps: {steps}"), steps=", ".join(missing)))
    if at < case.planned_cut:
        template = N_("The cut may not come before the notified time {cut}")
        out.append(reason("before_planned_cut", template, cut=case.planned_cut.isoformat()))
    final, hours = case.step(CaseState.FINAL_NOTICE_SENT), rules.final_notice_window_hours
    if final is not None and at - final.at > timedelta(hours=hours):
        template = N_("The final notice is more than {hours} hours old; cancel and notify again")
        out.append(reason("final_notice_stale", template, hours=hours))
    return out


def advance(
    *,
    policy: DunningPolicy,
    case: DisconnectionCase,
    to_state: CaseState,
    at: datetime,
    by: str,
    account: AccountArrears,
    supervisor: bool = False,
) -> DisconnectionCase:
    """The case with the step recorded; `TransitionRefused` with every problem if it may not be."""
    problems = check_transition(
        policy=policy, case=case, to_state=to_state, at=at, by=by, account=account, supervisor=supervisor
    )
    if problems:
        raise TransitionRefused(problems)
    return replace(case, steps=(*case.steps, CaseStep(to_state, at, by)))


def after_payment(*, case: DisconnectionCase) -> CaseState | None:
    """Where a payment that clears the arrears takes the case: cancelled before the cut,
    reconnection due after it, nowhere once it is closed."""
    if case.state in BEFORE_CUT:
        return CaseState.CANCELLED
    return CaseState.RECONNECTION_DUE if case.state is CaseState.EXECUTED else None


def reconnect_deadline(*, paid_at: datetime, policy: DunningPolicy, category: str) -> datetime:
    """The latest time supply may be restored after payment at ``paid_at`` (art. 69: within 3 days;
    the class's ``reconnect_within_hours``)."""
    return _aware(paid_at) + timedelta(hours=policy.for_class(category).reconnect_within_hours)
