"""Dunning (催费): which notice an overdue account is due for today. Pure: the as-of date, the
account's state and the policy are passed in; nothing is read from a clock or a store.

The rules (《电力供应与使用条例》 art. 39; 《供电营业规则》(1996) art. 66; the numbers are the
class's `ClassPolicy`):

1. **Days overdue** are counted from the day after the oldest unpaid bill's due date:
   ``days = as_of − due_date`` (0 on or before the due date).
2. **Nothing below the minimum.** An overdue amount under ``minimum_arrears`` gets no notice.
3. **One step at a time, in order.** The next step is the first of the policy's steps not yet sent
   for this arrears (notices sent after the oldest due date, up to and including ``as_of``). It is
   due once the account is at least its ``days_after_due`` overdue — a late step is sent late,
   never skipped, so the customer always gets the reminder (催交) first.
4. **At most one notice a day.** A step is not due on a day another notice was sent.
5. **Protection does not stop dunning.** Important, low-income, medical and social flags bar a
   disconnection (`disconnection_rules`), not a reminder: the money is still owed.

Every decision carries a `Reason`: a stable code, an English message id (translated to Chinese by
the catalog ``collection_dunning.po`` where it is shown) and its parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from meter2cash.collection.dunning_policy import DunningPolicy, DunningStep, NoticeChannel
from meter2cash.platform.i18n import N_
from meter2cash.platform.money import round_fen


class BadAccountState(ValueError):
    """An account state that cannot be right (a negative or inexact amount, arrears with no due date)."""


class DunningCode(StrEnum):
    NOTHING_OVERDUE = "nothing_overdue"
    BELOW_MINIMUM = "below_minimum"
    STEP_DUE = "step_due"
    NOT_YET_DUE = "not_yet_due"
    SENT_TODAY = "sent_today"
    ALL_STEPS_SENT = "all_steps_sent"


@dataclass(frozen=True, slots=True)
class Reason:
    """Why: a stable ``code``, an English message id with ``{named}`` fields, and the fields."""

    code: str
    template: str
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def en(self) -> str:
        """The reason in English (the message id, filled in)."""
        return self.template.format(**self.params)

    def text(self, translate: Callable[[str], str]) -> str:
        """The reason in the user's language: ``reason.text(gettext)`` (zh_CN by default)."""
        return translate(self.template).format(**self.params)


def reason(code: str, template: str, **params: object) -> Reason:
    """A reason whose parameters are shown as text (Decimals exactly)."""
    return Reason(code=str(code), template=template, params={k: str(v) for k, v in params.items()})


@dataclass(frozen=True, slots=True)
class SentNotice:
    """A dunning notice already sent: the policy step's name and the day it went out."""

    step: str
    sent_on: date


@dataclass(frozen=True, slots=True)
class AccountArrears:
    """One account's collection state on a day.

    arrears: the overdue amount (元, past its due date), 0 when nothing is overdue.
    oldest_due_date: the due date of the oldest bill still unpaid; required when arrears > 0.
    notices: the dunning notices sent (any date; only those of this arrears count).
    important (重要用户), low_income (低保五保), medical (life support, 医疗), social (other social
    reasons): protection flags that bar a disconnection. disconnected: supply is stopped now.
    """

    account: str
    category: str
    arrears: Decimal
    oldest_due_date: date | None = None
    notices: tuple[SentNotice, ...] = ()
    important: bool = False
    low_income: bool = False
    medical: bool = False
    social: bool = False
    disconnected: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.arrears, Decimal) or not self.arrears.is_finite():
            raise BadAccountState(f"arrears of {self.account} must be a Decimal, got {self.arrears!r}")
        if self.arrears < 0 or round_fen(self.arrears) != self.arrears:
            raise BadAccountState(f"arrears of {self.account} must be ≥ 0 in whole fen: {self.arrears}")
        if self.arrears > 0 and self.oldest_due_date is None:
            raise BadAccountState(f"{self.account} has arrears but no oldest due date")


@dataclass(frozen=True, slots=True)
class DunningDecision:
    """The step to send today (None when nothing is due), the day the next step falls due when it
    is later, the days overdue and the reason."""

    step: DunningStep | None
    days_overdue: int
    reason: Reason
    due_on: date | None = None

    @property
    def channels(self) -> tuple[NoticeChannel, ...]:
        return self.step.channels if self.step is not None else ()


def days_overdue(*, due_date: date | None, as_of: date) -> int:
    """Days from the day after the due date up to and including ``as_of``; 0 if not yet overdue."""
    return 0 if due_date is None else max(0, (as_of - due_date).days)


def notices_of_arrears(*, account: AccountArrears, as_of: date) -> tuple[SentNotice, ...]:
    """The notices of the current arrears: sent after its oldest due date, on or before ``as_of``
    (a notice of an earlier, since paid, arrears does not count)."""
    due = account.oldest_due_date
    if due is None:
        return ()
    return tuple(n for n in account.notices if due < n.sent_on <= as_of)


def next_dunning_step(*, policy: DunningPolicy, as_of: date, account: AccountArrears) -> DunningDecision:
    """The dunning step the account is due for on ``as_of`` (rules 1–4 above)."""
    rules = policy.for_class(account.category)
    days = days_overdue(due_date=account.oldest_due_date, as_of=as_of)
    if account.arrears == 0 or days == 0:
        return DunningDecision(None, days, reason(DunningCode.NOTHING_OVERDUE, N_("Nothing is overdue")))
    if account.arrears < rules.minimum_arrears:
        template = N_("The overdue amount {amount} yuan is under the minimum of {minimum} yuan to act on")
        why = reason(
            DunningCode.BELOW_MINIMUM, template, amount=account.arrears, minimum=rules.minimum_arrears
        )
        return DunningDecision(None, days, why)
    sent = notices_of_arrears(account=account, as_of=as_of)
    done = {n.step for n in sent}
    pending = [s for s in rules.steps if s.name not in done]
    if not pending:
        template = N_("All {count} dunning notices were sent; the disconnection procedure comes next")
        return DunningDecision(
            None, days, reason(DunningCode.ALL_STEPS_SENT, template, count=len(rules.steps))
        )
    step = pending[0]
    assert account.oldest_due_date is not None  # arrears > 0
    due_on = account.oldest_due_date + timedelta(days=step.days_after_due)
    if as_of < due_on:
        template = N_("{days} days overdue: the {step} notice is due on {date}")
        why = reason(DunningCode.NOT_YET_DUE, template, days=days, step=step.name, date=due_on.isoformat())
        return DunningDecision(None, days, why, due_on=due_on)
    if any(n.sent_on == as_of for n in sent):
        template = N_("A notice went out today; the {step} notice can go tomorrow")
        tomorrow = as_of + timedelta(days=1)
        return DunningDecision(None, days, reason(DunningCode.SENT_TODAY, template, step=step.name), tomorrow)
    template = N_("{days} days overdue: the {step} notice is due, by {channels}")
    channels = ", ".join(step.channels)
    return DunningDecision(
        step, days, reason(DunningCode.STEP_DUE, template, days=days, step=step.name, channels=channels)
    )
