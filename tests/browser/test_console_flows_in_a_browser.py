"""The console's key flows in a real browser (Chromium through Playwright) on the console tests'
small bureau: a clerk finds a customer; a meter reader proposes an edit of a reading exception and
a reviewer approves it (four eyes); a reviewer approves a flagged bill, issues the route book and
opens the bill's PDF. A screenshot of each key screen is written for people to look at."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from browser_steps import log_in, log_out, screenshot
from meter2cash.platform.context import AppContext
from web.console.console_setup import PERIOD, bill_states, edits
from web.console.console_setup import bureau as priced_bureau


def test_a_clerk_finds_a_customer_and_sees_the_whole_account(
    page: Page, bureau: AppContext, live_server: str
) -> None:
    priced_bureau(bureau)
    log_in(page, live_server, "billing_clerk")
    screenshot(page, "03-dashboard-billing-clerk")
    page.click("nav.mainnav >> text=客户档案")
    page.fill("input[name=q]", "A0001")
    page.click("form[role=search] button[type=submit]")
    page.click("table >> text=A0001")
    expect(page).to_have_url(re.compile(r"/customers/A0001$"))
    expect(page.locator("h1")).to_contain_text("A0001")
    screenshot(page, "04-customer-360")


def test_a_reading_exception_is_resolved_with_four_eyes_in_the_browser(
    page: Page, bureau: AppContext, live_server: str
) -> None:
    priced_bureau(bureau)
    log_in(page, live_server, "meter_reader")
    page.goto(f"{live_server}/exceptions")
    row = page.locator("tr.exception", has_text="ROLLBACK")
    row.locator("summary", has_text="修正示数").click()
    row.locator("input[name=total]").fill("150.00")
    row.locator("form.registers input[name=reason]").fill("现场复抄 150.00")
    row.locator("form.registers button[type=submit]").click()
    expect(page.locator("tr.exception .pending-edit")).to_be_visible()
    screenshot(page, "05-exception-edit-proposed")
    log_out(page, live_server)

    log_in(page, live_server, "reviewer")
    page.goto(f"{live_server}/exceptions?state=edit_pending")
    pending = page.locator("tr.exception", has_text="ROLLBACK")
    pending.locator(".pending-edit input[name=reason]").fill("照片核对无误")
    pending.locator(".pending-edit button", has_text="审核通过").click()
    expect(page.locator("tr.exception .done")).to_be_visible()
    screenshot(page, "06-exception-edit-approved")
    assert edits(bureau) == [("approved", "meter_reader", "reviewer")]


def test_a_reviewer_approves_a_flagged_bill_issues_the_book_and_opens_the_pdf(
    page: Page, bureau: AppContext, live_server: str
) -> None:
    ids = priced_bureau(bureau)
    log_in(page, live_server, "reviewer")
    page.goto(f"{live_server}/bills?period={PERIOD}")
    screenshot(page, "07-bill-review-queue")
    flagged = page.locator(f"tr#bill-{ids['A0003']}")
    flagged.locator("input[name=reason]").fill("估抄电量已与客户核实")
    flagged.locator("button", has_text="审核通过").click()
    expect(page.locator(f"tr#bill-{ids['A0003']} .done")).to_be_visible()
    page.goto(f"{live_server}/bills?period={PERIOD}")
    page.locator("#issue ~ div button", has_text="发行").click()
    expect(page.locator("body")).to_contain_text("已发行")
    assert set(bill_states(bureau).values()) == {"issued"}

    page.goto(f"{live_server}/bills/{ids['A0003']}")
    screenshot(page, "08-bill-detail")
    link = page.locator("a", has_text="打开 PDF")
    pdf = page.context.request.get(f"{live_server}{link.get_attribute('href')}")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    with page.context.expect_page() as opened:
        link.click()
    opened.value.close()
