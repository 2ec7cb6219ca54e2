"""Online payment in the customer portal, in a real browser (Chromium through Playwright): a
customer logs in, sees what they owe with today's late fee, pays it through the local test
gateway's page, comes back to the portal and owes nothing; the payment is posted once. A
screenshot of each key screen is written for people to look at."""

from __future__ import annotations

import re
from datetime import date

from playwright.sync_api import Page, expect
from sqlalchemy import select

from archive_factory import small_archive
from browser_steps import screenshot
from ledger_bureau import issue
from meter2cash.collection.ledger_model import Payment
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from web.portal.portal_setup import enrolled


def test_a_customer_pays_what_they_owe_through_the_test_gateway_and_owes_nothing(
    page: Page, bureau: AppContext, live_server: str
) -> None:
    small_archive(bureau, accounts=2)
    issue(bureau, account_no="A0001", period="2026-01", amount="200.00", due_on=date(2026, 2, 10))
    password = enrolled(bureau, "A0001")

    page.set_viewport_size({"width": 820, "height": 1180})  # a tablet
    page.goto(f"{live_server}/portal/login")
    page.fill("input[name=account_no]", "A0001")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page.locator(".kpi.owed")).to_contain_text("203.80")

    page.click("nav.mainnav >> text=欠费与缴费")
    expect(page).to_have_url(f"{live_server}/portal/balance")
    overdue = page.locator("table.owed-bills tr", has_text="T2026-01-A0001")
    expect(overdue).to_contain_text("已逾期")
    expect(overdue).to_contain_text("3.80")  # today's late fee: 19 days at 1‰ of 200.00
    expect(page.locator(".kpi.owed")).to_contain_text("203.80")
    screenshot(page, "20-portal-balance")

    page.click("a.pay-link")
    expect(page.locator("form.pay-form input[name=amount]")).to_have_value("203.80")
    screenshot(page, "21-portal-pay")
    page.click("form.pay-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/portal/gateway/test/[^/]+$"))
    expect(page.locator(".test-gateway .amount")).to_have_text("¥203.80")
    expect(page.locator(".test-gateway")).to_contain_text("A0001")
    screenshot(page, "22-test-gateway")

    page.click("button.pay")
    expect(page).to_have_url(re.compile(r"/portal/pay/return\?order=.+&status=paid$"))
    expect(page.locator(".pay-result .paid")).to_contain_text("已缴费 203.80 元")
    expect(page.locator(".pay-result .kpi.owed")).to_contain_text("0.00")
    screenshot(page, "23-portal-paid")

    page.go_back()  # the gateway page again: paying the same order twice takes the money once
    page.click("button.pay")
    expect(page.locator(".pay-result .paid")).to_be_visible()

    page.click("text=返回欠费与缴费")
    expect(page.locator(".kpi.owed")).to_contain_text("0.00")
    expect(page.locator(".nothing-owed")).to_be_visible()
    expect(page.locator("table.payments")).to_contain_text("网上缴费")
    with unit_of_work(bureau.sessions) as session:
        [payment] = session.scalars(select(Payment)).all()
        assert (payment.channel, payment.source, str(payment.amount)) == ("portal", "test", "203.80")
