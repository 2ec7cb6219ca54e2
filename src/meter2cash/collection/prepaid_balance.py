"""The daily balance estimate of a smart-prepaid (费控) account (余额测算), and its decisions. Pure.

Values in, values out: the state where the last run ended, the day's frozen readings, the top-ups
and a `ChargeDays` function (the billing engine, through `prepaid_pricing.engine_charges`: money
for energy has one price calculation) go in; each day's usage, charge, balance and decisions come
out, with the state for the next run. No clock is read: the moment of a day's decisions is the
freeze that closes it, 00:00 of the next day in Beijing time.

Each day, in this order (the thresholds are the class's `SmartPrepaidRules`):

1. **Top-ups** (充值) of the day are credited. A tripped meter whose balance is now *above*
   ``reconnect_minimum`` closes (``close``, 自动复电) — the same rule as `closes_on_top_up`, which
   the payment service applies the moment the money arrives.
2. **The charge.** The energy the frozen readings measured for the day (`prepaid_usage`: a day
   without a closing reading is not charged and is reported) is priced by ``charge_days`` and
   deducted. The charge must be an exact number of fen.
3. **The alert** (余额预警). A balance at or above ``alert_threshold`` (after a top-up or at the
   day's end) re-arms the alert and voids an earlier notice. A day-end balance *below* the
   threshold raises ``alert`` once; the service then sends the low-balance notice and passes its
   time back as ``notice_sent_at``. An alert raised in this run is not a notice yet.
4. **The trip** (欠费停电). A meter not tripped whose day-end balance is *at or below* ``trip_at``
   trips (``trip``) only if the notice was sent at least ``notice_hours`` before the decision
   moment; otherwise the day says why not (``trip_held``). No trip without a prior notice.

Invariant: the closing balance = the opening balance + the top-ups − the charges, to the fen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from meter2cash.collection.prepaid_policy import SmartPrepaidRules
from meter2cash.collection.prepaid_usage import ONE_DAY, DayUsage, FrozenReading, ReadingIssue, daily_usage
from meter2cash.platform.clock import BUSINESS_TZ
from meter2cash.platform.money import fen_text, round_fen

ChargeDays = Callable[[Sequence[DayUsage]], Sequence[Decimal]]
"""Prices the usages of a run, in day order: one charge (元, whole fen) per usage."""


def N_(message: str) -> str:
    """Mark an English message id for the catalog without translating it here."""
    return message


class BadPrepaidInput(ValueError):
    """A state, top-up or charge that is not what the estimate needs (named in the message)."""


def _fen(value: object, what: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite() or round_fen(value) != value:
        raise BadPrepaidInput(f"{what} must be a Decimal in whole fen, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class TopUp:
    """Money credited to the account on ``day`` (元, more than 0); ``reference`` names the payment."""

    day: date
    amount: Decimal
    reference: str = ""

    def __post_init__(self) -> None:
        if _fen(self.amount, f"the top-up {self.reference or self.day}") <= 0:
            raise BadPrepaidInput(f"a top-up must be more than 0: {self.amount}")


@dataclass(frozen=True, slots=True)
class PrepaidState:
    """Where an account stands before day ``on``: its balance (元), its last good frozen reading,
    whether the low-balance alert is raised, when the notice was sent, and whether it is tripped."""

    on: date
    balance: Decimal
    base: FrozenReading | None
    alerted: bool = False
    notice_sent_at: datetime | None = None
    tripped: bool = False

    def __post_init__(self) -> None:
        _fen(self.balance, "the balance")
        if self.notice_sent_at is not None:
            if self.notice_sent_at.tzinfo is None:
                raise BadPrepaidInput("notice_sent_at must be timezone-aware")
            if not self.alerted:
                raise BadPrepaidInput("a notice was sent but no alert is raised: the state is inconsistent")


class DecisionKind(StrEnum):
    ALERT = "alert"  # send the low-balance notice (余额预警)
    TRIP = "trip"  # trip the meter (远程跳闸)
    TRIP_HELD = "trip_held"  # the balance allows a trip, the notice does not (yet)
    CLOSE = "close"  # close the meter (远程合闸, 复电)


DECISION_TEMPLATES: Mapping[str, str] = MappingProxyType(
    {
        "alert": N_("Balance {balance} yuan is below the alert threshold {threshold} yuan: send the notice"),
        "trip": N_(
            "Balance {balance} yuan is at or below {trip_at} yuan and the notice went out at "
            "{notice_sent_at}: trip the meter"
        ),
        "no_notice": N_(
            "Balance {balance} yuan is at or below {trip_at} yuan, but no low-balance notice has been sent: "
            "no trip"
        ),
        "notice_too_recent": N_(
            "Balance {balance} yuan is at or below {trip_at} yuan, but the notice went out at "
            "{notice_sent_at}: no trip before {trip_from}"
        ),
        "close": N_("A top-up brought the balance to {balance} yuan, above {minimum} yuan: close the meter"),
    }
)


@dataclass(frozen=True, slots=True)
class Decision:
    """What the day asks of the service, with an English message id (``reason``) and its numbers."""

    kind: DecisionKind
    reason: str
    params: Mapping[str, str]

    @property
    def template(self) -> str:
        return DECISION_TEMPLATES[self.reason]


@dataclass(frozen=True, slots=True)
class DayResult:
    """One day: the opening balance, the top-ups, the usage charged (None when no reading closed the
    day), the charge, the closing balance and the decisions."""

    day: date
    opening: Decimal
    top_ups: tuple[TopUp, ...]
    usage: DayUsage | None
    charge: Decimal
    balance: Decimal
    decisions: tuple[Decision, ...] = ()

    @property
    def kwh(self) -> Decimal | None:
        return None if self.usage is None else self.usage.kwh

    @property
    def topped_up(self) -> Decimal:
        return sum((t.amount for t in self.top_ups), Decimal("0.00"))

    def has(self, kind: DecisionKind) -> bool:
        return any(d.kind is kind for d in self.decisions)

    @property
    def alert(self) -> bool:
        return self.has(DecisionKind.ALERT)

    @property
    def trip(self) -> bool:
        return self.has(DecisionKind.TRIP)

    @property
    def close(self) -> bool:
        return self.has(DecisionKind.CLOSE)


@dataclass(frozen=True, slots=True)
class PrepaidEstimate:
    """The days of the run, the reading issues (days not charged, readings skipped) and the state
    the next run starts from."""

    days: tuple[DayResult, ...]
    issues: tuple[ReadingIssue, ...]
    state: PrepaidState


def decision_moment(*, day: date) -> datetime:
    """The moment a day's decisions are taken: the freeze that closes it, 00:00 Beijing time next day."""
    return datetime.combine(day + ONE_DAY, time(), tzinfo=BUSINESS_TZ)


