"""The dashboard: today's work counted for the user's roles, and the latest periods' reading and
billing KPIs with their charts."""

from __future__ import annotations

import json
import re

from console_setup import bureau, text_of

from meter2cash.platform.context import AppContext
from web_client import staff_client


def work(html: str) -> dict[str, str]:
    """key of each waiting-work card → its count."""
    return dict(re.findall(r'id="work-(\w+)"[^>]*>\s*<span class="kpi">(\d+)', html))


def test_the_dashboard_counts_todays_work_for_the_users_roles(ctx: AppContext) -> None:
    bureau(ctx)
    manager = staff_client(ctx, "manager").get("/").text
    assert work(manager) == {
        "open_exceptions": "2",
        "pending_edits": "0",
        "flagged_bills": "1",
        "approved_bills": "2",
    }
    assert work(staff_client(ctx, "reviewer").get("/").text) == {
        "pending_edits": "0",
        "flagged_bills": "1",
        "approved_bills": "2",
    }
    cashier = staff_client(ctx, "cashier").get("/").text
    assert work(cashier) == {} and "您的岗位目前没有待办事项" in cashier


def test_the_dashboard_shows_the_latest_periods_kpis_with_charts(ctx: AppContext) -> None:
    bureau(ctx)
    page = staff_client(ctx, "meter_reader").get("/").text
    shown = text_of(page)
    assert "抄表指标 · 2026-07" in shown and "核算指标 · 2026-06" in shown
    assert "33.33 %" in shown  # one of the three July tasks read
    options = [json.loads(o.replace("&#39;", "'")) for o in re.findall(r"data-option='([^']*)'", page)]
    titles = {o["title"]["text"] for o in options}
    assert {"抄表指标（%）", "各类抄表异常数", "各状态账单数"} <= titles


def test_an_empty_bureau_shows_an_empty_dashboard(ctx: AppContext) -> None:
    page = staff_client(ctx, "admin").get("/")
    assert page.status_code == 200 and "尚未制定抄表计划" in page.text and "尚未计算任何电费" in page.text
