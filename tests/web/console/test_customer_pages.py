"""Customer 360 in the console: an account found by number, name, address or meter number, and
its archive, meter history, readings with a chart, bills and events on one page."""

from __future__ import annotations

from datetime import date

from console_setup import bureau, text_of

from meter2cash.platform.context import AppContext
from meter2cash.registry.service import assign_tariff
from web_client import staff_client


def test_an_account_is_found_by_its_number_name_address_or_meter_number(ctx: AppContext) -> None:
    bureau(ctx, name="张三")
    client = staff_client(ctx, "cashier")
    for term in ("A0001", "张三", "张三路", "m0001"):
        found = text_of(client.get("/customers", params={"q": term}).text)
        assert "A0001" in found and "A0002" not in found, term
    assert "A0002" in client.get("/customers?q=A000").text
    nothing = text_of(client.get("/customers", params={"q": "100%_"}).text)
    assert "没有与 100%_ 相符的户号" in nothing  # taken literally, not as a pattern


def test_customer_360_shows_the_archive_meters_readings_bills_and_events(ctx: AppContext) -> None:
    ids = bureau(ctx, name="张三")
    assign_tariff(
        ctx,
        actor="billing_clerk",
        account_no="A0001",
        tariff_code="MX-RES-TOU",
        effective_from=date(2026, 8, 1),
        reason="客户申请峰谷电价",
    )
    page = staff_client(ctx, "manager").get("/customers/A0001")
    shown = text_of(page.text)
    assert page.status_code == 200
    assert "张三" in shown and "RB01" in shown and "TA01 一号台区" in shown and "居民生活" in shown
    assert "SP0001 M0001 2025-01-01" in shown  # installed, with its multiplier and install reading
    assert "2026-07-15 M0001 99.0000" in shown and 'class="chart"' in page.text  # readings and charts
    assert "示数下降" in shown  # the reading exception of its meter
    assert f'href="/bills/{ids["A0001"]}"' in page.text
    assert "tariff.assign" in shown and "客户申请峰谷电价" in shown  # the account's events
    assert "MX-RES-TOU 2026-08-01" in shown
    assert 'action="/customers/A0001/portal-code"' in page.text


def test_a_user_without_the_audit_role_sees_no_events_and_an_unknown_account_is_not_found(
    ctx: AppContext,
) -> None:
    bureau(ctx)
    reader = staff_client(ctx, "meter_reader")
    page = reader.get("/customers/A0001")
    assert page.status_code == 200 and "事件记录" not in page.text and "portal-code" not in page.text
    missing = reader.get("/customers/A9999")
    assert missing.status_code == 404 and "未知户号：A9999" in missing.text
