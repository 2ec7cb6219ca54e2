"""The message outbox on SQLite and PostgreSQL: a message is queued once per dedupe key; the worker
sends e-mail to a real local SMTP server and SMS to a local HTTP stub, keeps a message pending with
its error when the gateway fails and marks it failed after the last attempt, leaves a channel
without a sender pending, and audits every outcome."""

from __future__ import annotations

import email
import email.policy
import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from pytest_httpserver import HTTPServer
from sqlalchemy import select
from werkzeug import Request, Response

import meter2cash.registry.model  # noqa: F401  (the outbox's account key refers to the registry)
from meter2cash.platform.audit import AuditRecord, verify_chain
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.platform.outbox import (
    HttpSmsSender,
    LetterSender,
    SmtpSender,
    enqueue,
    send_pending,
    senders_from_settings,
)
from meter2cash.platform.outbox_model import OutboxMessage
from meter2cash.platform.settings import Settings
from meter2cash.platform.users import PermissionDenied

NOW = datetime(2026, 3, 16, 1, 0, tzinfo=UTC)


class Inbox:
    def __init__(self) -> None:
        self.mails: list[email.message.EmailMessage] = []
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        self.mails.append(email.message_from_bytes(envelope.content, policy=email.policy.default))  # type: ignore[arg-type]
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def queue(ctx: AppContext, *, channel: str, recipient: str, key: str) -> int | None:
    with unit_of_work(ctx.sessions) as session:
        message = enqueue(
            session,
            channel=channel,
            recipient=recipient,
            subject="电费催交通知",
            body="尊敬的客户：您的电费已逾期，请尽快缴纳。",
            purpose="test",
            dedupe_key=key,
            at=NOW,
        )
        return None if message is None else message.id


def message(ctx: AppContext, ident: int) -> OutboxMessage:
    with unit_of_work(ctx.sessions) as session:
        found = session.get(OutboxMessage, ident)
        assert found is not None
        return found


def audit_actions(ctx: AppContext) -> list[str]:
    with unit_of_work(ctx.sessions) as session:
        assert verify_chain(session).ok
        query = select(AuditRecord.action).where(AuditRecord.action.like("outbox.%"))
        return list(session.scalars(query.order_by(AuditRecord.seq)))


def test_a_message_is_queued_once_per_dedupe_key(ctx: AppContext) -> None:
    first = queue(ctx, channel="letter", recipient="北京市 客户1", key="k-1")
    again = queue(ctx, channel="letter", recipient="北京市 客户1", key="k-1")
    assert first is not None and again is None
    with unit_of_work(ctx.sessions) as session:
        assert len(list(session.scalars(select(OutboxMessage)))) == 1
    assert message(ctx, first).status == "pending" and message(ctx, first).attempts == 0


