"""The counter (坐收柜台) in a real browser (Chromium through Playwright): a cashier logs in, finds
an account with an overdue bill, sees its late fee, takes the payment (a double click takes the
money once), opens the printable receipt with the amount in 大写, and the account owes nothing
afterwards. A screenshot of each key screen is written for people to look at."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from browser_steps import log_in, screenshot
from meter2cash.collection.ledger_model import Payment
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from web.console.counter_setup import counter_bureau


def test_a_cashier_takes_a_counter_payment_prints_the_receipt_and_the_account_owes_nothing(
    page: Page, bureau: AppContext, live_server: str
) -> None:
    counter_bureau(bureau)
    log_in(page, live_server, "cashier")
    page.click("nav.mainnav >> text=收费柜台")
    page.fill("form[role=search] input[name=q]", "客户")
    page.click("form[role=search] button[type=submit]")
    page.click("table.hits >> text=A0001")
    expect(page).to_have_url(re.compile(r"/counter/accounts/A0001$"))
    overdue = page.locator("table.arrears tr", has_text="T2026-01-A0001")
    expect(overdue).to_contain_text("已逾期")
    expect(overdue).to_contain_text("¥3.80")  # today's late fee: 19 days at 1‰ of 200.00
    expect(page.locator("dd.owed")).to_have_text("¥203.80")
    expect(page.locator("form.pay-form input[name=amount]")).to_have_value("203.80")
    screenshot(page, "11-counter-arrears")

    page.fill("form.pay-form input[name=payer]", "张三")
    page.dblclick("form.pay-form button[type=submit]")  # an impatient double click
    result = page.locator(".paid-result")
    expect(result).to_contain_text("SJ2026-0000001")
    expect(result).to_contain_text("违约金")
    expect(page.locator("dd.owed")).to_have_text("¥0.00")
    expect(page.locator(".nothing-owed")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/counter/accounts/A0001\?paid=\d+$"))
    screenshot(page, "12-counter-paid")
    with unit_of_work(bureau.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 1

    page.click(".paid-result >> text=打印收据")
    expect(page).to_have_url(re.compile(r"/receipts/\d+$"))
    receipt = page.locator("article.receipt")
    expect(receipt.locator(".receipt-no")).to_have_text("SJ2026-0000001")
    expect(receipt.locator(".amount-words")).to_contain_text("贰佰零叁元捌角整")
    expect(receipt.locator(".amount-figures")).to_have_text("¥203.80")
    expect(receipt).to_contain_text("示例供电公司")
    expect(receipt).to_contain_text("T2026-01-A0001")
    screenshot(page, "13-receipt")
    page.emulate_media(media="print")
    expect(page.locator("header.topbar")).to_be_hidden()  # printed without the menu
    expect(page.locator(".no-print")).to_be_hidden()
    expect(receipt).to_be_visible()
    screenshot(page, "14-receipt-printed")
    page.emulate_media(media="screen")

    page.click("text=返回收费柜台")
    expect(page.locator("dd.owed")).to_have_text("¥0.00")
    expect(page.locator("table.payments")).to_contain_text("SJ2026-0000001")
    expect(page.locator("table.statement tbody tr").first).to_contain_text("-¥203.80")
