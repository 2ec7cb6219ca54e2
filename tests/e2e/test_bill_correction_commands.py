"""``m2c bill correction propose | approve | reject | list | show`` through the real executable on
the test database: a clerk proposes from the stored bill, the proposer is refused as approver,
a reviewer approves and the adjustment bill is numbered."""

from __future__ import annotations

import json
from pathlib import Path

from cli_runner import run_m2c
from correction_bureau import issued_bills
from meter2cash.platform.context import AppContext


def test_a_clerk_proposes_and_a_reviewer_approves(ctx: AppContext, tmp_path: Path) -> None:
    bills = issued_bills(ctx)
    case = tmp_path / "misread.json"
    case.write_text(
        json.dumps({"reason": "misread", "parameters": {"billed_reading": "1234", "right_reading": "1243"}}),
        encoding="utf-8",
    )
    june = str(bills["A0001", "2026-06"])
    proposed = run_m2c(
        ctx,
        "bill", "correction", "propose", "--input", str(case), "--account", "A0001", "--bills", june,
        "--reason", "示数抄错", "--json",
        user="billing_clerk",
    )  # fmt: skip
    assert proposed.returncode == 0, proposed.stdout + proposed.stderr
    view = json.loads(proposed.stdout)
    assert (
        view["state"] == "proposed" and view["money_difference"] == "6.58" and view["kwh_difference"] == "9"
    )

    again = run_m2c(
        ctx, "bill", "correction", "propose", "--input", str(case), "--account", "A0001", "--bills", june,
        "--json", user="billing_clerk",
    )  # fmt: skip
    assert again.returncode == 3
    assert "重复退补" in again.stdout

    own = run_m2c(
        ctx, "bill", "correction", "approve", str(view["id"]), "--reason", "ok", user="billing_clerk"
    )
    assert own.returncode == 4  # a billing clerk may not approve at all

    approved = run_m2c(
        ctx,
        "bill",
        "correction",
        "approve",
        str(view["id"]),
        "--reason",
        "照片核实",
        "--json",
        user="reviewer",
    )
    assert approved.returncode == 0, approved.stderr
    decided = json.loads(approved.stdout)
    assert decided["state"] == "approved" and decided["adjustment_bill_no"] == "2026-000001"

    listed = run_m2c(ctx, "bill", "correction", "list", "--json", user="reviewer")
    assert [(c["id"], c["state"]) for c in json.loads(listed.stdout)] == [(view["id"], "approved")]
    table = run_m2c(ctx, "bill", "correction", "list", user="reviewer")
    assert "抄错" in table.stdout and "6.58" in table.stdout

    shown = json.loads(
        run_m2c(ctx, "bill", "correction", "show", str(view["id"]), "--json", user="reviewer").stdout
    )
    assert shown["detail"]["result"]["rule"].startswith("抄错")


def test_the_proposer_is_refused_as_approver(ctx: AppContext, tmp_path: Path) -> None:
    bills = issued_bills(ctx)
    case = tmp_path / "tariff.json"
    case.write_text(
        json.dumps({"reason": "wrong_tariff", "parameters": {"right_tariff": "MX-GEN-1"}}), encoding="utf-8"
    )
    june = str(bills["A0002", "2026-06"])
    proposed = run_m2c(
        ctx, "bill", "correction", "propose", "--input", str(case), "--account", "A0002", "--bills", june,
        "--json", user="manager",
    )  # fmt: skip
    assert proposed.returncode == 0, proposed.stdout + proposed.stderr
    correction = json.loads(proposed.stdout)["id"]
    refused = run_m2c(ctx, "bill", "correction", "reject", str(correction), "--reason", "x", user="manager")
    assert refused.returncode == 4 and "四眼原则" in refused.stderr
    rejected = run_m2c(
        ctx,
        "bill",
        "correction",
        "reject",
        str(correction),
        "--reason",
        "电价无误",
        "--json",
        user="reviewer",
    )
    assert json.loads(rejected.stdout)["state"] == "rejected"
    bad = run_m2c(ctx, "bill", "correction", "propose", "--input", str(case), "--account", "A0002",
                  "--bills", "x,", "--json", user="billing_clerk")  # fmt: skip
    assert bad.returncode == 3 and "--bills" in bad.stdout