def test_the_worker_sends_email_to_a_local_smtp_server_with_a_chinese_subject(
    ctx: AppContext, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    ident = queue(ctx, channel="email", recipient="kehu@example.cn", key="mail-1")
    assert ident is not None
    sender = SmtpSender("127.0.0.1", port, "cuifei@bureau.example.cn")
    report = send_pending(ctx, senders={"email": sender}, now=NOW)
    assert report.as_json()["sent"] == 1 and report.as_json()["sent_by_channel"] == {"email": 1}
    [mail] = inbox.mails
    assert mail["Subject"] == "电费催交通知"
    assert mail["To"] == "kehu@example.cn"
    assert "请尽快缴纳" in mail.get_content()
    sent = message(ctx, ident)
    assert (sent.status, sent.attempts, sent.provider_ref) == ("sent", 1, mail["Message-ID"])
    assert sent.sent_at is not None
    assert send_pending(ctx, senders={"email": sender}, now=NOW).as_json()["sent"] == 0  # never twice
    assert len(inbox.mails) == 1
    assert audit_actions(ctx) == ["outbox.sent"]


def test_the_worker_posts_an_sms_as_json_with_the_bearer_token(
    ctx: AppContext, httpserver: HTTPServer
) -> None:
    ident = queue(ctx, channel="sms", recipient="13800138000", key="sms-1")
    assert ident is not None
    seen: list[Request] = []

    def gateway(request: Request) -> Response:
        seen.append(request)
        return Response(json.dumps({"id": "GW-42"}), status=200, content_type="application/json")

    httpserver.expect_request("/sms", method="POST").respond_with_handler(gateway)
    report = send_pending(ctx, senders={"sms": HttpSmsSender(httpserver.url_for("/sms"), "s3cret")}, now=NOW)
    assert report.as_json()["sent"] == 1
    [request] = seen
    assert request.headers["Authorization"] == "Bearer s3cret"
    assert json.loads(request.get_data()) == {
        "to": "13800138000",
        "text": "尊敬的客户：您的电费已逾期，请尽快缴纳。",
        "ref": f"m2c-{ident}",
    }
    assert message(ctx, ident).provider_ref == "sms:GW-42"


def test_a_failing_sms_gateway_leaves_the_message_pending_then_failed_after_the_last_attempt(
    ctx: AppContext, httpserver: HTTPServer
) -> None:
    ident = queue(ctx, channel="sms", recipient="13800138000", key="sms-2")
    assert ident is not None
    httpserver.expect_request("/sms").respond_with_data("down", status=500)
    senders = {"sms": HttpSmsSender(httpserver.url_for("/sms"), "s3cret")}
    first = send_pending(ctx, senders=senders, now=NOW, max_attempts=3)
    assert first.as_json()["retrying"] == 1 and first.as_json()["failed"] == 0
    waiting = message(ctx, ident)
    assert (waiting.status, waiting.attempts) == ("pending", 1)
    assert waiting.last_error == "SMS gateway answered HTTP 500"
    send_pending(ctx, senders=senders, now=NOW, max_attempts=3)
    last = send_pending(ctx, senders=senders, now=NOW, max_attempts=3)
    assert last.as_json()["failed"] == 1
    failed = message(ctx, ident)
    assert (failed.status, failed.attempts, failed.sent_at) == ("failed", 3, None)
    assert send_pending(ctx, senders=senders, now=NOW).as_json()["errors"] == []  # no longer tried
    assert audit_actions(ctx) == ["outbox.attempt_failed"] * 3 + ["outbox.failed"]


def test_a_channel_without_a_sender_stays_pending_and_the_report_says_so(ctx: AppContext) -> None:
    letter = queue(ctx, channel="letter", recipient="北京市 客户1", key="letter-1")
    mail = queue(ctx, channel="email", recipient="kehu@example.cn", key="mail-2")
    assert letter is not None and mail is not None
    senders = senders_from_settings(Settings(data_dir=ctx.settings.data_dir))
    assert set(senders) == {"letter"}
    report = send_pending(ctx, senders=senders, now=NOW)
    assert report.as_json()["sent_by_channel"] == {"letter": 1}
    assert report.as_json()["no_sender"] == {"email": 1}
    assert message(ctx, letter).provider_ref == f"letter:{letter}"
    assert message(ctx, mail).status == "pending" and message(ctx, mail).attempts == 0


def test_the_configured_channels_come_from_the_settings() -> None:
    settings = Settings(
        smtp_host="127.0.0.1",
        smtp_from="cuifei@bureau.example.cn",
        sms_url="http://127.0.0.1:9/sms",
        sms_token="t",
    )
    senders = senders_from_settings(settings)
    assert isinstance(senders["letter"], LetterSender)
    assert isinstance(senders["email"], SmtpSender) and senders["email"].port == 25
    assert isinstance(senders["sms"], HttpSmsSender) and senders["sms"].token == "t"


def test_a_staff_user_who_may_not_run_dunning_may_not_send_the_outbox(ctx: AppContext) -> None:
    with pytest.raises(PermissionDenied):
        send_pending(ctx, senders={"letter": LetterSender()}, now=NOW, actor="meter_reader")
