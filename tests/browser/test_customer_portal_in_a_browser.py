"""The customer portal in a real browser: a cashier issues a one-time activation code from the
customer's page, the customer activates with it, chooses a password, sees the issued bill with
the balance and usage charts, and downloads the bill's PDF."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from browser_steps import log_in, screenshot
from meter2cash.platform.context import AppContext
from web.portal.portal_setup import bill_numbers, issued_bureau


def test_a_customer_activates_logs_in_and_sees_the_issued_bill(
    page: Page, browser: Browser, bureau: AppContext, live_server: str
) -> None:
    issued_bureau(bureau)
    number = bill_numbers(bureau)["A0001"]
    log_in(page, live_server, "cashier")
    page.goto(f"{live_server}/customers/A0001")
    page.locator("button", has_text="网上营业厅").click()
    code = re.sub(r"\s", "", page.locator(".kpi").inner_text())
    assert re.fullmatch(r"\d{8}", code)
    screenshot(page, "09-portal-activation-code")

    customer = browser.new_context(viewport={"width": 820, "height": 1180}, locale="zh-CN")  # a tablet
    portal = customer.new_page()
    portal.goto(f"{live_server}/portal/activate")
    portal.fill("input[name=account_no]", "A0001")
    portal.fill("input[name=code]", code)
    portal.fill("input[name=password]", "my-own-Passw0rd")
    portal.fill("input[name=password_again]", "my-own-Passw0rd")
    portal.click("button[type=submit]")
    expect(portal.locator("h1")).to_contain_text("A0001")  # activation logs the customer in
    portal.click("header form[action='/portal/logout'] button")
    portal.wait_for_url(f"{live_server}/portal/login")
    portal.fill("input[name=account_no]", "A0001")
    portal.fill("input[name=password]", "my-own-Passw0rd")
    portal.click("button[type=submit]")
    expect(portal.locator("h1")).to_contain_text("A0001")
    expect(portal.locator("table")).to_contain_text(number)
    portal.wait_for_selector(".chart svg")
    screenshot(portal, "10-portal-home")
    link = portal.locator("a", has_text="PDF").first
    pdf = portal.context.request.get(f"{live_server}{link.get_attribute('href')}")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    customer.close()
