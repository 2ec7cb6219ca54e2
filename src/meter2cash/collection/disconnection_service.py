"""Lawful disconnection and reconnection (停复电) use cases (docs/dunning-disconnection.md "The
service"; ``m2c collect disconnect-*``, the console's ``/disconnections``).

Every step of a case is one unit of work (`use_case`) by a named, authorised user: the pure core
(`disconnection_rules.advance`) decides it from the account's state *at the step's time* — the
overdue amount and the oldest unpaid due date read from the ledger (principal of bills past their
due date, as `dunning_service` reads it), the dunning notices sent (``dunning_notice``), the
protection flags (``account.important``, ``account.low_income``, ``account_protection``) and
whether another case has the supply cut — and the step is written with its audit record in the
same transaction, or nothing is written and every reason is given (`CaseRefused`).

- `propose_disconnections`: every eligible account (set-based reads) gets a ``proposed`` case, its
  cut planned at 09:00 Beijing time ``notice_lead_days`` after the day; accounts with an open case,
  or barred (protected, no reminder, …), are named with their reasons.
- `approve_case` (a supervisor who is not the proposer), `cancel_case`.
- `serve_notice`: the written notice (停电通知书) through the outbox: a letter and the class's
  ``notice_channels``; `send_final_notice`: the last notice (``final_notice_channels``).
- `execute_cut`: a remote case sends the DL/T 645 trip (1CH, N1 = 1AH) to the meter and records
  ``executed`` with the meter's reply only when the meter acknowledged it (9CH); no answer or a
  refusal records nothing but an audit record of the attempt (`CutFailed`). A work-order case gets
  its field work order (停电工单 ``TD…``); `confirm_work_order` records the cut when the field
  crew reports it done.
- `reconnect_paid`: every open case whose arrears are paid is cancelled (before the cut) or becomes
  ``reconnection_due`` with its deadline (`reconnect_deadline`), and is reconnected: a 1CH close
  (direct close or allow close, per ``prepaid_service.yaml``'s ``remote_control.direct_close``) or
  a reconnection work order (复电工单 ``FD…``, confirmed by `confirm_work_order`). Overdue
  reconnections are reported.
- `run_disconnection_cycle`: the daily job — final notices that are due, then `reconnect_paid`.
- `disconnection_queue`, `case_detail`: what the CLI and the console show.
- `set_protection`, `clear_protection`: the medical and social flags, audited.

The database refuses a cut without its steps (migration 0011's triggers), whatever the caller.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from meter2cash.billing.bill_model import Receivable
from meter2cash.collection import gl
from meter2cash.collection.card_reports import aware
from meter2cash.collection.disconnection_model import (
    OPEN_STATES,
    PROTECTION_REASONS,
    AccountProtection,
    DisconnectionCaseRow,
    DisconnectionStepRow,
)
from meter2cash.collection.disconnection_rules import (
    BEFORE_CUT,
    PATH,
    CaseState,
    CaseStep,
    CutMethod,
    DisconnectionCase,
    TransitionRefused,
    advance,
    after_payment,
    check_transition,
    cut_method,
    propose,
    reconnect_deadline,
)
from meter2cash.collection.dunning import AccountArrears, Reason, SentNotice, days_overdue
from meter2cash.collection.dunning_model import DunningNotice
from meter2cash.collection.dunning_policy import (
    DunningPolicy,
    NoticeChannel,
    UnknownCategory,
)
from meter2cash.collection.ledger_model import LedgerEntry, LedgerTxn, Payment
from meter2cash.collection.policies import dunning_policy
from meter2cash.collection.prepaid_archive import InstalledMeter, find_account, installed_meter
from meter2cash.collection.prepaid_settings import RemoteControl, bundled_prepaid_settings
from meter2cash.platform.audit import record_audit
from meter2cash.platform.blocking import run_coroutine
from meter2cash.platform.clock import BUSINESS_TZ, business_date
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.errors import InputRefused, NotFound, Problem
from meter2cash.platform.i18n import N_, translations
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.outbox import enqueue
from meter2cash.platform.permissions import Action, allowed
from meter2cash.platform.users import Actor
from meter2cash.reading.dlt645.control import ControlCommand, send_control
from meter2cash.reading.dlt645.link import LinkSettings
from meter2cash.registry.model import Account, Customer, Meter, MeterInstall, ServicePoint

CHUNK = 5000
ZERO = Decimal("0.00")
CUT_HOUR = time(9)  # planned cuts at 09:00 Beijing time
CUT_ORDER, RECONNECT_ORDER = "TD", "FD"  # 停电工单, 复电工单
NOT_LISTED = frozenset({"not_overdue_enough", "below_minimum"})  # not yet a candidate: not "skipped"

NOTICE_SUBJECT = N_("Notice of disconnection")
NOTICE_BODY = N_(
    "Account {account_no} ({name}): electricity charges of {arrears} yuan, due since {due_date}, are "
    "{days} days overdue after our reminders. With the approval of the bureau, the supply will be "
    "stopped at {cut} (Beijing time) unless they are paid before then. After payment the supply is "
    "restored within {hours} hours."
)
FINAL_SUBJECT = N_("Supply to be stopped")
FINAL_BODY = N_(
    "Account {account_no}: the supply will be stopped at {cut} (Beijing time) for overdue electricity "
    "charges of {arrears} yuan. Pay now to avoid the cut."
)
STATE_LABELS = {
    CaseState.PROPOSED: N_("Proposed"),
    CaseState.APPROVED: N_("Approved, notice to serve"),
    CaseState.NOTICE_SENT: N_("Notice served"),
    CaseState.FINAL_NOTICE_SENT: N_("Final notice sent"),
    CaseState.EXECUTED: N_("Supply cut"),
    CaseState.RECONNECTION_DUE: N_("Reconnection due"),
    CaseState.RECONNECTED: N_("Reconnected"),
    CaseState.CANCELLED: N_("Cancelled"),
}
METHOD_LABELS = {CutMethod.REMOTE: N_("Remote (DL/T 645 1CH)"), CutMethod.WORK_ORDER: N_("Field work order")}
PROTECTION_LABELS = {"medical": N_("Medical"), "social": N_("Social")}


class CaseRefused(InputRefused):
    """The step may not be recorded; nothing was written. ``reasons`` are the pure core's."""

    def __init__(self, *, case_id: int, to_state: CaseState, reasons: Sequence[Reason]) -> None:
        self.case_id, self.to_state, self.reasons = case_id, to_state, tuple(reasons)
        summary = _("Case {case}: {state} is refused; nothing was written").format(
            case=case_id, state=_(STATE_LABELS[to_state])
        )
        super().__init__(summary, [Problem(reason=r.text(_), value=r.code) for r in self.reasons])


