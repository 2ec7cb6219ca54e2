"""``m2c collect dunning | send-notices`` through the real executable: a clerk runs dunning for an
account six days overdue (the reminder by SMS), again the same day (nothing added), and sends the
outbox with no SMS gateway configured (the SMS waits, the report says so); a meter reader is
refused."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from archive_factory import small_archive
from cli_runner import run_m2c
from ledger_bureau import issue
from meter2cash.collection.month_end import post_issued_bills
from meter2cash.platform.clock import SystemClock, business_date
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.registry.model import Account, Customer


def run_json(ctx: AppContext, *args: str, user: str) -> dict[str, Any]:
    done = run_m2c(ctx, *args, "--json", user=user)
    assert done.returncode == 0, done.stderr + done.stdout
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_dunning_queues_the_reminder_once_and_send_notices_reports_the_missing_gateway(
    ctx: AppContext,
) -> None:
    today = business_date(SystemClock().now())
    small_archive(ctx, accounts=2)
    issue(ctx, account_no="A0001", period="2026-01", amount="120.00", due_on=today - timedelta(days=6))
    issue(ctx, account_no="A0002", period="2026-02", amount="80.00", due_on=today + timedelta(days=10))
    post_issued_bills(ctx, actor="billing_clerk")
    with unit_of_work(ctx.sessions) as session:
        customer = session.scalar(
            select(Customer)
            .join(Account, Account.customer_id == Customer.id)
            .where(Account.account_no == "A0001")
        )
        assert customer is not None
        customer.phone = "13800138001"

    report = run_json(ctx, "collect", "dunning", "--on", today.isoformat(), user="billing_clerk")
    assert report["on"] == today.isoformat()
    assert (report["accounts_examined"], report["notices"], report["messages_queued"]) == (1, 1, 1)
    assert report["by_step_channel"] == {"reminder": {"sms": 1}}
    again = run_json(ctx, "collect", "dunning", user="billing_clerk")
    assert again["notices"] == 0 and again["skipped"] == {"not_yet_due": 1}

    sent = run_json(ctx, "collect", "send-notices", "--limit", "10", user="billing_clerk")
    assert sent["channels"] == ["letter"] and sent["sent"] == 0
    assert sent["no_sender"] == {"sms": 1}

    refused = run_m2c(ctx, "collect", "dunning", "--json", user="meter_reader")
    assert refused.returncode != 0 and json.loads(refused.stdout)["error"]
    bad_day = run_m2c(ctx, "collect", "dunning", "--on", "16.03.2026", "--json", user="billing_clerk")
    assert bad_day.returncode != 0 and "YYYY-MM-DD" in bad_day.stdout
