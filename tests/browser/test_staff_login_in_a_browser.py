"""A staff user logs in to the console in a real browser, in Chinese by default, and switches to
English; a wrong password is refused on the page."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from browser_steps import log_in, screenshot


def test_a_reviewer_logs_in_and_sees_the_dashboard_in_chinese(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/login")
    expect(page.locator("h1")).to_have_text("员工登录")
    screenshot(page, "01-login")
    log_in(page, live_server, "reviewer")
    expect(page.locator("h1")).to_have_text("工作台")
    screenshot(page, "02-dashboard")


def test_a_wrong_password_is_refused_on_the_page(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "cashier")
    page.fill("input[name=password]", "not-the-password")
    page.click("button[type=submit]")
    expect(page.locator(".refusal")).to_contain_text("用户名或密码错误")


def test_the_console_switches_to_english(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/login?lang=en")
    expect(page.locator("h1")).to_have_text("Staff login")
    page.goto(f"{live_server}/login")
    expect(page.locator("h1")).to_have_text("Staff login")
