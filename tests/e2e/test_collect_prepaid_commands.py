"""``m2c collect card-vend | card-reports | card-reconcile | prepaid-exceptions`` through the real
executable: a cashier sells to a card meter once (a retry sells nothing), a clerk imports what the
meter reports, the reconciliation opens the exception once, a bad file is refused whole."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cli_runner import run_m2c
from meter2cash.platform.clock import SystemClock, business_date
from meter2cash.platform.context import AppContext
from prepaid_bureau import csv_file, prepaid_bureau

HEADER = "meter_no,reported_on,unit,purchase_count,cumulative_purchase,remaining,cumulative_used"


def run_json(ctx: AppContext, *args: str, user: str, code: int = 0) -> dict[str, Any]:
    done = run_m2c(ctx, *args, user=user)
    assert done.returncode == code, done.stderr + done.stdout
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_a_cashier_vends_once_and_the_reconciliation_opens_an_exception(
    ctx: AppContext, tmp_path: Path
) -> None:
    today = business_date(SystemClock().now()).isoformat()
    prepaid_bureau(ctx, card=["A0001"])
    args = (
        "collect",
        "card-vend",
        "--account",
        "A0001",
        "--card",
        "C-1",
        "--amount",
        "43.10",
        "--key",
        "k1",
        "--json",
    )
    sold = run_json(ctx, *args, user="cashier")
    assert (sold["purchase_count"], sold["first_purchase"], sold["kwh"]) == (1, True, "100.0000")
    assert sold["balance_after"]["prepayment"] == "43.10"
    again = run_json(ctx, *args, user="cashier")
    assert again["replayed"] is True and again["vend_id"] == sold["vend_id"]
    gap = ("collect", "card-vend", "--account", "A0001", "--card", "C-1", "--amount", "1", "--key", "k2")
    refused = run_json(ctx, *gap, "--count", "5", "--json", user="cashier", code=3)
    assert refused["error"] == "input_refused"

    bad = csv_file(tmp_path, "bad.csv", HEADER, [f"M0001,{today},kwh,1,100,-30,x"])
    assert (
        run_json(ctx, "collect", "card-reports", "--file", str(bad), "--json", user="billing_clerk", code=3)[
            "problems"
        ][0]["column"]
        == "cumulative_used"
    )
    good = csv_file(tmp_path, "good.csv", HEADER, [f"M0001,{today},kwh,1,100,-30,130"])
    imported = run_json(ctx, "collect", "card-reports", "--file", str(good), "--json", user="billing_clerk")
    assert imported == {"rows": 1, "added": 1, "unchanged": 0}

    checked = run_json(ctx, "collect", "card-reconcile", "--on", today, "--json", user="billing_clerk")
    assert [e["kind"] for e in checked["opened"]] == ["used_more_than_bought"]
    again_checked = run_json(ctx, "collect", "card-reconcile", "--on", today, "--json", user="billing_clerk")
    assert again_checked["opened"] == [] and again_checked["already_open"] == 1
    listed = run_json(ctx, "collect", "prepaid-exceptions", "--json", user="billing_clerk")
    assert [(e["account_no"], e["state"]) for e in listed["exceptions"]] == [("A0001", "open")]
