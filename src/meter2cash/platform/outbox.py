"""The message outbox: customer messages queued in the deciding transaction, sent by a worker
(docs/dunning-disconnection.md, "The message outbox").

- `enqueue` puts one message in ``message_outbox`` inside the caller's transaction: the message
  exists if and only if the decision that made it commits. A message whose ``dedupe_key`` is
  already queued (in any state) is not queued again: `enqueue` answers None. The check is a plain
  SELECT (no savepoint); the unique index on ``dedupe_key`` is the backstop against a concurrent
  writer, whose transaction then fails whole.
- `send_pending` is the worker: it takes the pending messages one at a time, each in its own short
  transaction — on PostgreSQL ``SELECT … FOR UPDATE SKIP LOCKED``, so two workers never take the
  same message; on SQLite the ``BEGIN IMMEDIATE`` write lock serialises them — sends it through
  the `Sender` of its channel, and records the outcome with an audit record in that transaction.
  A message is sent at most once more after a crash between the gateway's answer and the commit;
  a message marked sent is never sent again. A failed send counts an attempt and keeps the error;
  after ``max_attempts`` (``M2C_OUTBOX_MAX_ATTEMPTS``, 5) the message is marked failed. A message
  of a channel with no configured sender stays pending, and the report counts it.
- Senders: `SmtpSender` (stdlib ``smtplib``, UTF-8 subject and body), `HttpSmsSender` (a JSON POST
  ``{"to", "text", "ref"}`` with a bearer token; any answer other than 2xx is a failure) and
  `LetterSender` (the letter is queued for printing; nothing leaves the system).
  `senders_from_settings` builds the configured ones from ``M2C_SMTP_*`` / ``M2C_SMS_*``.
"""

from __future__ import annotations

import json
import smtplib
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from meter2cash.platform.audit import record_audit
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.platform.outbox_model import CHANNELS, STATUSES, OutboxMessage
from meter2cash.platform.permissions import Action
from meter2cash.platform.settings import Settings
from meter2cash.platform.users import require, resolve_actor

WORKER = "outbox-worker"
TIMEOUT_SECONDS = 30.0


class SendFailed(Exception):
    """A gateway refused or could not take the message; the text says why."""


class Sender(Protocol):
    def send(self, message: OutboxMessage) -> str:
        """Hand the message to the gateway; return the gateway's reference, or raise `SendFailed`."""
        ...


# -- queueing -----------------------------------------------------------------------------------------