def closes_on_top_up(*, balance: Decimal, tripped: bool, rules: SmartPrepaidRules) -> Decision | None:
    """Rule 1: a tripped meter closes when a top-up brings its balance above ``reconnect_minimum``."""
    if not tripped or balance <= rules.reconnect_minimum:
        return None
    params = {"balance": fen_text(balance), "minimum": fen_text(rules.reconnect_minimum)}
    return Decision(kind=DecisionKind.CLOSE, reason="close", params=params)


def estimate_balance(
    *,
    state: PrepaidState,
    readings: Sequence[FrozenReading],
    multiplier: Decimal,
    top_ups: Sequence[TopUp],
    charge_days: ChargeDays,
    rules: SmartPrepaidRules,
    last_day: date,
) -> PrepaidEstimate:
    """The days ``state.on`` … ``last_day`` (rules 1–4 above). ``readings`` are those frozen after the
    state's base up to ``last_day + 1``; every top-up must fall in the run."""
    outside = [t for t in top_ups if not state.on <= t.day <= last_day]
    if outside:
        raise BadPrepaidInput(f"a top-up on {outside[0].day} is outside the run {state.on} … {last_day}")
    measured = daily_usage(
        base=state.base, readings=readings, multiplier=multiplier, first_day=state.on, last_day=last_day
    )
    charges = list(charge_days(measured.usages))
    if len(charges) != len(measured.usages):
        raise BadPrepaidInput(f"{len(charges)} charges for {len(measured.usages)} usages")
    charged = {
        u.day: (u, _fen(c, f"the charge of {u.day}")) for u, c in zip(measured.usages, charges, strict=True)
    }
    days: list[DayResult] = []
    current = state
    day = state.on
    while day <= last_day:
        result, current = _day(
            current, day, tuple(t for t in top_ups if t.day == day), charged.get(day), rules
        )
        days.append(result)
        day += ONE_DAY
    return PrepaidEstimate(
        days=tuple(days),
        issues=measured.issues,
        state=replace(current, on=last_day + ONE_DAY, base=measured.base),
    )


def _day(
    state: PrepaidState,
    day: date,
    top_ups: tuple[TopUp, ...],
    charged: tuple[DayUsage, Decimal] | None,
    rules: SmartPrepaidRules,
) -> tuple[DayResult, PrepaidState]:
    decisions: list[Decision] = []
    balance = state.balance + sum((t.amount for t in top_ups), Decimal(0))
    tripped, alerted, notice = state.tripped, state.alerted, state.notice_sent_at
    if top_ups:
        close = closes_on_top_up(balance=balance, tripped=tripped, rules=rules)
        if close is not None:
            decisions.append(close)
            tripped = False
        if balance >= rules.alert_threshold:
            alerted, notice = False, None
    usage, charge = charged if charged is not None else (None, Decimal("0.00"))
    balance -= charge
    if balance >= rules.alert_threshold:
        alerted, notice = False, None
    elif not alerted:
        alerted = True
        params = {"balance": fen_text(balance), "threshold": fen_text(rules.alert_threshold)}
        decisions.append(Decision(kind=DecisionKind.ALERT, reason="alert", params=params))
    if not tripped and balance <= rules.trip_at:
        trip = _trip(balance=balance, notice=notice, moment=decision_moment(day=day), rules=rules)
        decisions.append(trip)
        tripped = trip.kind is DecisionKind.TRIP
    result = DayResult(
        day=day,
        opening=state.balance,
        top_ups=top_ups,
        usage=usage,
        charge=charge,
        balance=balance,
        decisions=tuple(decisions),
    )
    after = replace(state, balance=balance, alerted=alerted, notice_sent_at=notice, tripped=tripped)
    return result, after


def _trip(
    *, balance: Decimal, notice: datetime | None, moment: datetime, rules: SmartPrepaidRules
) -> Decision:
    """Rule 4: trip when the notice went out at least ``notice_hours`` before ``moment``."""
    params = {"balance": fen_text(balance), "trip_at": fen_text(rules.trip_at)}
    if notice is None or notice > moment:
        return Decision(kind=DecisionKind.TRIP_HELD, reason="no_notice", params=params)
    trip_from = notice + timedelta(hours=rules.notice_hours)
    params["notice_sent_at"] = notice.astimezone(BUSINESS_TZ).isoformat(timespec="minutes")
    if trip_from > moment:
        params["trip_from"] = trip_from.astimezone(BUSINESS_TZ).isoformat(timespec="minutes")
        return Decision(kind=DecisionKind.TRIP_HELD, reason="notice_too_recent", params=params)
    return Decision(kind=DecisionKind.TRIP, reason="trip", params=params)