class CutFailed(InputRefused):
    """The meter did not acknowledge the 1CH command: the step is not recorded (the attempt is
    audited); ``error`` says what happened."""

    def __init__(self, *, case_id: int, command: str, error: str) -> None:
        self.case_id, self.command, self.error = case_id, command, error
        summary = _("Case {case}: the meter did not acknowledge {command}; nothing was recorded").format(
            case=case_id, command=command
        )
        super().__init__(summary, [Problem(reason=error)])


class _NoAck(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


# -- reading the account's state ------------------------------------------------------------------


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def overdue_by_account(
    session: Session, *, as_of: date, account_ids: Sequence[int] | None = None
) -> dict[int, tuple[Decimal, date]]:
    """Each account with principal (应收电费) still owed on bills due before ``as_of`` (ledger lines
    dated up to ``as_of``): its overdue amount and oldest unpaid due date. One grouped query over the
    ledger (per chunk of ``account_ids`` when given); the meaning of `dunning_service`'s read."""
    out: dict[int, tuple[Decimal, date]] = {}
    groups: Iterable[Sequence[int] | None] = [None] if account_ids is None else _chunks(account_ids)
    for chunk in groups:
        owed = (
            select(
                LedgerEntry.receivable_id.label("receivable_id"), func.sum(LedgerEntry.amount).label("owed")
            )
            .join(LedgerTxn, LedgerTxn.id == LedgerEntry.txn_id)
            .where(LedgerEntry.gl == gl.RECEIVABLE, LedgerTxn.business_day <= as_of)
            .group_by(LedgerEntry.receivable_id)
            .having(func.sum(LedgerEntry.amount) > 0)
        )
        if chunk is not None:
            owed = owed.where(LedgerEntry.account_id.in_(chunk))
        sub = owed.subquery()
        rows = session.execute(
            select(Receivable.account_id, sub.c.owed, Receivable.due_on)
            .select_from(sub)
            .join(Receivable, Receivable.id == sub.c.receivable_id)
            .where(Receivable.due_on < as_of)
        ).all()
        totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
        oldest: dict[int, date] = {}
        for account_id, amount, due_on in rows:
            totals[account_id] += amount
            oldest[account_id] = min(due_on, oldest.get(account_id, due_on))
        out.update({account_id: (amount, oldest[account_id]) for account_id, amount in totals.items()})
    return out


@dataclass(frozen=True, slots=True)
class _Account:
    id: int
    account_no: str
    category: str
    name: str
    phone: str | None
    address: str | None


def _accounts(
    session: Session, ids: Sequence[int]
) -> tuple[dict[int, _Account], dict[int, tuple[bool, bool]]]:
    accounts: dict[int, _Account] = {}
    flags: dict[int, tuple[bool, bool]] = {}
    for chunk in _chunks(ids):
        rows = session.execute(
            select(
                Account.id,
                Account.account_no,
                Account.category,
                Customer.name,
                Customer.phone,
                Customer.address,
                Account.important,
                Account.low_income,
            )
            .join(Customer, Customer.id == Account.customer_id)
            .where(Account.id.in_(chunk))
        )
        for ident, number, category, name, phone, address, important, low in rows:
            accounts[ident] = _Account(ident, number, category, name, phone, address)
            flags[ident] = (bool(important), bool(low))
    return accounts, flags


def account_states(
    session: Session, *, account_ids: Sequence[int], at: datetime, except_case: int | None = None
) -> dict[int, AccountArrears]:
    """The accounts' collection state at ``at`` (set-based reads): arrears from the ledger, the
    dunning notices, the protection flags, and whether a case (other than ``except_case``) has their
    supply cut now."""
    ids = sorted(set(account_ids))
    overdue = overdue_by_account(session, as_of=business_date(at), account_ids=ids)
    accounts, flags = _accounts(session, ids)
    notices: dict[int, list[SentNotice]] = defaultdict(list)
    protected: dict[int, set[str]] = defaultdict(set)
    cut: set[int] = set()
    for chunk in _chunks(ids):
        for account_id, step, issued_on in session.execute(
            select(DunningNotice.account_id, DunningNotice.step, DunningNotice.issued_on).where(
                DunningNotice.account_id.in_(chunk)
            )
        ):
            notices[account_id].append(SentNotice(step=step, sent_on=issued_on))
        for account_id, reason in session.execute(
            select(AccountProtection.account_id, AccountProtection.reason).where(
                AccountProtection.account_id.in_(chunk), AccountProtection.cleared_at.is_(None)
            )
        ):
            protected[account_id].add(reason)
        cases = select(DisconnectionCaseRow.account_id).where(
            DisconnectionCaseRow.account_id.in_(chunk),
            DisconnectionCaseRow.state.in_((CaseState.EXECUTED, CaseState.RECONNECTION_DUE)),
        )
        if except_case is not None:
            cases = cases.where(DisconnectionCaseRow.id != except_case)
        cut.update(session.scalars(cases))
    out = {}
    for ident, account in accounts.items():
        arrears, oldest = overdue.get(ident, (ZERO, None))
        important, low = flags[ident]
        out[ident] = AccountArrears(
            account=account.account_no,
            category=account.category,
            arrears=arrears,
            oldest_due_date=oldest,
            notices=tuple(notices.get(ident, ())),
            important=important,
            low_income=low,
            medical="medical" in protected.get(ident, ()),
            social="social" in protected.get(ident, ()),
            disconnected=ident in cut,
        )
    return out


def _meters(session: Session, *, account_ids: Sequence[int], on: date) -> dict[int, InstalledMeter]:
    """The meter on each account's customer service point on ``on`` (set-based)."""
    out: dict[int, InstalledMeter] = {}
    for chunk in _chunks(account_ids):
        rows = session.execute(
            select(ServicePoint.account_id, Meter, MeterInstall.multiplier)
            .join(MeterInstall, MeterInstall.meter_id == Meter.id)
            .join(ServicePoint, ServicePoint.id == MeterInstall.service_point_id)
            .where(
                ServicePoint.account_id.in_(chunk),
                ServicePoint.kind == "customer",
                MeterInstall.installed_on <= on,
                or_(MeterInstall.removed_on.is_(None), MeterInstall.removed_on > on),
            )
            .order_by(MeterInstall.installed_on)
        )
        for account_id, meter, multiplier in rows:  # the latest install wins
            assert account_id is not None
            out[account_id] = InstalledMeter(
                meter.id, meter.meter_no, meter.dlt645_address, meter.comm_host, meter.comm_port, multiplier
            )
    return out


def _remote(meter: InstalledMeter | None) -> bool:
    """A meter with a communication address (gateway host and port) takes DL/T 645 1CH."""
    return meter is not None and meter.host is not None and meter.port is not None


# -- helpers ---------------------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else aware(moment).astimezone(BUSINESS_TZ).isoformat()


def _reasons_json(reasons: Iterable[Reason]) -> list[dict[str, str]]:
    return [{"code": r.code, "text": r.text(_), "en": r.en} for r in reasons]


def case_json(row: DisconnectionCaseRow, *, account: _Account | Account, as_of: date) -> dict[str, Any]:
    """A case's summary, as the CLI prints it with ``--json`` and the console lists it."""
    return {
        "id": row.id,
        "account_no": account.account_no,
        "category": row.category,
        "state": row.state,
        "method": row.method,
        "planned_cut": _iso(row.planned_cut),
        "arrears": str(row.arrears),
        "oldest_due_date": row.oldest_due_date.isoformat(),
        "days_overdue": days_overdue(due_date=row.oldest_due_date, as_of=as_of),
        "work_order_no": row.work_order_no,
        "reconnect_order_no": row.reconnect_order_no,
        "paid_at": _iso(row.paid_at),
        "reconnect_by": _iso(row.reconnect_by),
        "proposed_by": row.created_by,
        "proposed_at": _iso(row.created_at),
    }


def _pure(session: Session, row: DisconnectionCaseRow, account_no: str) -> DisconnectionCase:
    steps = session.scalars(
        select(DisconnectionStepRow)
        .where(DisconnectionStepRow.case_id == row.id)
        .order_by(DisconnectionStepRow.id)
    )
    return DisconnectionCase(
        account=account_no,
        category=row.category,
        planned_cut=aware(row.planned_cut),
        method=CutMethod(row.method),
        steps=tuple(CaseStep(CaseState(s.state), aware(s.at), s.actor) for s in steps),
    )


@dataclass
class _Loaded:
    row: DisconnectionCaseRow
    account: Account
    case: DisconnectionCase


def _load(session: Session, case_id: int) -> _Loaded:
    row = session.get(DisconnectionCaseRow, case_id, with_for_update=True)
    if row is None:
        raise NotFound(_("No disconnection case {case}.").format(case=case_id))
    account = session.get(Account, row.account_id)
    assert account is not None
    return _Loaded(row, account, _pure(session, row, account.account_no))


def _state_at(session: Session, loaded: _Loaded, at: datetime) -> AccountArrears:
    return account_states(session, account_ids=[loaded.row.account_id], at=at, except_case=loaded.row.id)[
        loaded.row.account_id
    ]


def _supervisor(who: Actor) -> bool:
    return allowed(roles=who.roles, action=Action.DISCONNECT_APPROVE)


def _check(
    session: Session, *, policy: DunningPolicy, loaded: _Loaded, to_state: CaseState, at: datetime, who: Actor
) -> DisconnectionCase:
    """The pure core's `advance` with the account's state at ``at``; `CaseRefused` otherwise."""
    try:
        return advance(
            policy=policy,
            case=loaded.case,
            to_state=to_state,
            at=at,
            by=who.username,
            account=_state_at(session, loaded, at),
            supervisor=_supervisor(who),
        )
    except TransitionRefused as refused:
        raise CaseRefused(case_id=loaded.row.id, to_state=to_state, reasons=refused.problems) from None


def _record(
    session: Session,
    *,
    loaded: _Loaded,
    to_state: CaseState,
    at: datetime,
    who: str,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    """Write the step, the case's new state and the audit record (the database checks the cut)."""
    before = loaded.row.state
    session.add(
        DisconnectionStepRow(
            case_id=loaded.row.id,
            state=to_state.value,
            at=at,
            actor=who,
            detail=None if detail is None else json.dumps(detail, ensure_ascii=False, default=str),
        )
    )
    session.flush()
    loaded.row.state, loaded.row.updated_at = to_state.value, now
    session.flush()
    record_audit(
        session,
        at=now,
        actor=who,
        action=f"disconnect.{to_state.value}",
        object_type="disconnection_case",
        object_id=str(loaded.row.id),
        before={"state": before},
        after={
            "state": to_state.value,
            "at": at.isoformat(),
            "account_no": loaded.account.account_no,
            **(detail or {}),
        },
    )


def _moment(ctx: AppContext, at: datetime | None) -> datetime:
    moment = at or ctx.clock.now()
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InputRefused(_("A time needs its zone, e.g. 2026-03-08T09:00+08:00"))
    return moment.astimezone(UTC)  # stored in UTC: SQLite keeps no zone


def _customer(session: Session, account: Account) -> Customer:
    customer = session.get(Customer, account.customer_id)
    assert customer is not None
    return customer


# -- proposing -------------------------------------------------------------------------------------


@dataclass
class ProposalRun:
    on: date
    proposed: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    not_yet: int = 0  # overdue accounts not yet over the threshold (days or amount): not listed

    def as_json(self) -> dict[str, Any]:
        return {
            "on": self.on.isoformat(),
            "proposed": self.proposed,
            "skipped": self.skipped,
            "not_yet_eligible": self.not_yet,
        }


def planned_cut(*, on: date, policy: DunningPolicy, category: str, cut_on: date | None = None) -> datetime:
    """09:00 Beijing time on ``cut_on``, or ``notice_lead_days`` after ``on``."""
    day = cut_on or on + timedelta(days=policy.for_class(category).notice_lead_days)
    return datetime.combine(day, CUT_HOUR, tzinfo=BUSINESS_TZ)


def propose_disconnections(
    ctx: AppContext,
    *,
    actor: str | None,
    on: date | None = None,
    cut_on: date | None = None,
    policy: DunningPolicy | None = None,
) -> ProposalRun:
    """Open a ``proposed`` case for every eligible account on ``on`` (today by default), in one unit
    of work; name the accounts with an open case or barred (protected, no reminder, …)."""
    rules = policy or dunning_policy(ctx.settings)
    now = ctx.clock.now()
    day = on or business_date(now)
    at = now if business_date(now) == day else datetime.combine(day, CUT_HOUR, tzinfo=BUSINESS_TZ)
    at = at.astimezone(UTC)
    run = ProposalRun(on=day)
    with use_case(ctx, actor=actor, action=Action.DISCONNECT_PROPOSE) as (session, who):
        candidates = _active(session, sorted(overdue_by_account(session, as_of=day)))
        states = account_states(session, account_ids=candidates, at=at)
        accounts, _flags = _accounts(session, candidates)
        open_cases = _open_cases(session, candidates)
        meters = _meters(session, account_ids=candidates, on=day)
        for account_id in sorted(candidates, key=lambda i: accounts[i].account_no):
            state, account = states[account_id], accounts[account_id]
            if account_id in open_cases:
                reason = _("Case {case} is already open for the account").format(case=open_cases[account_id])
                run.skipped.append(
                    {
                        "account_no": account.account_no,
                        "reasons": [{"code": "open_case", "text": reason, "en": reason}],
                    }
                )
                continue
            try:
                cut = planned_cut(on=day, policy=rules, category=account.category, cut_on=cut_on)
                method = cut_method(remote_control=_remote(meters.get(account_id)))
                case = propose(
                    policy=rules, account=state, planned_cut=cut, method=method, at=at, by=who.username
                )
            except UnknownCategory:
                text = _("The dunning policy has no rules for the class {category}").format(
                    category=account.category
                )
                run.skipped.append(
                    {
                        "account_no": account.account_no,
                        "reasons": [{"code": "unknown_category", "text": text, "en": text}],
                    }
                )
                continue
            except TransitionRefused as refused:
                if {p.code for p in refused.problems} & NOT_LISTED:  # not yet a candidate
                    run.not_yet += 1
                else:
                    run.skipped.append(
                        {"account_no": account.account_no, "reasons": _reasons_json(refused.problems)}
                    )
                continue
            assert state.oldest_due_date is not None
            meter = meters.get(account_id)
            row = DisconnectionCaseRow(
                account_id=account_id,
                category=account.category,
                planned_cut=case.planned_cut.astimezone(UTC),
                method=case.method.value,
                state=CaseState.PROPOSED.value,
                arrears=state.arrears,
                oldest_due_date=state.oldest_due_date,
                meter_id=None if meter is None else meter.meter_id,
                created_by=who.username,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            session.add(
                DisconnectionStepRow(
                    case_id=row.id, state=CaseState.PROPOSED.value, at=at, actor=who.username
                )
            )
            summary = case_json(row, account=account, as_of=day)
            record_audit(
                session,
                at=now,
                actor=who.username,
                action="disconnect.proposed",
                object_type="disconnection_case",
                object_id=str(row.id),
                after=summary,
            )
            run.proposed.append(summary)
    return run


def _active(session: Session, ids: Sequence[int]) -> list[int]:
    out: list[int] = []
    for chunk in _chunks(ids):
        out += session.scalars(select(Account.id).where(Account.id.in_(chunk), Account.status == "active"))
    return sorted(out)


def _open_cases(session: Session, ids: Sequence[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for chunk in _chunks(ids):
        rows = session.execute(
            select(DisconnectionCaseRow.account_id, DisconnectionCaseRow.id).where(
                DisconnectionCaseRow.account_id.in_(chunk), DisconnectionCaseRow.state.in_(OPEN_STATES)
            )
        )
        out.update({account_id: case_id for account_id, case_id in rows})
    return out


# -- approval, cancellation ------------------------------------------------------------------------


def _summary(session: Session, loaded: _Loaded, at: datetime) -> dict[str, Any]:
    return case_json(loaded.row, account=loaded.account, as_of=business_date(at))


def approve_case(
    ctx: AppContext,
    *,
    actor: str | None,
    case_id: int,
    at: datetime | None = None,
    policy: DunningPolicy | None = None,
) -> dict[str, Any]:
    """批准 A supervisor who did not propose the case approves it (four eyes)."""
    rules, moment, now = policy or dunning_policy(ctx.settings), _moment(ctx, at), ctx.clock.now()
    with use_case(ctx, actor=actor, action=Action.DISCONNECT_APPROVE) as (session, who):
        loaded = _load(session, case_id)
        _check(session, policy=rules, loaded=loaded, to_state=CaseState.APPROVED, at=moment, who=who)
        _record(session, loaded=loaded, to_state=CaseState.APPROVED, at=moment, who=who.username, now=now)
        return _summary(session, loaded, moment)


def cancel_case(
    ctx: AppContext,
    *,
    actor: str | None,
    case_id: int,
    note: str,
    at: datetime | None = None,
    policy: DunningPolicy | None = None,
) -> dict[str, Any]:
    """撤销 Cancel a case before the cut, with a note."""
    rules, moment, now = policy or dunning_policy(ctx.settings), _moment(ctx, at), ctx.clock.now()
    if not note.strip():
        raise InputRefused(_("Say why the case is cancelled."))
    with use_case(ctx, actor=actor, action=Action.DISCONNECT_PROPOSE) as (session, who):
        loaded = _load(session, case_id)
        _check(session, policy=rules, loaded=loaded, to_state=CaseState.CANCELLED, at=moment, who=who)
        _record(
            session,
            loaded=loaded,
            to_state=CaseState.CANCELLED,
            at=moment,
            who=who.username,
            now=now,
            detail={"note": note.strip()[:300]},
        )
        return _summary(session, loaded, moment)


# -- notices ---------------------------------------------------------------------------------------


def _deliveries(customer: Customer, account: Account, channels: Iterable[str]) -> list[tuple[str, str]]:
    """(channel, recipient) for each channel; a channel without a recipient (no phone, no e-mail
    address on file) falls back to a letter, which always reaches the customer's address."""
    postal = (
        f"{customer.address} {customer.name}"
        if customer.address
        else f"{customer.name} ({account.account_no})"
    )
    out: list[tuple[str, str]] = []
    for channel in channels:
        # a channel without a recipient (no phone; no e-mail address on file) goes by letter
        pair = (
            ("sms", customer.phone) if channel == NoticeChannel.SMS and customer.phone else ("letter", postal)
        )
        if pair not in out:
            out.append(pair)
    return out


def _notify(
    session: Session,
    *,
    loaded: _Loaded,
    kind: str,
    channels: Iterable[str],
    subject: str,
    body: str,
    now: datetime,
) -> list[dict[str, Any]]:
    customer = _customer(session, loaded.account)
    sent = []
    for channel, recipient in _deliveries(customer, loaded.account, channels):
        message = enqueue(
            session,
            channel=channel,
            recipient=recipient,
            subject=subject,
            body=body,
            purpose=f"disconnection_{kind}",
            dedupe_key=f"disconnect-{kind}:{loaded.row.id}:{channel}",
            at=now,
            account_id=loaded.account.id,
        )
        sent.append({"channel": channel, "outbox_id": None if message is None else message.id})
    return sent


def _text_fields(
    session: Session, loaded: _Loaded, state: AccountArrears, at: datetime, rules: DunningPolicy
) -> dict[str, Any]:
    customer = _customer(session, loaded.account)
    due = state.oldest_due_date or loaded.row.oldest_due_date
    return {
        "account_no": loaded.account.account_no,
        "name": customer.name,
        "arrears": state.arrears,
        "due_date": due.isoformat(),
        "days": days_overdue(due_date=due, as_of=business_date(at)),
        "cut": aware(loaded.row.planned_cut).astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M"),
        "hours": rules.for_class(loaded.row.category).reconnect_within_hours,
    }


def serve_notice(
    ctx: AppContext,
    *,
    actor: str | None,
    case_id: int,
    at: datetime | None = None,
    policy: DunningPolicy | None = None,
) -> dict[str, Any]:
    """停电通知书 Serve the written notice of an approved case: a letter and the class's
    ``notice_channels``, through the outbox, in Chinese."""
    return _case_notice(ctx, actor=actor, case_id=case_id, at=at, policy=policy, final=False)


def send_final_notice(
    ctx: AppContext,
    *,
    actor: str | None,
    case_id: int,
    at: datetime | None = None,
    policy: DunningPolicy | None = None,
) -> dict[str, Any]:
    """The last notice before the cut (``final_notice_channels``), in its window."""
    return _case_notice(ctx, actor=actor, case_id=case_id, at=at, policy=policy, final=True)


def _case_notice(
    ctx: AppContext,
    *,
    actor: str | None,
    case_id: int,
    at: datetime | None,
    policy: DunningPolicy | None,
    final: bool,
) -> dict[str, Any]:
    """Queue the written or the final notice and record its step, checked by the rule core."""
    rules, moment, now = policy or dunning_policy(ctx.settings), _moment(ctx, at), ctx.clock.now()
    chinese = translations("zh_CN")
    to_state = CaseState.FINAL_NOTICE_SENT if final else CaseState.NOTICE_SENT
    with use_case(ctx, actor=actor, action=Action.DISCONNECT_PROPOSE) as (session, who):
        loaded = _load(session, case_id)
        _check(session, policy=rules, loaded=loaded, to_state=to_state, at=moment, who=who)
        fields = _text_fields(session, loaded, _state_at(session, loaded, moment), moment, rules)
        class_rules = rules.for_class(loaded.row.category)
        channels = class_rules.final_notice_channels if final else ["letter", *class_rules.notice_channels]
        messages = _notify(
            session,
            loaded=loaded,
            kind="final" if final else "notice",
            channels=channels,
            subject=chinese.gettext(FINAL_SUBJECT if final else NOTICE_SUBJECT),
            body=chinese.gettext(FINAL_BODY if final else NOTICE_BODY).format(**fields),
            now=now,
        )
        _record(
            session,
            loaded=loaded,
            to_state=to_state,
            at=moment,
            who=who.username,
            now=now,
            detail={"messages": messages, "arrears": str(fields["arrears"])},
        )
        return {**_summary(session, loaded, moment), "messages": messages}


# -- the cut ---------------------------------------------------------------------------------------


def _control(
    *,
    command: ControlCommand,
    meter: InstalledMeter | None,
    control: RemoteControl,
    link: LinkSettings | None,
    at: datetime,
) -> str:
    """Send one 1CH command; the reply's text when the meter acknowledged it, `_NoAck` otherwise."""
    if meter is None or meter.host is None or meter.port is None:
        raise _NoAck("no communication address (comm_host/comm_port) for the meter")
    settings = link or LinkSettings(reply_timeout=float(control.reply_timeout_seconds))
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
                settings=settings,
            )
        )
    except (OSError, ValueError) as error:  # NoAnswer, LinkDown, FrameError, BadControlRequest
        raise _NoAck(f"{type(error).__name__}: {error}"[:300]) from None
    if not reply.ok:
        reasons = ", ".join(reply.reasons) or "-"
        raise _NoAck(f"{command.name} DC {reply.error_byte or 0:02X} {reasons}"[:300])
    return f"{command.name} 9C"


def _failed(
    ctx: AppContext, *, actor: str | None, action: Action, case_id: int, command: str, error: str
) -> CutFailed:
    """Audit a command the meter did not acknowledge (in its own unit of work)."""
    with use_case(ctx, actor=actor, action=action) as (session, who):
        record_audit(
            session,
            at=ctx.clock.now(),
            actor=who.username,
            action="disconnect.control_failed",
            object_type="disconnection_case",
            object_id=str(case_id),
            after={"command": command, "error": error},
        )
    return CutFailed(case_id=case_id, command=command, error=error)


def execute_cut(
    ctx: AppContext,
    *,
    actor: str | None,
    case_id: int,
    at: datetime | None = None,
    link: LinkSettings | None = None,
    control: RemoteControl | None = None,
    policy: DunningPolicy | None = None,
) -> dict[str, Any]:
    """停电 Cut the supply of a case whose every step is done, at or after the planned cut.

    Remote: the 1CH trip goes to the meter while the case is held; ``executed`` is recorded with
    the reply only if the meter acknowledged (`CutFailed` otherwise, nothing recorded). Work order:
    the field work order is issued (``work_order_no``), and `confirm_work_order` records the cut."""
    rules, moment, now = policy or dunning_policy(ctx.settings), _moment(ctx, at), ctx.clock.now()
    config = control or bundled_prepaid_settings().control
    try:
        with use_case(ctx, actor=actor, action=Action.DISCONNECT_EXECUTE) as (session, who):
            loaded = _load(session, case_id)
            _check(session, policy=rules, loaded=loaded, to_state=CaseState.EXECUTED, at=moment, who=who)
            if loaded.row.method == CutMethod.WORK_ORDER:
                if loaded.row.work_order_no is None:
                    _issue_order(
                        session, loaded=loaded, prefix=CUT_ORDER, who=who.username, now=now, at=moment
                    )
                return {**_summary(session, loaded, moment), "reply": None}
            meter = installed_meter(session, account_id=loaded.row.account_id, on=business_date(moment))
            reply = _control(command=ControlCommand.TRIP, meter=meter, control=config, link=link, at=moment)
            assert meter is not None
            detail = {"command": "TRIP", "reply": reply, "meter_no": meter.meter_no, "address": meter.address}
            _record(
                session,
                loaded=loaded,
                to_state=CaseState.EXECUTED,
                at=moment,
                who=who.username,
                now=now,
                detail=detail,
            )
            return {**_summary(session, loaded, moment), "reply": reply}
    except _NoAck as failed:
        raise _failed(
            ctx,
            actor=actor,
            action=Action.DISCONNECT_EXECUTE,
            case_id=case_id,
            command="TRIP",
            error=failed.error,
        ) from None


def _issue_order(
    session: Session, *, loaded: _Loaded, prefix: str, who: str, now: datetime, at: datetime
) -> str:
    number = f"{prefix}{business_date(at):%Y%m%d}-{loaded.row.id:06d}"
    if prefix == CUT_ORDER:
        loaded.row.work_order_no = number
    else:
        loaded.row.reconnect_order_no = number
    loaded.row.updated_at = now
    session.flush()
    record_audit(
        session,
        at=now,
        actor=who,
        action="disconnect.work_order" if prefix == CUT_ORDER else "disconnect.reconnect_order",
        object_type="disconnection_case",
        object_id=str(loaded.row.id),
        after={"work_order_no": number, "account_no": loaded.account.account_no, "state": loaded.row.state},
    )
    return number


def confirm_work_order(
    ctx: AppContext,
    *,
    actor: str | None,
    case_id: int,
    done_by: str,
    at: datetime | None = None,
    policy: DunningPolicy | None = None,
) -> dict[str, Any]:
    """The field crew did the work order: the cut (``executed``, every check again at ``at``) or the
    reconnection (``reconnected``)."""
    rules, moment, now = policy or dunning_policy(ctx.settings), _moment(ctx, at), ctx.clock.now()
    if not done_by.strip():
        raise InputRefused(_("Name who did the work order."))
    with use_case(ctx, actor=actor, action=Action.DISCONNECT_EXECUTE) as (session, who):
        loaded = _load(session, case_id)
        row = loaded.row
        if row.state == CaseState.RECONNECTION_DUE and row.reconnect_order_no is not None:
            to_state, number = CaseState.RECONNECTED, row.reconnect_order_no
        elif CaseState(row.state) in BEFORE_CUT and row.work_order_no is not None:
            to_state, number = CaseState.EXECUTED, row.work_order_no
        else:
            raise InputRefused(_("Case {case} has no open work order.").format(case=case_id))
        _check(session, policy=rules, loaded=loaded, to_state=to_state, at=moment, who=who)
        detail = {"work_order_no": number, "done_by": done_by.strip()[:64]}
        _record(
            session, loaded=loaded, to_state=to_state, at=moment, who=who.username, now=now, detail=detail
        )
        return _summary(session, loaded, moment)


# -- reconnection ----------------------------------------------------------------------------------


@dataclass
class ReconnectRun:
    at: datetime
    cancelled: list[dict[str, Any]] = field(default_factory=list)
    reconnected: list[dict[str, Any]] = field(default_factory=list)
    work_orders: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    overdue: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "at": _iso(self.at),
            "cancelled": self.cancelled,
            "reconnected": self.reconnected,
            "work_orders": self.work_orders,
            "failed": self.failed,
            "overdue": self.overdue,
        }


def _last_payment(session: Session, *, account_id: int, through: datetime) -> datetime:
    """When the payment that cleared the arrears was received (art. 69 counts the reconnection
    deadline from it): the account's latest payment up to ``through``, else ``through``."""
    received = session.scalar(
        select(func.max(Payment.received_at)).where(
            Payment.account_id == account_id, Payment.received_at <= through
        )
    )
    if received is None:
        return through
    return received if received.tzinfo is not None else received.replace(tzinfo=UTC)


def reconnect_paid(
    ctx: AppContext,
    *,
    actor: str | None,
    at: datetime | None = None,
    link: LinkSettings | None = None,
    control: RemoteControl | None = None,
    policy: DunningPolicy | None = None,
) -> ReconnectRun:
    """复电 Every open case whose arrears are paid (below ``minimum_arrears`` at ``at``): cancelled
    before the cut, else reconnection due by `reconnect_deadline` and reconnected — a 1CH close
    (remote) or a reconnection work order. Overdue reconnections are reported."""
    rules, moment, now = policy or dunning_policy(ctx.settings), _moment(ctx, at), ctx.clock.now()
    config = control or bundled_prepaid_settings().control
    run = ReconnectRun(at=moment)
    with use_case(ctx, actor=actor, action=Action.DISCONNECT_EXECUTE) as (session, who):
        live = (*BEFORE_CUT, CaseState.EXECUTED)
        rows = session.scalars(
            select(DisconnectionCaseRow)
            .where(DisconnectionCaseRow.state.in_(live))
            .order_by(DisconnectionCaseRow.id)
        ).all()
        owed = overdue_by_account(
            session, as_of=business_date(moment), account_ids=sorted({r.account_id for r in rows})
        )
        for row in rows:
            arrears = owed.get(row.account_id, (ZERO, None))[0]
            if arrears >= rules.for_class(row.category).minimum_arrears:
                continue
            loaded = _load(session, row.id)
            to_state = after_payment(case=loaded.case)
            if to_state is None:
                continue
            try:
                _check(session, policy=rules, loaded=loaded, to_state=to_state, at=moment, who=who)
            except CaseRefused as refused:
                run.failed.append({"id": row.id, "command": to_state.value, "error": refused.summary})
                continue
            detail: dict[str, Any] = {"reason": "paid", "arrears": str(arrears)}
            if to_state is CaseState.RECONNECTION_DUE:
                paid_at = _last_payment(session, account_id=row.account_id, through=moment)
                row.paid_at = paid_at
                row.reconnect_by = reconnect_deadline(paid_at=paid_at, policy=rules, category=row.category)
                detail["reconnect_by"] = _iso(row.reconnect_by)
            _record(
                session, loaded=loaded, to_state=to_state, at=moment, who=who.username, now=now, detail=detail
            )
            if to_state is CaseState.CANCELLED:
                run.cancelled.append(_summary(session, loaded, moment))
        due = list(
            session.scalars(
                select(DisconnectionCaseRow.id)
                .where(DisconnectionCaseRow.state == CaseState.RECONNECTION_DUE)
                .order_by(DisconnectionCaseRow.id)
            )
        )
    for case_id in due:
        _reconnect_one(
            ctx, actor=actor, case_id=case_id, at=moment, link=link, control=config, policy=rules, run=run
        )
    with use_case(ctx, actor=actor, action=Action.DISCONNECT_EXECUTE) as (session, _who):
        late = session.execute(
            select(DisconnectionCaseRow, Account)
            .join(Account, Account.id == DisconnectionCaseRow.account_id)
            .where(
                DisconnectionCaseRow.state == CaseState.RECONNECTION_DUE,
                DisconnectionCaseRow.reconnect_by < moment,
            )
            .order_by(DisconnectionCaseRow.id)
        ).all()
        run.overdue = [case_json(row, account=account, as_of=business_date(moment)) for row, account in late]
    return run


def _reconnect_one(
    ctx: AppContext,
    *,
    actor: str | None,
    case_id: int,
    at: datetime,
    link: LinkSettings | None,
    control: RemoteControl,
    policy: DunningPolicy,
    run: ReconnectRun,
) -> None:
    now = ctx.clock.now()
    command = ControlCommand.DIRECT_CLOSE if control.direct_close else ControlCommand.ALLOW_CLOSE
    try:
        with use_case(ctx, actor=actor, action=Action.DISCONNECT_EXECUTE) as (session, who):
            loaded = _load(session, case_id)
            if loaded.row.method == CutMethod.WORK_ORDER:
                if loaded.row.reconnect_order_no is None:
                    _issue_order(
                        session, loaded=loaded, prefix=RECONNECT_ORDER, who=who.username, now=now, at=at
                    )
                run.work_orders.append(_summary(session, loaded, at))
                return
            _check(session, policy=policy, loaded=loaded, to_state=CaseState.RECONNECTED, at=at, who=who)
            meter = installed_meter(session, account_id=loaded.row.account_id, on=business_date(at))
            reply = _control(command=command, meter=meter, control=control, link=link, at=at)
            assert meter is not None
            detail = {
                "command": command.name,
                "reply": reply,
                "meter_no": meter.meter_no,
                "address": meter.address,
            }
            _record(
                session,
                loaded=loaded,
                to_state=CaseState.RECONNECTED,
                at=at,
                who=who.username,
                now=now,
                detail=detail,
            )
            run.reconnected.append({**_summary(session, loaded, at), "reply": reply})
    except _NoAck as failed:
        error = _failed(
            ctx,
            actor=actor,
            action=Action.DISCONNECT_EXECUTE,
            case_id=case_id,
            command=command.name,
            error=failed.error,
        )
        run.failed.append({"id": case_id, "command": command.name, "error": error.error})
    except CaseRefused as refused:
        run.failed.append(
            {"id": case_id, "command": command.name, "error": "; ".join(p.reason for p in refused.problems)}
        )


def run_disconnection_cycle(
    ctx: AppContext,
    *,
    actor: str | None,
    at: datetime | None = None,
    link: LinkSettings | None = None,
    control: RemoteControl | None = None,
    policy: DunningPolicy | None = None,
) -> dict[str, Any]:
    """The daily job: send every final notice now within its window, then `reconnect_paid`."""
    rules, moment = policy or dunning_policy(ctx.settings), _moment(ctx, at)
    with use_case(ctx, actor=actor, action=Action.DISCONNECT_PROPOSE) as (session, _who):
        waiting = session.execute(
            select(DisconnectionCaseRow.id, DisconnectionCaseRow.category, DisconnectionCaseRow.planned_cut)
            .where(DisconnectionCaseRow.state == CaseState.NOTICE_SENT)
            .order_by(DisconnectionCaseRow.id)
        ).all()
    finals, refused = [], []
    for case_id, category, cut in waiting:
        klass = rules.for_class(category)
        left = aware(cut) - moment
        if (
            not timedelta(minutes=klass.final_notice_minutes)
            <= left
            <= timedelta(hours=klass.final_notice_window_hours)
        ):
            continue
        try:
            finals.append(send_final_notice(ctx, actor=actor, case_id=case_id, at=moment, policy=rules))
        except CaseRefused as error:
            refused.append({"id": case_id, "reasons": _reasons_json(error.reasons)})
    reconnection = reconnect_paid(ctx, actor=actor, at=moment, link=link, control=control, policy=rules)
    return {
        "at": _iso(moment),
        "final_notices": finals,
        "refused": refused,
        "reconnection": reconnection.as_json(),
    }


# -- reading ---------------------------------------------------------------------------------------


def disconnection_queue(
    ctx: AppContext, *, actor: str | None, states: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """The cases (open ones by default; ``states`` to choose), oldest first, with the account's
    customer and its arrears now (from the ledger)."""
    wanted = tuple(states) if states else OPEN_STATES
    unknown = [s for s in wanted if s not in CaseState._value2member_map_]
    if unknown:
        raise InputRefused(
            _("Unknown case state {state}; known: {known}").format(
                state=", ".join(unknown), known=", ".join(s.value for s in CaseState)
            )
        )
    now = ctx.clock.now()
    today = business_date(now)
    with use_case(ctx, actor=actor, action=Action.LEDGER_READ) as (session, _who):
        rows = session.execute(
            select(DisconnectionCaseRow, Account, Customer.name)
            .join(Account, Account.id == DisconnectionCaseRow.account_id)
            .join(Customer, Customer.id == Account.customer_id)
            .where(DisconnectionCaseRow.state.in_(wanted))
            .order_by(DisconnectionCaseRow.planned_cut, DisconnectionCaseRow.id)
        ).all()
        owed = overdue_by_account(session, as_of=today, account_ids=sorted({a.id for _r, a, _n in rows}))
        return [
            {
                **case_json(row, account=account, as_of=today),
                "customer_name": name,
                "arrears_now": str(owed.get(account.id, (ZERO, None))[0]),
            }
            for row, account, name in rows
        ]


def case_detail(
    ctx: AppContext, *, actor: str | None, case_id: int, policy: DunningPolicy | None = None
) -> dict[str, Any]:
    """One case: its summary, its steps, and what the core says now of each next step (the reasons
    it would be refused, in the user's language; empty means allowed)."""
    rules, now = policy or dunning_policy(ctx.settings), ctx.clock.now()
    with use_case(ctx, actor=actor, action=Action.LEDGER_READ) as (session, who):
        loaded = _load(session, case_id)
        state = _state_at(session, loaded, now)
        steps = session.scalars(
            select(DisconnectionStepRow)
            .where(DisconnectionStepRow.case_id == case_id)
            .order_by(DisconnectionStepRow.id)
        )
        current = CaseState(loaded.row.state)
        options: list[CaseState] = []
        if current not in (CaseState.RECONNECTED, CaseState.CANCELLED):
            options.append(PATH[PATH.index(current) + 1])
        if current in BEFORE_CUT:
            options.append(CaseState.CANCELLED)
        checks = {
            option.value: _reasons_json(
                check_transition(
                    policy=rules,
                    case=loaded.case,
                    to_state=option,
                    at=now,
                    by=who.username,
                    account=state,
                    supervisor=_supervisor(who),
                )
            )
            for option in options
        }
        customer = _customer(session, loaded.account)
        return {
            **_summary(session, loaded, now),
            "customer_name": customer.name,
            "arrears_now": str(state.arrears),
            "protected": [p for p in ("important", "low_income", "medical", "social") if getattr(state, p)],
            "steps": [
                {
                    "state": s.state,
                    "at": _iso(s.at),
                    "by": s.actor,
                    "detail": None if s.detail is None else json.loads(s.detail),
                }
                for s in steps
            ],
            "checks": checks,
        }


# -- protection ------------------------------------------------------------------------------------


def _protection_json(row: AccountProtection, account_no: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "account_no": account_no,
        "reason": row.reason,
        "note": row.note,
        "set_by": row.set_by,
        "set_at": _iso(row.set_at),
        "cleared_by": row.cleared_by,
        "cleared_at": _iso(row.cleared_at),
    }


def _protection_reason(reason: str) -> str:
    if reason not in PROTECTION_REASONS:
        raise InputRefused(
            _("A protection is {known}, not {reason}").format(
                known=" | ".join(PROTECTION_REASONS), reason=reason
            )
        )
    return reason


def set_protection(
    ctx: AppContext, *, actor: str | None, account_no: str, reason: str, note: str
) -> dict[str, Any]:
    """Flag an account as protected from disconnection (medical or social), with a note."""
    _protection_reason(reason)
    if not note.strip():
        raise InputRefused(_("Say why the account is protected."))
    now = ctx.clock.now()
    with use_case(ctx, actor=actor, action=Action.ARCHIVE_EDIT) as (session, who):
        account = find_account(session, account_no=account_no)
        held = session.scalar(
            select(AccountProtection).where(
                AccountProtection.account_id == account.id,
                AccountProtection.reason == reason,
                AccountProtection.cleared_at.is_(None),
            )
        )
        if held is not None:
            raise InputRefused(
                _("{account_no} is already protected for this reason (since {since}).").format(
                    account_no=account_no, since=_iso(held.set_at)
                )
            )
        row = AccountProtection(
            account_id=account.id, reason=reason, note=note.strip()[:300], set_by=who.username, set_at=now
        )
        session.add(row)
        session.flush()
        view = _protection_json(row, account_no)
        record_audit(
            session,
            at=now,
            actor=who.username,
            action="disconnect.protect",
            object_type="account_protection",
            object_id=str(row.id),
            after=view,
        )
        return view


def clear_protection(
    ctx: AppContext, *, actor: str | None, account_no: str, reason: str, note: str
) -> dict[str, Any]:
    """End an account's medical or social protection, with a note."""
    _protection_reason(reason)
    if not note.strip():
        raise InputRefused(_("Say why the protection ends."))
    now = ctx.clock.now()
    with use_case(ctx, actor=actor, action=Action.ARCHIVE_EDIT) as (session, who):
        account = find_account(session, account_no=account_no)
        row = session.scalar(
            select(AccountProtection).where(
                AccountProtection.account_id == account.id,
                AccountProtection.reason == reason,
                AccountProtection.cleared_at.is_(None),
            )
        )
        if row is None:
            raise NotFound(_("{account_no} has no protection of this reason.").format(account_no=account_no))
        before = _protection_json(row, account_no)
        row.cleared_by, row.cleared_at = who.username, now
        session.flush()
        view = _protection_json(row, account_no)
        record_audit(
            session,
            at=now,
            actor=who.username,
            action="disconnect.unprotect",
            object_type="account_protection",
            object_id=str(row.id),
            before=before,
            after=view,
            reason=note.strip()[:300],
        )
        return view