def enqueue(
    session: Session,
    *,
    channel: str,
    recipient: str,
    subject: str,
    body: str,
    purpose: str,
    dedupe_key: str,
    at: datetime,
    account_id: int | None = None,
) -> OutboxMessage | None:
    """Queue one message in the caller's transaction; None (nothing queued) when a message with
    ``dedupe_key`` is already in the outbox."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown outbox channel {channel!r} (known: {', '.join(CHANNELS)})")
    if at.tzinfo is None:
        raise ValueError("outbox time must be timezone-aware")
    if not recipient.strip():
        raise ValueError(f"a {channel} message needs a recipient")
    seen = session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key))
    if seen is not None:
        return None
    message = OutboxMessage(
        channel=channel,
        recipient=recipient.strip()[:300],
        subject=subject[:200],
        body=body,
        purpose=purpose[:40],
        dedupe_key=dedupe_key,
        account_id=account_id,
        created_at=at,
        status="pending",
        attempts=0,
    )
    session.add(message)
    session.flush()
    return message


def status_counts(session: Session) -> dict[str, dict[str, int]]:
    """How many messages are in each status, by channel: ``{status: {channel: n}}``."""
    counts: dict[str, dict[str, int]] = {status: {} for status in STATUSES}
    rows = session.execute(
        select(OutboxMessage.status, OutboxMessage.channel, func.count()).group_by(
            OutboxMessage.status, OutboxMessage.channel
        )
    )
    for status, channel, count in rows:
        counts.setdefault(status, {})[channel] = int(count)
    return counts


# -- the worker ---------------------------------------------------------------------------------------


@dataclass
class SendReport:
    """What one pass of the worker did."""

    channels: tuple[str, ...]  # the channels with a sender
    sent: Counter[str] = field(default_factory=Counter)  # by channel
    retrying: Counter[str] = field(default_factory=Counter)  # failed this time, still pending
    failed: Counter[str] = field(default_factory=Counter)  # failed for good this time
    no_sender: dict[str, int] = field(default_factory=dict)  # pending, their channel not configured
    errors: list[dict[str, object]] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "channels": list(self.channels),
            "sent": sum(self.sent.values()),
            "sent_by_channel": dict(sorted(self.sent.items())),
            "retrying": sum(self.retrying.values()),
            "failed": sum(self.failed.values()),
            "no_sender": dict(sorted(self.no_sender.items())),
            "errors": self.errors,
        }


def send_pending(
    ctx: AppContext,
    *,
    senders: Mapping[str, Sender],
    now: datetime,
    limit: int = 500,
    max_attempts: int | None = None,
    actor: str | None = None,
) -> SendReport:
    """Send up to ``limit`` pending messages of the channels in ``senders``, oldest first, one
    transaction each. ``actor`` (a staff user allowed to run dunning) is checked first and named in
    the audit records; without it the records name ``outbox-worker``."""
    if now.tzinfo is None:
        raise ValueError("the worker's time must be timezone-aware")
    attempts_allowed = max_attempts if max_attempts is not None else ctx.settings.outbox_max_attempts
    who = WORKER
    if actor is not None:
        with unit_of_work(ctx.sessions) as session:
            user = resolve_actor(session, username=actor)
            require(user, Action.DUNNING_RUN)
            who = user.username
    channels = tuple(sorted(c for c in senders if c in CHANNELS))
    report = SendReport(channels=channels)
    last_id = 0
    for _ in range(max(limit, 0) if channels else 0):
        with unit_of_work(ctx.sessions) as session:
            message = _claim(session, channels=channels, after=last_id)
            if message is None:
                break
            last_id = message.id
            _send_one(session, message, sender=senders[message.channel], who=who, now=now)
            if message.status == "sent":
                report.sent[message.channel] += 1
                continue
            if message.attempts >= attempts_allowed:
                _fail(session, message, who=who, now=now)
                report.failed[message.channel] += 1
            else:
                report.retrying[message.channel] += 1
            report.errors.append(
                {
                    "id": message.id,
                    "channel": message.channel,
                    "status": message.status,
                    "error": message.last_error,
                }
            )
    with unit_of_work(ctx.sessions) as session:
        waiting = session.execute(
            select(OutboxMessage.channel, func.count())
            .where(OutboxMessage.status == "pending", OutboxMessage.channel.not_in(channels or ("",)))
            .group_by(OutboxMessage.channel)
        )
        report.no_sender = {channel: int(count) for channel, count in waiting}
    return report


def _claim(session: Session, *, channels: tuple[str, ...], after: int) -> OutboxMessage | None:
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == "pending",
            OutboxMessage.channel.in_(channels),
            OutboxMessage.id > after,
        )
        .order_by(OutboxMessage.id)
        .limit(1)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return session.scalar(query)


def _send_one(session: Session, message: OutboxMessage, *, sender: Sender, who: str, now: datetime) -> None:
    before = {"status": message.status, "attempts": message.attempts}
    try:
        ref = sender.send(message)
    except (SendFailed, OSError, smtplib.SMTPException) as error:
        message.attempts += 1
        message.last_error = (str(error) or type(error).__name__)[:500]
        record_audit(
            session,
            at=now,
            actor=who,
            action="outbox.attempt_failed",
            object_type="outbox_message",
            object_id=str(message.id),
            before=before,
            after={"status": message.status, "attempts": message.attempts, "error": message.last_error},
        )
        return
    message.attempts += 1
    message.status, message.sent_at, message.provider_ref = "sent", now, ref[:200]
    message.last_error = None
    record_audit(
        session,
        at=now,
        actor=who,
        action="outbox.sent",
        object_type="outbox_message",
        object_id=str(message.id),
        before=before,
        after={"status": "sent", "attempts": message.attempts, "provider_ref": message.provider_ref},
    )


def _fail(session: Session, message: OutboxMessage, *, who: str, now: datetime) -> None:
    message.status = "failed"
    record_audit(
        session,
        at=now,
        actor=who,
        action="outbox.failed",
        object_type="outbox_message",
        object_id=str(message.id),
        before={"status": "pending", "attempts": message.attempts},
        after={"status": "failed", "attempts": message.attempts, "error": message.last_error},
    )


# -- senders ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpSender:
    """E-mail through an SMTP server (no TLS or login: a relay on the bureau's network)."""

    host: str
    port: int
    sender_address: str
    timeout: float = TIMEOUT_SECONDS

    def send(self, message: OutboxMessage) -> str:
        mail = EmailMessage()
        mail["Subject"] = message.subject
        mail["From"] = self.sender_address
        mail["To"] = message.recipient
        ref = make_msgid(domain=self.sender_address.rpartition("@")[2] or None)
        mail["Message-ID"] = ref
        mail.set_content(message.body, charset="utf-8")
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                refused = smtp.send_message(mail)
        except smtplib.SMTPException as error:
            raise SendFailed(f"SMTP: {error}") from error
        if refused:
            raise SendFailed(f"SMTP refused {', '.join(refused)}")
        return ref


@dataclass(frozen=True)
class HttpSmsSender:
    """SMS through an HTTP gateway: ``POST url`` with ``{"to", "text", "ref"}`` as JSON and
    ``Authorization: Bearer <token>``; a 2xx answer is accepted, its JSON ``id`` (if any) kept."""

    url: str
    token: str | None = None
    timeout: float = TIMEOUT_SECONDS

    def send(self, message: OutboxMessage) -> str:
        ref = f"m2c-{message.id}"
        payload = json.dumps({"to": message.recipient, "text": message.body, "ref": ref}, ensure_ascii=False)
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(
            self.url, data=payload.encode("utf-8"), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status, answer = response.status, response.read(64 * 1024)
        except urllib.error.HTTPError as error:
            raise SendFailed(f"SMS gateway answered HTTP {error.code}") from error
        except urllib.error.URLError as error:
            raise SendFailed(f"SMS gateway unreachable: {error.reason}") from error
        if not 200 <= status < 300:
            raise SendFailed(f"SMS gateway answered HTTP {status}")
        try:
            data = json.loads(answer) if answer else None
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("id"), str | int):
            return f"sms:{data['id']}"
        return ref


@dataclass(frozen=True)
class LetterSender:
    """A printed letter: queued for the print room; nothing leaves the system."""

    def send(self, message: OutboxMessage) -> str:
        return f"letter:{message.id}"


def senders_from_settings(settings: Settings) -> dict[str, Sender]:
    """The senders of the configured channels: letters always; e-mail when ``M2C_SMTP_HOST`` and
    ``M2C_SMTP_FROM`` are set; SMS when ``M2C_SMS_URL`` is."""
    senders: dict[str, Sender] = {"letter": LetterSender()}
    if settings.smtp_host and settings.smtp_from:
        senders["email"] = SmtpSender(settings.smtp_host, settings.smtp_port, settings.smtp_from)
    if settings.sms_url:
        senders["sms"] = HttpSmsSender(settings.sms_url, settings.sms_token)
    return senders
