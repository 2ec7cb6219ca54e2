"""``m2c collect kpis --period P [--top N] [--json]`` through the real executable, on the real clock:
a clerk posts the month's bills, a cashier takes one payment, a manager reads the recovery rate,
the aging and the top debtor — as JSON (the public contract) and as tables."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from archive_factory import small_archive
from cli_runner import run_m2c
from kpi_bureau import issue_bill
from meter2cash.platform.clock import SystemClock, business_date
from meter2cash.platform.context import AppContext


def run_json(ctx: AppContext, *args: str, user: str) -> dict[str, Any]:
    done = run_m2c(ctx, *args, "--json", user=user)
    assert done.returncode == 0, done.stderr + done.stdout
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_a_manager_reads_the_months_recovery_rate_aging_and_top_debtor(ctx: AppContext) -> None:
    today = business_date(SystemClock().now())
    period = f"{today.year:04d}-{today.month:02d}"
    small_archive(ctx, accounts=3)
    soon, late = today + timedelta(days=10), today - timedelta(days=40)
    issue_bill(ctx, account_no="A0001", period=period, amount="100.00", due_on=soon, issued_on=today)
    issue_bill(ctx, account_no="A0002", period=period, amount="200.00", due_on=soon, issued_on=today)
    issue_bill(ctx, account_no="A0003", period=period, amount="300.00", due_on=late)

    before = run_json(ctx, "collect", "kpis", "--period", period, user="manager")
    assert before["unposted_bills"] == {"bills": 3, "amount": "600.00", "of_period": 3}
    assert before["recovery"]["recovery_rate_pct"] is None

    run_json(ctx, "collect", "post", user="billing_clerk")
    run_json(
        ctx, "collect", "pay", "--account", "A0001", "--amount", "100.00", "--key", "k-1", user="cashier"
    )

    kpis = run_json(ctx, "collect", "kpis", "--period", period, "--top", "5", user="manager")
    assert (kpis["period"], kpis["today"]) == (period, today.isoformat())
    assert kpis["unposted_bills"] == {"bills": 0, "amount": "0.00", "of_period": 0}
    recovery = kpis["recovery"]
    assert (recovery["bills"], recovery["issued"], recovery["collected"], recovery["outstanding"]) == (
        3,
        "600.00",
        "100.00",
        "500.00",
    )
    assert recovery["recovery_rate_pct"] == "16.67"
    assert recovery["window"]["closed"] is False
    assert kpis["year_to_date"]["recovery_rate_pct"] == "16.67"
    aging = kpis["aging"]
    assert aging["as_of"] == today.isoformat()
    assert aging["current"] == {"amount": "200.00", "bills": 1}
    assert [(b["key"], b["amount"], b["items"]) for b in aging["buckets"] if b["items"]] == [
        ("31-90", "300.00", 1)
    ]
    assert kpis["payments"]["by_channel"]["counter"]["amount"] == "100.00"
    assert kpis["month"]["principal_collected"] == "100.00"
    assert kpis["top_debtors"] == {
        "top": 5,
        "accounts": [
            {
                "account_no": "A0003",
                "customer_name": "客户3",
                "category": "residential",
                "principal": "300.00",
                "late_fees": "0.00",
                "oldest_due_on": late.isoformat(),
                "days_overdue": 40,
            }
        ],
    }

    shown = run_m2c(ctx, "collect", "kpis", "--period", period, user="manager")
    assert shown.returncode == 0, shown.stderr
    assert "16.67%" in shown.stdout and "A0003" in shown.stdout and "欠费账龄" in shown.stdout
    english = run_m2c(ctx, "collect", "kpis", "--period", period, user="manager", lang="en")
    assert "Arrears aging" in english.stdout and "Recovery rate" in english.stdout


def test_a_future_period_a_bad_top_and_an_unknown_user_are_refused(ctx: AppContext) -> None:
    today = business_date(SystemClock().now())
    ahead = date(today.year + 1, today.month, 1)
    future = run_m2c(ctx, "collect", "kpis", "--period", f"{ahead:%Y-%m}", "--json", user="manager")
    assert future.returncode == 3
    assert json.loads(future.stdout)["error"] == "input_refused"
    assert (
        run_m2c(ctx, "collect", "kpis", "--period", "2026-01", "--top", "-1", user="manager").returncode == 2
    )
    assert run_m2c(ctx, "collect", "kpis", "--period", "2026-01", user="nobody").returncode == 4
