"""The dunning run (催费) on SQLite and PostgreSQL, on the bank bureau's bills (120.00 for A0001,
88.15 for A0002, 50.00 for A0003, all due 2026-03-10): an account 6 days overdue gets the
reminder by the channels it can be reached on, the same day again adds nothing, 21 days overdue
brings the second reminder, a paid account gets nothing, the portal preference narrows the
channels, protected customers are still reminded, and the notices, their messages and the run's
audit record commit together or not at all."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from bank_bureau import audited, bank_bureau
from meter2cash.collection import dunning_service, gl
from meter2cash.collection.dunning_model import DunningNotice
from meter2cash.collection.dunning_service import dunning_notices, run_dunning
from meter2cash.collection.payment_service import take_payment
from meter2cash.collection.payments import PaymentRequest
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.platform.outbox_model import OutboxMessage
from meter2cash.platform.users import PermissionDenied
from meter2cash.registry.model import Account, Customer
from meter2cash.registry.portal_model import PortalUser

SIX_DAYS = date(2026, 3, 16)
TWENTY_ONE_DAYS = date(2026, 3, 31)


def contact(
    ctx: AppContext, account_no: str, *, phone: str | None = None, address: str | None = None
) -> None:
    with unit_of_work(ctx.sessions) as session:
        account = session.scalar(select(Account).where(Account.account_no == account_no))
        assert account is not None
        customer = session.get(Customer, account.customer_id)
        assert customer is not None
        customer.phone, customer.address = phone, address


def portal(ctx: AppContext, account_no: str, *, channel: str, to: str | None) -> None:
    """The customer activated the portal and chose how to be reminded."""
    with unit_of_work(ctx.sessions) as session:
        account_id = session.scalar(select(Account.id).where(Account.account_no == account_no))
        assert account_id is not None
        session.add(
            PortalUser(
                account_id=account_id,
                password_hash="$argon2id$test",
                failed_logins=0,
                reminder_channel=channel,
                reminder_contact=to,
            )
        )


def protect(ctx: AppContext, account_no: str) -> None:
    with unit_of_work(ctx.sessions) as session:
        account = session.scalar(select(Account).where(Account.account_no == account_no))
        assert account is not None
        account.important, account.low_income = True, True


def messages(ctx: AppContext, account_no: str) -> list[tuple[str, str, str]]:
    """(channel, recipient, purpose) of the account's queued messages, in order."""
    with unit_of_work(ctx.sessions) as session:
        rows = session.execute(
            select(OutboxMessage.channel, OutboxMessage.recipient, OutboxMessage.purpose)
            .join(Account, Account.id == OutboxMessage.account_id)
            .where(Account.account_no == account_no)
            .order_by(OutboxMessage.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def counts(ctx: AppContext) -> tuple[int, int]:
    with unit_of_work(ctx.sessions) as session:
        notices = len(list(session.scalars(select(DunningNotice.id))))
        queued = len(list(session.scalars(select(OutboxMessage.id))))
        return notices, queued


@pytest.fixture
def bureau(ctx: AppContext) -> AppContext:
    bank_bureau(ctx)
    contact(ctx, "A0001", phone="13800138001", address="北京市东城区一号")
    contact(ctx, "A0002", phone="13800138002", address="北京市东城区二号")
    contact(ctx, "A0003", address="北京市东城区三号")
    return ctx


def test_an_account_six_days_overdue_gets_the_reminder_by_the_channels_it_can_be_reached_on(
    bureau: AppContext,
) -> None:
    report = run_dunning(bureau, actor="billing_clerk", on=SIX_DAYS)
    assert report.accounts_examined == 3 and report.by_step == {"reminder": 3}
    # The reminder goes by SMS and e-mail; nobody has an e-mail address, A0003 has no phone: a letter.
    assert messages(bureau, "A0001") == [("sms", "13800138001", "dunning:reminder")]
    assert messages(bureau, "A0003") == [("letter", "北京市东城区三号 客户3", "dunning:reminder")]
    assert report.as_json()["by_channel"] == {"letter": 1, "sms": 2}
    assert report.as_json()["channel_unreachable"] == {"email": 3, "sms": 1}
    with unit_of_work(bureau.sessions) as session:
        body = session.scalar(
            select(OutboxMessage.body).where(
                OutboxMessage.dedupe_key == "dunning:A0001:reminder:2026-03-10:sms"
            )
        )
        subject = session.scalar(
            select(OutboxMessage.subject).where(OutboxMessage.recipient == "13800138001")
        )
    assert body is not None and "A0001" in body and "120.00" in body and "逾期" in body
    assert subject == "电费催交通知"
    [notice] = [n for n in dunning_notices(bureau, account_no="A0001")]
    assert notice.as_json()["channels"] == ["sms"] and notice.arrears == Decimal("120.00")
    assert notice.oldest_due_date == date(2026, 3, 10) and notice.outbox_status == "pending"


def test_running_again_the_same_day_adds_nothing(bureau: AppContext) -> None:
    run_dunning(bureau, actor="billing_clerk", on=SIX_DAYS)
    before = counts(bureau)
    again = run_dunning(bureau, actor="billing_clerk", on=SIX_DAYS)
    assert again.notices == 0 and again.messages == 0
    assert again.as_json()["skipped"] == {"not_yet_due": 3}
    assert counts(bureau) == before


def test_twenty_one_days_overdue_brings_the_second_reminder(bureau: AppContext) -> None:
    run_dunning(bureau, actor="billing_clerk", on=SIX_DAYS)
    later = run_dunning(bureau, actor="billing_clerk", on=TWENTY_ONE_DAYS)
    assert later.by_step == {"second_reminder": 3}
    assert messages(bureau, "A0001")[1:] == [
        ("sms", "13800138001", "dunning:second_reminder"),
        ("letter", "北京市东城区一号 客户1", "dunning:second_reminder"),
    ]
    after = run_dunning(bureau, actor="billing_clerk", on=date(2026, 4, 20))
    assert after.notices == 0 and after.as_json()["skipped"] == {"all_steps_sent": 3}


def test_a_late_first_run_sends_the_reminder_first_never_the_second(bureau: AppContext) -> None:
    report = run_dunning(bureau, actor="billing_clerk", on=TWENTY_ONE_DAYS)
    assert report.by_step == {"reminder": 3}


def test_a_paid_account_gets_nothing(bureau: AppContext) -> None:
    request = PaymentRequest(
        account_no="A0003",
        amount=Decimal("50.00"),
        channel=gl.Channel.COUNTER,
        method=gl.Method.CASH,
        source="counter",
        idempotency_key="pay-A0003",
        paid_on=bureau.clock.now().date(),
    )
    take_payment(bureau, actor="cashier", request=request)
    report = run_dunning(bureau, actor="billing_clerk", on=SIX_DAYS)
    assert report.accounts_examined == 2
    assert messages(bureau, "A0003") == []


def test_the_portal_preference_narrows_the_channels_and_none_still_gets_a_letter(bureau: AppContext) -> None:
    portal(bureau, "A0001", channel="sms", to="13900139000")
    portal(bureau, "A0002", channel="none", to=None)
    run_dunning(bureau, actor="billing_clerk", on=SIX_DAYS)
    run_dunning(bureau, actor="billing_clerk", on=TWENTY_ONE_DAYS)
    assert [m[:2] for m in messages(bureau, "A0001")] == [("sms", "13900139000")] * 2
    assert [m[:2] for m in messages(bureau, "A0002")] == [("letter", "北京市东城区二号 客户2")] * 2


def test_an_email_preference_sends_email_to_the_portal_address(bureau: AppContext) -> None:
    portal(bureau, "A0001", channel="email", to="kehu@example.cn")
    run_dunning(bureau, actor="billing_clerk", on=SIX_DAYS)
    assert messages(bureau, "A0001") == [("email", "kehu@example.cn", "dunning:reminder")]


def test_important_and_low_income_customers_still_get_reminders(bureau: AppContext) -> None:
    protect(bureau, "A0001")
    report = run_dunning(bureau, actor="billing_clerk", on=SIX_DAYS)
    assert report.by_step == {"reminder": 3}
    assert messages(bureau, "A0001") == [("sms", "13800138001", "dunning:reminder")]


def test_the_notices_their_messages_and_the_audit_record_commit_together(
    bureau: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit store down")

    monkeypatch.setattr(dunning_service, "record_audit", broken)
    with pytest.raises(RuntimeError):
        run_dunning(bureau, actor="billing_clerk", on=SIX_DAYS)
    assert counts(bureau) == (0, 0)
    monkeypatch.undo()
    report = run_dunning(bureau, actor="billing_clerk", on=SIX_DAYS)
    [record] = audited(bureau, "dunning.run")
    assert record.object_id == "2026-03-16" and '"notices":3' in (record.after or "").replace(" ", "")
    assert counts(bureau) == (3, report.messages)


def test_a_meter_reader_may_not_run_dunning(bureau: AppContext) -> None:
    with pytest.raises(PermissionDenied):
        run_dunning(bureau, actor="meter_reader", on=SIX_DAYS)
    assert counts(bureau) == (0, 0)
