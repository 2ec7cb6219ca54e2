"""``m2c collect agreements-import | bank-export | bank-import | reconcile | reconcile-resolve |
reconciliations`` through the real executable: a clerk records agreements, exports the debit file,
imports the test bank's answer once (again: nothing posted twice), reconciles the statement, and
a supervisor resolves the one difference; a bad file is refused whole with exit code 3."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from archive_factory import small_archive
from bank_bureau import AGREEMENTS
from cli_runner import run_m2c
from ledger_bureau import issue
from meter2cash.collection.bank_simulator import answer_debit_file, statement_batch_line
from meter2cash.collection.month_end import post_issued_bills
from meter2cash.platform.clock import SystemClock, business_date
from meter2cash.platform.context import AppContext


def run_json(ctx: AppContext, *args: str, user: str) -> dict[str, Any]:
    done = run_m2c(ctx, *args, "--json", user=user)
    assert done.returncode == 0, done.stderr + done.stdout
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_a_withholding_batch_goes_out_comes_back_once_and_is_reconciled(
    ctx: AppContext, tmp_path: Path
) -> None:
    today = business_date(SystemClock().now())
    small_archive(ctx, accounts=2)
    issue(ctx, account_no="A0001", period="2026-01", amount="120.00", due_on=today)
    post_issued_bills(ctx, actor="billing_clerk")
    agreements = tmp_path / "agreements.csv"
    agreements.write_text(AGREEMENTS.replace("A0002,ICBC", "A0002,BOC"), encoding="utf-8")
    recorded = run_json(ctx, "collect", "agreements-import", "--file", str(agreements), user="cashier")
    assert recorded["added"] == 2

    debit = tmp_path / "debit.csv"
    export = run_json(ctx, "collect", "bank-export", "--bank", "ICBC", "--out", str(debit), user="cashier")
    assert (export["rows"], export["total"]) == (1, "120.00")
    assert debit.read_bytes().decode("utf-8-sig").splitlines()[-1] == "合计,ICBC,1,120.00"

    result = tmp_path / "result.csv"
    result.write_bytes(answer_debit_file(data=debit.read_bytes(), on=today))
    imported = run_json(ctx, "collect", "bank-import", "--file", str(result), user="cashier")
    assert imported["succeeded"] == 1 and imported["payments"]["posted"] == 1
    again = run_json(ctx, "collect", "bank-import", "--file", str(result), user="cashier")
    assert again["already_imported"] is True

    statement = tmp_path / "statement.csv"
    statement.write_text(
        statement_batch_line(batch=export["batch"], on=today, amount=Decimal("120.00"), bank_ref="B1")
        + f"{today.isoformat()},9.00,B2,A0002,李秀英,电费,单笔,\r\n",
        encoding="utf-8",
    )
    report = run_json(ctx, "collect", "reconcile", "--file", str(statement), user="cashier")
    assert report["matched"] == {"count": 1, "amount": "120.00"}
    [difference] = report["differences"]
    assert difference["kind"] == "missing_in_ledger" and difference["bank_ref"] == "B2"

    resolved = run_json(
        ctx,
        "collect",
        "reconcile-resolve",
        "--item",
        str(difference["id"]),
        "--resolution",
        "accept_with_note",
        "--note",
        "客户转错账户，银行退回",
        user="manager",
    )
    assert resolved["state"] == "resolved"
    runs = run_json(ctx, "collect", "reconciliations", user="cashier")
    assert runs["runs"][0]["open"] == 0
    shown = run_json(ctx, "collect", "reconciliations", "--run", str(report["run_id"]), user="cashier")
    assert shown["differences"][0]["note"] == "客户转错账户，银行退回"

    bad = tmp_path / "bad.csv"
    bad.write_text(statement.read_text(encoding="utf-8").replace("9.00", "9.001"), encoding="utf-8")
    refused = run_m2c(ctx, "collect", "reconcile", "--file", str(bad), "--json", user="cashier")
    assert refused.returncode == 3
    assert "整个文件被拒绝" in json.loads(refused.stdout)["summary"]
    human = run_m2c(ctx, "collect", "reconciliations", user="cashier")
    assert human.returncode == 0 and "statement.csv" in human.stdout
