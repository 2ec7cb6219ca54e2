"""The reminder preference and staff enrolment on SQLite and PostgreSQL: a customer's choice is
saved and audited, a malformed contact is refused; staff with the right issue a code on a page
(and with ``m2c portal enrol``), shown once; the demo enrols customers who can log in."""

from __future__ import annotations

import json
import re

from portal_setup import customer_client, enrolled, issued_bureau
from sqlalchemy import select

from archive_factory import small_archive
from cli_runner import run_m2c
from meter2cash.demo.portal_demo import enrol_demo_customers
from meter2cash.platform.audit import AuditRecord
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.registry.portal_access import activate
from meter2cash.registry.portal_model import PortalUser
from web_client import staff_client


def test_the_reminder_preference_is_saved_and_audited(ctx: AppContext) -> None:
    small_archive(ctx, accounts=1)
    customer = customer_client(ctx, "A0001", enrolled(ctx, "A0001"))
    answer = customer.post(
        "/portal/reminders", data={"channel": "sms", "contact": "+86 139-1234-5678"}, follow_redirects=False
    )
    assert answer.status_code == 303
    page = customer.get(answer.headers["location"])
    assert "已保存" in page.text and 'value="13912345678"' in page.text
    with unit_of_work(ctx.sessions) as session:
        user = session.scalars(select(PortalUser)).one()
        record = session.scalars(select(AuditRecord).where(AuditRecord.action == "portal.reminders")).one()
    assert (user.reminder_channel, user.reminder_contact) == ("sms", "13912345678")
    assert record.actor == "customer:A0001" and json.loads(record.after or "{}")["contact"] == "13912345678"


def test_a_malformed_contact_is_refused_and_nothing_is_saved(ctx: AppContext) -> None:
    small_archive(ctx, accounts=1)
    customer = customer_client(ctx, "A0001", enrolled(ctx, "A0001"))
    for channel, contact in (("sms", "12345"), ("email", "not-an-address"), ("fax", "")):
        answer = customer.post("/portal/reminders", data={"channel": channel, "contact": contact})
        assert answer.status_code == 422, (channel, contact)
    with unit_of_work(ctx.sessions) as session:
        assert session.scalars(select(PortalUser)).one().reminder_contact is None


def test_staff_issue_a_code_on_a_page_that_shows_it_once(ctx: AppContext) -> None:
    small_archive(ctx, accounts=1)
    page = staff_client(ctx, "cashier").post("/customers/A0001/portal-code")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    found = re.search(r'class="kpi"[^>]*>(\d{4}) (\d{4})<', page.text)
    assert found is not None
    code = found.group(1) + found.group(2)
    assert activate(ctx, account_no="A0001", code=code, password="from-the-page").account_id is not None
    assert staff_client(ctx, "meter_reader").post("/customers/A0001/portal-code").status_code == 403
    assert staff_client(ctx, "cashier").post("/customers/A9999/portal-code").status_code == 404


def test_the_command_line_prints_the_code_once(ctx: AppContext) -> None:
    small_archive(ctx, accounts=1)
    done = run_m2c(ctx, "portal", "enrol", "A0001", "--json", user="billing_clerk")
    assert done.returncode == 0, done.stderr
    issued = json.loads(done.stdout)
    assert issued["account_no"] == "A0001" and re.fullmatch(r"\d{8}", issued["code"])
    assert activate(ctx, account_no="A0001", code=issued["code"], password="from-the-cli").account_id


def test_the_demo_enrols_customers_with_issued_bills_who_can_log_in(ctx: AppContext) -> None:
    issued_bureau(ctx)
    enrolled_customers = enrol_demo_customers(ctx, actor="admin", count=2)
    assert [number for number, _password in enrolled_customers] == ["A0001", "A0002"]
    number, password = enrolled_customers[0]
    assert customer_client(ctx, number, password).get("/portal/").status_code == 200
