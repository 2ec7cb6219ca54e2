"""``m2c collect account | pay | reverse-request | reverse-approve | trial-balance`` through the real
executable, on the real clock: a cashier sees what an account owes with today's late fee, takes
the money once (a retry posts nothing), a supervisor approves a reversal, the ledger balances."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from archive_factory import small_archive
from cli_runner import run_m2c
from ledger_bureau import issue
from meter2cash.platform.clock import SystemClock, business_date
from meter2cash.platform.context import AppContext


def run_json(ctx: AppContext, *args: str, user: str) -> dict[str, Any]:
    done = run_m2c(ctx, *args, user=user)
    assert done.returncode == 0, done.stderr + done.stdout
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_a_cashier_takes_an_overdue_payment_once_and_a_supervisor_reverses_it(ctx: AppContext) -> None:
    today = business_date(SystemClock().now())
    small_archive(ctx, accounts=2)
    bill_no = issue(
        ctx, account_no="A0001", period="2026-01", amount="100.00", due_on=today - timedelta(days=20)
    )

    shown = run_m2c(ctx, "collect", "account", "A0001", "--json", user="cashier")
    assert shown.returncode == 0, shown.stderr
    view = json.loads(shown.stdout)
    assert view["bills"][0]["bill_no"] == bill_no
    assert view["bills"][0]["late_fee"] == "2.00"  # residential 1‰ × 20 days × 100.00
    assert view["balance"]["owed"] == "102.00"

    args = ("collect", "pay", "--account", "A0001", "--amount", "102.00", "--key", "till-1", "--json")
    paid = run_m2c(ctx, *args, user="cashier")
    assert paid.returncode == 0, paid.stderr
    result = json.loads(paid.stdout)
    assert result["receipt_no"].startswith(f"SJ{today.year}-")
    assert result["balance_after"]["owed"] == "0.00"
    retried = json.loads(run_m2c(ctx, *args, user="cashier").stdout)
    assert retried["replayed"] is True and retried["payment_id"] == result["payment_id"]

    refused = run_m2c(ctx, "collect", "pay", "--account", "A0001", "--amount", "0", "--json", user="cashier")
    assert refused.returncode == 3
    assert "zero" in json.loads(refused.stdout)["summary"] or "零" in json.loads(refused.stdout)["summary"]

    asked = run_m2c(
        ctx,
        "collect",
        "reverse-request",
        "--payment",
        result["receipt_no"],
        "--reason",
        "收错金额",
        "--json",
        user="cashier",
    )
    assert asked.returncode == 0, asked.stderr
    reversal = json.loads(asked.stdout)["id"]
    denied = run_m2c(ctx, "collect", "reverse-approve", str(reversal), "--reason", "ok", user="cashier")
    assert denied.returncode == 4
    approved = run_m2c(
        ctx, "collect", "reverse-approve", str(reversal), "--reason", "核实", "--json", user="manager"
    )
    assert approved.returncode == 0, approved.stderr + approved.stdout
    assert json.loads(approved.stdout)["state"] == "approved"

    again = run_json(ctx, "collect", "account", "A0001", "--json", user="cashier")
    assert again["balance"]["owed"] == "102.00"
    trial = run_json(ctx, "collect", "trial-balance", "--json", user="manager")
    assert trial["total"] == "0.00"
    assert date.fromisoformat(again["as_of"]) == today
