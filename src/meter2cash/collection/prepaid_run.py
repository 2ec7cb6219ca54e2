"""The daily run of smart-prepaid accounts (费控日测算, docs/prepaid.md "Services"; ../shared/docs/
domain-rules.md §3).

`run_prepaid_day` brings every active smart-prepaid account up to ``day``:

1. In **one unit of work**, for each account whose estimate has not reached ``day``: its state (or,
   the first time, the ledger's balance — prepayment less what it owes — without the top-ups of the
   run), its meter's daily frozen readings (`prepaid_frozen_reading`), the payments taken in the run
   as top-ups, and the billing engine's prices (`prepaid_pricing.engine_charges`, bill periods
   from the route book's reading day) go into `prepaid_balance.estimate_balance` with the class's
   rules (`prepaid_policy`). Each day is stored (``prepaid_estimate``) with its decisions and
   reading issues, and the state for the next run (``prepaid_state``).
   - ``alert``: a low-balance notice is put in the outbox (once: its dedupe key is the account
     and day) and the notice time is kept; the trip counts the notice from then.
   - ``trip`` and ``close``: a ``prepaid_action`` is requested.
   An account that cannot be estimated (no meter, no tariff version, a class the policy omits) is
   skipped and named; the others go on.
2. **Outside any transaction**, every requested trip and close is sent over DL/T 645 (1CH,
   `dlt645.control.send_control`) to the meter's gateway; each reply or error is recorded with
   its audit record in its own small unit of work. A command that fails stays on record
   (``failed``) for staff to follow up.

Running a day again estimates nothing twice; an account is caught up over the days it missed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from meter2cash.collection.card_reports import aware
from meter2cash.collection.ledger import account_balance
from meter2cash.collection.ledger_model import Payment, PaymentReversal
from meter2cash.collection.prepaid_archive import (
    InstalledMeter,
    customer_of,
    installed_meter,
    tariff_code,
    tariff_versions,
)
from meter2cash.collection.prepaid_balance import (
    BadPrepaidInput,
    DecisionKind,
    PrepaidEstimate,
    PrepaidState,
    TopUp,
    estimate_balance,
)
from meter2cash.collection.prepaid_model import (
    PrepaidAction,
    PrepaidFrozenReading,
    PrepaidStateRow,
)
from meter2cash.collection.prepaid_model import PrepaidEstimate as EstimateRow
from meter2cash.collection.prepaid_policy import PrepaidPolicy, UnknownPrepaidClass, bundled_prepaid_policy
from meter2cash.collection.prepaid_pricing import BillPeriod, CannotPrice, TierPosition, engine_charges
from meter2cash.collection.prepaid_settings import PrepaidSettings, bundled_prepaid_settings
from meter2cash.collection.prepaid_usage import ONE_DAY, BadReading, FrozenReading
from meter2cash.collection.prepaid_wording import bilingual
from meter2cash.platform.audit import record_audit
from meter2cash.platform.blocking import run_coroutine
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.i18n import N_, translations
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.money import round_to
from meter2cash.platform.outbox import enqueue
from meter2cash.platform.permissions import Action
from meter2cash.reading.dlt645.control import ControlCommand, send_control
from meter2cash.reading.dlt645.link import LinkSettings
from meter2cash.registry.model import Account, RouteBook

NOTICE_SUBJECT = N_("Low electricity balance")
NOTICE_BODY = N_(
    "Account {account_no}: the estimated balance on {day} is {balance} yuan, below {threshold} yuan. "
    "Please top up; at {trip_at} yuan the supply is cut after this notice."
)


@dataclass
class RunResult:
    day: date
    estimated: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "estimated": self.estimated,
            "skipped": self.skipped,
            "actions": self.actions,
        }


def run_prepaid_day(
    ctx: AppContext,
    *,
    actor: str | None,
    day: date,
    policy: PrepaidPolicy | None = None,
    settings: PrepaidSettings | None = None,
) -> RunResult:
    """Estimate every smart-prepaid account through ``day``, then send the trips and closes
    (module rules 1–2)."""
    rules = policy or bundled_prepaid_policy()
    config = settings or bundled_prepaid_settings()
    now = ctx.clock.now()
    result = RunResult(day=day)
    with use_case(ctx, actor=actor, action=Action.PREPAID_RUN) as (session, who):
        accounts = session.scalars(
            select(Account)
            .where(Account.payment_mode == "smart_prepaid", Account.status == "active")
            .order_by(Account.account_no)
        ).all()
        for account in accounts:
            _run_account(
                session,
                account=account,
                day=day,
                rules=rules,
                config=config,
                now=now,
                actor=who.username,
                result=result,
            )
        record_audit(
            session,
            at=now,
            actor=who.username,
            action=Action.PREPAID_RUN.value,
            object_type="prepaid_run",
            object_id=day.isoformat(),
            after={"estimated": [e["account_no"] for e in result.estimated], "skipped": result.skipped},
        )
    result.actions = send_requested(ctx, actor=actor, settings=config)
    return result


def send_requested(ctx: AppContext, *, actor: str | None, settings: PrepaidSettings) -> list[dict[str, Any]]:
    """Send every requested trip and close, outside any transaction, and record each outcome."""
    with use_case(ctx, actor=actor, action=Action.PREPAID_RUN) as (session, _who):
        pending = [
            (action.id, action.kind, meter, account_no)
            for action, account_no in session.execute(
                select(PrepaidAction, Account.account_no)
                .join(Account, Account.id == PrepaidAction.account_id)
                .where(PrepaidAction.state == "requested")
                .order_by(PrepaidAction.id)
            )
            for meter in [installed_meter(session, account_id=action.account_id, on=action.day)]
        ]
    done = []
    for action_id, kind, meter, account_no in pending:
        sent_at = ctx.clock.now()
        state, reply, error = _send(kind=kind, meter=meter, settings=settings, at=sent_at)
        with use_case(ctx, actor=actor, action=Action.PREPAID_RUN) as (session, who):
            action = session.get(PrepaidAction, action_id)
            assert action is not None
            action.state, action.reply, action.error, action.sent_at = state, reply, error, sent_at
            record_audit(
                session,
                at=sent_at,
                actor=who.username,
                action=f"prepaid.{kind}",
                object_type="prepaid_action",
                object_id=str(action_id),
                after={"state": state, "reply": reply, "error": error},
            )
            done.append(action_json(action, account_no=account_no))
    return done


def action_json(action: PrepaidAction, *, account_no: str) -> dict[str, Any]:
    return {
        "id": action.id,
        "account_no": account_no,
        "kind": action.kind,
        "day": action.day.isoformat(),
        "state": action.state,
        "reason": action.reason,
        "reply": action.reply,
        "error": action.error,
    }


def _send(
    *, kind: str, meter: InstalledMeter | None, settings: PrepaidSettings, at: datetime
) -> tuple[str, str | None, str | None]:
    if meter is None or meter.host is None or meter.port is None:
        return "failed", None, "no communication address (comm_host/comm_port) for the meter"
    control = settings.control
    if kind == "trip":
        command = ControlCommand.TRIP
    else:
        command = ControlCommand.DIRECT_CLOSE if control.direct_close else ControlCommand.ALLOW_CLOSE
    link = LinkSettings(reply_timeout=float(control.reply_timeout_seconds))
    try:
        reply = run_coroutine(
            send_control(
                host=meter.host,
                port=meter.port,
                address=meter.address,
                command=command,
                password=control.password,
                operator=control.operator,
                valid_until=at + timedelta(minutes=control.valid_minutes),
                settings=link,
            )
        )
    except (OSError, ValueError) as error:  # NoAnswer, LinkDown, FrameError, BadControlRequest: recorded
        return "failed", None, f"{type(error).__name__}: {error}"[:300]
    if reply.ok:
        return "acknowledged", f"{command.name} 9C", None
    reasons = ", ".join(reply.reasons) or "-"
    return "refused", f"{command.name} DC {reply.error_byte or 0:02X} {reasons}"[:300], None


def _run_account(
    session: Session,
    *,
    account: Account,
    day: date,
    rules: PrepaidPolicy,
    config: PrepaidSettings,
    now: datetime,
    actor: str,
    result: RunResult,
) -> None:
    stored = session.get(PrepaidStateRow, account.id)
    if stored is not None and stored.next_day > day:
        return  # already estimated through the day
    meter = installed_meter(session, account_id=account.id, on=day)
    try:
        if meter is None:
            raise CannotPrice(f"account {account.account_no} has no meter installed on {day}")
        class_rules = rules.rules(account.category)
        first = stored.next_day if stored is not None else day
        top_ups = _top_ups(session, account_id=account.id, first=first, last=day)
        state = _state(session, account=account, stored=stored, first=first, top_ups=top_ups)
        readings = _readings(session, meter_id=meter.meter_id, state=state, last=day)
        code = tariff_code(session, account_id=account.id, on=day)
        if code is None:
            raise CannotPrice(f"account {account.account_no} has no tariff on {day}")
        periods = _periods(session, account=account, first=first, last=day)
        charge_days = engine_charges(
            tariffs=tariff_versions(session, code=code),
            periods=periods,
            position=_position(session, account_id=account.id, period=periods[0], first=first),
            category=account.category,
            low_income=account.low_income,
        )
        estimate = estimate_balance(
            state=state,
            readings=readings,
            multiplier=meter.multiplier,
            top_ups=top_ups,
            charge_days=charge_days,
            rules=class_rules,
            last_day=day,
        )
    except (CannotPrice, BadPrepaidInput, BadReading, UnknownPrepaidClass) as error:
        result.skipped.append({"account_no": account.account_no, "reason": str(error)})
        return
    notice_at = _record(
        session,
        account=account,
        meter=meter,
        estimate=estimate,
        rules=class_rules,
        config=config,
        now=now,
        actor=actor,
    )
    final = estimate.state
    if notice_at is not None and final.alerted and final.notice_sent_at is None:
        final = PrepaidState(final.on, final.balance, final.base, True, notice_at, final.tripped)
    _save_state(session, account_id=account.id, stored=stored, state=final, now=now)
    result.estimated.append(
        {
            "account_no": account.account_no,
            "days": [
                {
                    "day": d.day.isoformat(),
                    "opening": str(d.opening),
                    "top_ups": str(d.topped_up),
                    "kwh": None
                    if d.kwh is None
                    else str(round_to(d.kwh, places=4)),  # exact: 4-decimal registers
                    "charge": str(d.charge),
                    "balance": str(d.balance),
                    "decisions": [x.kind.value for x in d.decisions],
                }
                for d in estimate.days
            ],
            "issues": [bilingual(i) for i in estimate.issues],
            "balance": str(final.balance),
            "tripped": final.tripped,
        }
    )


def _record(
    session: Session,
    *,
    account: Account,
    meter: InstalledMeter,
    estimate: PrepaidEstimate,
    rules: Any,
    config: PrepaidSettings,
    now: datetime,
    actor: str,
) -> datetime | None:
    """Store the days and request their actions; the time of the notice sent, if one was."""
    notice_at = None
    for result in estimate.days:
        issues = [bilingual(i) for i in estimate.issues if i.day == result.day]
        kinds = [d.kind.value for d in result.decisions]
        session.add(
            EstimateRow(
                account_id=account.id,
                day=result.day,
                opening=result.opening,
                top_ups=result.topped_up,
                kwh=result.kwh,
                charge=result.charge,
                balance=result.balance,
                decision=",".join(kinds) or None,
                detail=json.dumps(
                    {
                        "decisions": [
                            {"kind": d.kind.value, "reason": bilingual(d)} for d in result.decisions
                        ],
                        "issues": issues,
                    },
                    ensure_ascii=False,
                ),
                estimated_at=now,
            )
        )
        for decision in result.decisions:
            if decision.kind is DecisionKind.TRIP_HELD:
                continue
            action = PrepaidAction(
                account_id=account.id,
                meter_id=meter.meter_id,
                kind=decision.kind.value,
                day=result.day,
                reason=bilingual(decision)[:500],
                state="queued" if decision.kind is DecisionKind.ALERT else "requested",
                requested_by=actor,
                requested_at=now,
            )
            session.add(action)
            session.flush()
            if decision.kind is DecisionKind.ALERT:
                _notify(
                    session,
                    account=account,
                    day=result.day,
                    balance=result.balance,
                    rules=rules,
                    config=config,
                    now=now,
                )
                notice_at = now
            record_audit(
                session,
                at=now,
                actor=actor,
                action=f"prepaid.{decision.kind.value}_request",
                object_type="prepaid_action",
                object_id=str(action.id),
                after={
                    "account_no": account.account_no,
                    "day": result.day.isoformat(),
                    "reason": action.reason,
                },
            )
    return notice_at


def _notify(
    session: Session,
    *,
    account: Account,
    day: date,
    balance: Decimal,
    rules: Any,
    config: PrepaidSettings,
    now: datetime,
) -> None:
    customer = customer_of(session, account=account)
    chinese = translations("zh_CN")
    channel = config.notice_channel
    recipient = customer.phone if channel == "sms" else customer.address
    if not recipient:
        channel, recipient = "letter", customer.address or customer.name
    enqueue(
        session,
        channel=channel,
        recipient=recipient,
        subject=chinese.gettext(NOTICE_SUBJECT),
        body=chinese.gettext(NOTICE_BODY).format(
            account_no=account.account_no,
            day=day.isoformat(),
            balance=balance,
            threshold=rules.alert_threshold,
            trip_at=rules.trip_at,
        ),
        purpose="prepaid_low_balance",
        dedupe_key=f"prepaid-alert:{account.account_no}:{day.isoformat()}",
        at=now,
        account_id=account.id,
    )


def _state(
    session: Session, *, account: Account, stored: PrepaidStateRow | None, first: date, top_ups: list[TopUp]
) -> PrepaidState:
    if stored is not None:
        base = None
        if stored.base_frozen_on is not None and stored.base_total is not None:
            base = FrozenReading(frozen_on=stored.base_frozen_on, total=stored.base_total)
        notice = None if stored.notice_sent_at is None else aware(stored.notice_sent_at)
        return PrepaidState(first, stored.balance, base, stored.alerted, notice, stored.tripped)
    owed = account_balance(session, account_id=account.id).owed
    opening = -owed - sum((t.amount for t in top_ups), Decimal(0))
    return PrepaidState(on=first, balance=opening, base=None)


def _save_state(
    session: Session, *, account_id: int, stored: PrepaidStateRow | None, state: PrepaidState, now: datetime
) -> None:
    row = stored or PrepaidStateRow(account_id=account_id)
    row.next_day = state.on
    row.balance = state.balance
    row.base_frozen_on = None if state.base is None else state.base.frozen_on
    row.base_total = None if state.base is None else state.base.total
    row.alerted = state.alerted
    row.notice_sent_at = state.notice_sent_at
    row.tripped = state.tripped
    row.updated_at = now
    if stored is None:
        session.add(row)


def _readings(session: Session, *, meter_id: int, state: PrepaidState, last: date) -> list[FrozenReading]:
    low = state.base.frozen_on + ONE_DAY if state.base is not None else state.on
    rows = session.scalars(
        select(PrepaidFrozenReading).where(
            PrepaidFrozenReading.meter_id == meter_id,
            PrepaidFrozenReading.frozen_on >= low,
            PrepaidFrozenReading.frozen_on <= last + ONE_DAY,
        )
    )
    return [FrozenReading(frozen_on=r.frozen_on, total=r.total) for r in rows]


def _top_ups(session: Session, *, account_id: int, first: date, last: date) -> list[TopUp]:
    reversed_ids = select(PaymentReversal.payment_id).where(PaymentReversal.state == "approved")
    rows = session.scalars(
        select(Payment)
        .where(
            Payment.account_id == account_id,
            Payment.paid_on >= first,
            Payment.paid_on <= last,
            Payment.id.not_in(reversed_ids),
        )
        .order_by(Payment.id)
    )
    return [TopUp(day=p.paid_on, amount=p.amount, reference=f"payment:{p.id}") for p in rows]


def _period_start(day: date, reading_day: int) -> date:
    if day.day >= reading_day:
        return day.replace(day=reading_day)
    month = day.month - 1 or 12
    year = day.year if day.month > 1 else day.year - 1
    return date(year, month, reading_day)


def _next_start(start: date) -> date:
    return date(start.year + start.month // 12, start.month % 12 + 1, start.day)


def _periods(session: Session, *, account: Account, first: date, last: date) -> list[BillPeriod]:
    """The account's reading periods (from its route book's reading day) covering first … last."""
    reading_day = session.scalar(select(RouteBook.reading_day).where(RouteBook.id == account.route_book_id))
    assert reading_day is not None
    start = _period_start(first, reading_day)
    periods = []
    while start <= last:
        end = _next_start(start)
        periods.append(BillPeriod(label=f"{start.year:04d}-{start.month:02d}", start=start, end=end))
        start = end
    return periods


def _position(session: Session, *, account_id: int, period: BillPeriod, first: date) -> TierPosition:
    """The energy estimated in the first period before the run, and earlier in its tier year."""

    def used(low: date, high: date) -> Decimal:
        value = session.scalar(
            select(func.sum(EstimateRow.kwh)).where(
                EstimateRow.account_id == account_id, EstimateRow.day >= low, EstimateRow.day < high
            )
        )
        return Decimal(0) if value is None else Decimal(value)

    year_start = date(int(period.label[:4]), 1, period.start.day)
    return TierPosition(period_kwh=used(period.start, first), year_kwh=used(year_start, period.start))


def explain_action(action: dict[str, Any]) -> str:
    """One action as a line for staff."""
    return _("{kind} for {account_no} on {day}: {state}").format(**action)
