"""Dunning (催费) use cases: the daily dunning run and the notices sent
(docs/dunning-disconnection.md, ``m2c collect dunning``).

`run_dunning` decides, in one unit of work, which accounts are due a dunning notice on a day and
queues the notices:

1. **State, set-based.** The overdue bills come from the ledger in one grouped query
   (`collection_kpi_queries.open_bills`: principal 应收电费 still owed per bill, in transactions
   dated up to the day); an account's arrears are its bills due before the day, its oldest due date
   the earliest of them. The accounts (class, protection flags, customer phone and address, the
   portal reminder preference) and their earlier ``dunning_notice`` rows are read in chunks of
   `CHUNK` accounts, never one query per account.
2. **The rule** is `dunning.next_dunning_step` with the policy (the shipped one by default).
   Protection flags (重要用户, 低保五保) are passed on: they bar a cut, not a reminder.
3. **A due step** writes one ``dunning_notice`` row and queues one outbox message per channel
   (`platform.outbox.enqueue`, dedupe key ``dunning:<account_no>:<step>:<oldest_due>:<channel>``),
   all in the run's transaction with its audit record. The channels are the step's, unless the
   customer chose a reminder channel in the portal: then that channel only (``sms``, ``email`` or
   ``letter``). A customer who chose **none** still gets a letter — a reminder (催交) is the legal
   precondition of a disconnection and must reach the customer. A channel with no address (no
   phone for SMS, no e-mail address — e-mail addresses come only from the portal) is dropped; when
   no channel of the step is left, the notice goes by letter to the address on file.
4. **The report** counts notices by step and by channel, the accounts examined (those with an
   overdue bill) and the accounts skipped by reason code (`dunning.DunningCode`, and
   ``unknown_category`` for a class the policy does not name).

Running the same day again sends nothing twice: the notice rows make the rule answer "sent today"
or "not yet due", and the dedupe keys stop a message being queued twice.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from meter2cash.collection.collection_kpi_queries import open_bills
from meter2cash.collection.dunning import AccountArrears, SentNotice, next_dunning_step
from meter2cash.collection.dunning_model import DunningNotice
from meter2cash.collection.dunning_policy import (
    DunningPolicy,
    DunningStep,
    NoticeChannel,
    UnknownCategory,
)
from meter2cash.collection.policies import dunning_policy
from meter2cash.platform.audit import record_audit
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.db import unit_of_work
from meter2cash.platform.i18n import N_, translations
from meter2cash.platform.money import fen_text
from meter2cash.platform.outbox import enqueue, status_counts
from meter2cash.platform.outbox_model import OutboxMessage
from meter2cash.platform.permissions import Action
from meter2cash.registry.model import Account, Customer
from meter2cash.registry.portal_model import PortalUser

CHUNK = 5000
PURPOSE = "dunning"
UNKNOWN_CATEGORY = "unknown_category"

SUBJECTS = {
    "reminder": N_("Electricity bill payment reminder"),
    "second_reminder": N_("Second reminder: overdue electricity bill"),
}
OTHER_SUBJECT = N_("Overdue electricity bill notice")
BODY = N_(
    "Dear customer, account {account_no}: electricity bills of {amount} yuan are overdue since "
    "{due_date} ({days} days). Please pay as soon as possible; supply to an account that stays "
    "unpaid may be stopped by the lawful procedure. {bureau}"
)


@dataclass(frozen=True, slots=True)
class _AccountRow:
    account_id: int
    account_no: str
    category: str
    important: bool
    low_income: bool
    name: str
    phone: str | None
    address: str | None
    preference: str | None  # the portal reminder channel, when the customer activated the portal
    contact: str | None


@dataclass
class DunningReport:
    """What one dunning run did."""

    on: date
    accounts_examined: int = 0
    notices: int = 0
    by_step: Counter[str] = field(default_factory=Counter)
    by_channel: Counter[str] = field(default_factory=Counter)
    by_step_channel: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    skipped: Counter[str] = field(default_factory=Counter)
    messages: int = 0
    duplicates: int = 0  # messages already in the outbox (their dedupe key was queued before)
    channel_unreachable: Counter[str] = field(default_factory=Counter)  # no address for the channel

    def as_json(self) -> dict[str, Any]:
        return {
            "on": self.on.isoformat(),
            "accounts_examined": self.accounts_examined,
            "notices": self.notices,
            "by_step": dict(sorted(self.by_step.items())),
            "by_channel": dict(sorted(self.by_channel.items())),
            "by_step_channel": {
                step: dict(sorted(counts.items())) for step, counts in sorted(self.by_step_channel.items())
            },
            "skipped": dict(sorted(self.skipped.items())),
            "messages_queued": self.messages,
            "messages_already_queued": self.duplicates,
            "channel_unreachable": dict(sorted(self.channel_unreachable.items())),
        }


def run_dunning(
    ctx: AppContext, *, actor: str | None, on: date, policy: DunningPolicy | None = None
) -> DunningReport:
    """The dunning run of day ``on``: notices written and queued in one unit of work, audited."""
    rules = policy or dunning_policy(ctx.settings)
    chinese = translations("zh_CN")
    now = ctx.clock.now()
    report = DunningReport(on=on)
    with use_case(ctx, actor=actor, action=Action.DUNNING_RUN) as (session, who):
        overdue = _overdue(session, on=on)
        report.accounts_examined = len(overdue)
        ids = sorted(overdue)
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            accounts = _accounts(session, chunk)
            earlier = _notices(session, chunk)
            for account_id in chunk:
                row = accounts[account_id]
                arrears, oldest = overdue[account_id]
                state = AccountArrears(
                    account=row.account_no,
                    category=row.category,
                    arrears=arrears,
                    oldest_due_date=oldest,
                    notices=tuple(earlier.get(account_id, ())),
                    important=row.important,
                    low_income=row.low_income,
                )
                try:
                    decision = next_dunning_step(policy=rules, as_of=on, account=state)
                except UnknownCategory:
                    report.skipped[UNKNOWN_CATEGORY] += 1
                    continue
                if decision.step is None:
                    report.skipped[decision.reason.code] += 1
                    continue
                _send(
                    session,
                    row=row,
                    step=decision.step,
                    arrears=arrears,
                    oldest=oldest,
                    days=decision.days_overdue,
                    on=on,
                    ctx=ctx,
                    who=who.username,
                    chinese=chinese,
                    report=report,
                )
        record_audit(
            session,
            at=now,
            actor=who.username,
            action="dunning.run",
            object_type="dunning_run",
            object_id=on.isoformat(),
            after=report.as_json(),
        )
    return report


def _overdue(session: Session, *, on: date) -> dict[int, tuple[Decimal, date]]:
    """Each account with a bill due before ``on`` still owing principal: its overdue amount and the
    oldest due date (one grouped query over the ledger)."""
    totals: dict[int, Decimal] = defaultdict(Decimal)
    oldest: dict[int, date] = {}
    for bill in open_bills(session, as_of=on):
        if bill.due_on < on:
            totals[bill.account_id] += bill.owed
            oldest[bill.account_id] = min(bill.due_on, oldest.get(bill.account_id, bill.due_on))
    return {account_id: (amount, oldest[account_id]) for account_id, amount in totals.items()}


def _accounts(session: Session, ids: Sequence[int]) -> dict[int, _AccountRow]:
    rows = session.execute(
        select(
            Account.id,
            Account.account_no,
            Account.category,
            Account.important,
            Account.low_income,
            Customer.name,
            Customer.phone,
            Customer.address,
            PortalUser.reminder_channel,
            PortalUser.reminder_contact,
            PortalUser.password_hash,
        )
        .join(Customer, Customer.id == Account.customer_id)
        .outerjoin(PortalUser, PortalUser.account_id == Account.id)
        .where(Account.id.in_(ids))
    )
    out: dict[int, _AccountRow] = {}
    for ident, number, category, important, low, name, phone, address, channel, contact, password in rows:
        active = password is not None  # the customer activated the portal and chose
        out[ident] = _AccountRow(
            account_id=ident,
            account_no=number,
            category=category,
            important=bool(important),
            low_income=bool(low),
            name=name,
            phone=phone,
            address=address,
            preference=channel if active else None,
            contact=contact if active else None,
        )
    return out


def _notices(session: Session, ids: Sequence[int]) -> dict[int, list[SentNotice]]:
    out: dict[int, list[SentNotice]] = defaultdict(list)
    rows = session.execute(
        select(DunningNotice.account_id, DunningNotice.step, DunningNotice.issued_on).where(
            DunningNotice.account_id.in_(ids)
        )
    )
    for account_id, step, issued_on in rows:
        out[account_id].append(SentNotice(step=step, sent_on=issued_on))
    return out


def notice_channels(*, step: DunningStep, preference: str | None) -> tuple[NoticeChannel, ...]:
    """The channels of a step for a customer: the portal preference replaces the step's channels;
    ``none`` means a letter (a legal reminder must reach the customer)."""
    if preference is None:
        return step.channels
    if preference == "none":
        return (NoticeChannel.LETTER,)
    return (NoticeChannel(preference),)


def _recipient(row: _AccountRow, channel: NoticeChannel) -> str | None:
    if channel == NoticeChannel.SMS:
        return (row.contact if row.preference == "sms" else None) or row.phone or None
    if channel == NoticeChannel.EMAIL:
        return row.contact if row.preference == "email" else None
    return _postal(row)


def _postal(row: _AccountRow) -> str:
    return f"{row.address} {row.name}" if row.address else f"{row.name} ({row.account_no})"


def _send(
    session: Session,
    *,
    row: _AccountRow,
    step: DunningStep,
    arrears: Decimal,
    oldest: date,
    days: int,
    on: date,
    ctx: AppContext,
    who: str,
    chinese: Any,
    report: DunningReport,
) -> None:
    wanted = notice_channels(step=step, preference=row.preference)
    targets: list[tuple[NoticeChannel, str]] = []
    for channel in wanted:
        address = _recipient(row, channel)
        if address:
            targets.append((channel, address))
        else:
            report.channel_unreachable[channel.value] += 1
    if not targets:
        targets = [(NoticeChannel.LETTER, _postal(row))]
    now = ctx.clock.now()
    subject = chinese.gettext(SUBJECTS.get(step.name, OTHER_SUBJECT))
    body = chinese.gettext(BODY).format(
        account_no=row.account_no,
        amount=fen_text(arrears),
        due_date=oldest.isoformat(),
        days=days,
        bureau=ctx.settings.bureau_name,
    )
    first: int | None = None
    for channel, address in targets:
        message = enqueue(
            session,
            channel=channel.value,
            recipient=address,
            subject=subject,
            body=body,
            purpose=f"{PURPOSE}:{step.name}"[:40],
            dedupe_key=f"dunning:{row.account_no}:{step.name}:{oldest.isoformat()}:{channel.value}",
            at=now,
            account_id=row.account_id,
        )
        if message is None:
            report.duplicates += 1
            continue
        first = first if first is not None else message.id
        report.messages += 1
        report.by_channel[channel.value] += 1
        report.by_step_channel[step.name][channel.value] += 1
    session.add(
        DunningNotice(
            account_id=row.account_id,
            step=step.name,
            channel=",".join(channel.value for channel, _address in targets),
            issued_on=on,
            arrears=arrears,
            oldest_due_date=oldest,
            outbox_id=first,
            created_at=now,
            actor=who,
        )
    )
    report.notices += 1
    report.by_step[step.name] += 1


# -- display -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NoticeView:
    id: int
    account_no: str
    customer_name: str
    step: str
    channels: str
    issued_on: date
    arrears: Decimal
    oldest_due_date: date
    actor: str
    outbox_status: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "account_no": self.account_no,
            "customer_name": self.customer_name,
            "step": self.step,
            "channels": self.channels.split(",") if self.channels else [],
            "issued_on": self.issued_on.isoformat(),
            "arrears": fen_text(self.arrears),
            "oldest_due_date": self.oldest_due_date.isoformat(),
            "actor": self.actor,
            "outbox_status": self.outbox_status,
        }


def dunning_notices(
    ctx: AppContext, *, account_no: str | None = None, since: date | None = None, limit: int = 200
) -> list[NoticeView]:
    """The latest dunning notices (newest first), of one account and/or issued on or after ``since``."""
    query = (
        select(DunningNotice, Account.account_no, Customer.name, OutboxMessage.status)
        .join(Account, Account.id == DunningNotice.account_id)
        .join(Customer, Customer.id == Account.customer_id)
        .outerjoin(OutboxMessage, OutboxMessage.id == DunningNotice.outbox_id)
    )
    if account_no is not None:
        query = query.where(Account.account_no == account_no)
    if since is not None:
        query = query.where(DunningNotice.issued_on >= since)
    query = query.order_by(DunningNotice.issued_on.desc(), DunningNotice.id.desc()).limit(limit)
    with unit_of_work(ctx.sessions) as session:
        return [
            NoticeView(
                id=notice.id,
                account_no=number,
                customer_name=name,
                step=notice.step,
                channels=notice.channel,
                issued_on=notice.issued_on,
                arrears=notice.arrears,
                oldest_due_date=notice.oldest_due_date,
                actor=notice.actor,
                outbox_status=status,
            )
            for notice, number, name, status in session.execute(query)
        ]


def outbox_summary(ctx: AppContext) -> dict[str, dict[str, int]]:
    """The outbox's messages by status and channel: ``{status: {channel: n}}``."""
    with unit_of_work(ctx.sessions) as session:
        return status_counts(session)


def notices_count(ctx: AppContext, *, on: date) -> int:
    """How many dunning notices were issued on ``on``."""
    with unit_of_work(ctx.sessions) as session:
        return int(
            session.scalar(
                select(func.count()).select_from(DunningNotice).where(DunningNotice.issued_on == on)
            )
            or 0
        )
