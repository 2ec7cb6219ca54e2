"""The dunning screen (催费) with the test client: a billing clerk sees the outbox and runs dunning
for today, after which the notices are listed; a meter reader may not open it."""

from __future__ import annotations

from datetime import timedelta

from archive_factory import small_archive
from bank_bureau import audited
from ledger_bureau import issue
from meter2cash.collection.month_end import post_issued_bills
from meter2cash.platform.clock import business_date
from meter2cash.platform.context import AppContext
from web_client import staff_client


def test_a_clerk_runs_dunning_today_and_sees_the_notices_and_the_outbox(ctx: AppContext) -> None:
    today = business_date(ctx.clock.now())
    small_archive(ctx, accounts=1)
    issue(ctx, account_no="A0001", period="2026-01", amount="120.00", due_on=today - timedelta(days=6))
    post_issued_bills(ctx, actor="billing_clerk")
    client = staff_client(ctx, "billing_clerk")
    page = client.get("/dunning")
    assert page.status_code == 200
    assert "催费管理" in page.text and "待发消息" in page.text and "尚未发出催费通知" in page.text
    assert 'href="/dunning"' in page.text
    done = client.post("/dunning/run", follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/dunning"
    shown = client.get("/dunning")
    assert "逾期用户 1 户，催费通知 1 份" in shown.text
    assert "A0001" in shown.text and "催交" in shown.text and "信函" in shown.text
    assert len(audited(ctx, "dunning.run")) == 1


def test_a_meter_reader_may_not_open_the_dunning_screen(ctx: AppContext) -> None:
    client = staff_client(ctx, "meter_reader")
    assert client.get("/dunning", follow_redirects=False).status_code in {303, 403}
    assert client.post("/dunning/run", follow_redirects=False).status_code in {303, 403}
