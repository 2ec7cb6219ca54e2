"""``m2c bill review | queue | approve | reject | issue | kpis`` through the real executable: a clerk
runs the bills, a reviewer reviews and decides the flagged one, a clerk issues the route book."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from archive_factory import small_archive
from cli_runner import run_m2c
from meter2cash.billing.catalog import load_catalog
from meter2cash.billing.catalog_files import bundled_catalog_path
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.reading.model import BillingDeterminant
from meter2cash.registry.model import Account

PERIOD = "2026-06"


def bureau(ctx: AppContext) -> None:
    """Three accounts; the third was billed on an estimate, so review flags it."""
    small_archive(ctx, accounts=3)
    load_catalog(ctx, actor="manager", path=bundled_catalog_path())
    with unit_of_work(ctx.sessions) as session:
        for account, kwh, quality in zip(
            session.scalars(select(Account).order_by(Account.id)),
            ("300", "120", "200"),
            ("actual", "actual", "estimated"),
            strict=True,
        ):
            session.add(
                BillingDeterminant(
                    account_id=account.id,
                    period=PERIOD,
                    start_on=date(2026, 5, 15),
                    end_on=date(2026, 6, 15),
                    days=31,
                    kwh_total=Decimal(kwh),
                    quality=quality,
                    detail="[]",
                    computed_by="billing_clerk",
                )
            )


def m2c_json(ctx: AppContext, *args: str, user: str) -> object:
    result = run_m2c(ctx, *args, "--json", user=user)
    assert result.returncode == 0, result.stderr + result.stdout
    return json.loads(result.stdout)


def test_a_period_goes_from_draft_bills_to_issued_bills(ctx: AppContext) -> None:
    bureau(ctx)
    m2c_json(ctx, "bill", "run", "--period", PERIOD, user="billing_clerk")

    review = m2c_json(ctx, "bill", "review", "--period", PERIOD, user="reviewer")
    assert review == {
        "period": PERIOD,
        "scope": "*",
        "reviewed": 3,
        "auto_approved": 2,
        "flagged": 1,
        "flagged_by_code": {"ESTIMATED": 1},
        "notes_by_code": {},
    }

    queue = m2c_json(ctx, "bill", "queue", "--period", PERIOD, user="reviewer")
    assert isinstance(queue, list) and len(queue) == 1
    flagged = queue[0]
    assert (flagged["route_book"], flagged["account_no"]) == ("RB01", "A0003")
    assert flagged["findings"][0]["code"] == "ESTIMATED"
    shown = run_m2c(ctx, "bill", "queue", user="reviewer")
    assert "A0003" in shown.stdout and "估抄电量" in shown.stdout

    refused = run_m2c(ctx, "bill", "approve", str(flagged["bill_id"]), "--reason", "ok", user="billing_clerk")
    assert refused.returncode == 4  # a billing clerk may not review

    approved = m2c_json(
        ctx, "bill", "approve", str(flagged["bill_id"]), "--reason", "估抄量与上月相符", user="reviewer"
    )
    assert approved == {
        "bill_id": flagged["bill_id"],
        "state": "approved",
        "back_to": None,
        "reading_exception_id": None,
    }
    again = run_m2c(ctx, "bill", "reject", str(flagged["bill_id"]), "--reason", "x", user="reviewer")
    assert again.returncode == 3 and "flagged" in again.stderr  # no longer flagged: refused with the reason

    issued = m2c_json(ctx, "bill", "issue", "--period", PERIOD, "--route-book", "RB01", user="billing_clerk")
    assert isinstance(issued, dict)
    year = issued["first_bill_no"][:4]  # the year of the issue day (the real clock here)
    assert (issued["issued"], issued["first_bill_no"], issued["last_bill_no"]) == (
        3,
        f"{year}-000001",
        f"{year}-000003",
    )
    assert [b["account_no"] for b in issued["bills"]] == ["A0001", "A0002", "A0003"]

    twice = m2c_json(ctx, "bill", "issue", "--period", PERIOD, "--route-book", "RB01", user="billing_clerk")
    assert isinstance(twice, dict) and (twice["issued"], twice["already_issued"]) == (0, 3)

    bill = m2c_json(ctx, "bill", "show", "A0001", "--period", PERIOD, user="reviewer")
    assert isinstance(bill, dict) and bill["bill"]["state"] == "issued"
    assert bill["bill"]["bill_no"] == f"{year}-000001"
    issued_on, due_on = (
        date.fromisoformat(bill["bill"]["issued_on"]),
        date.fromisoformat(bill["bill"]["due_on"]),
    )
    assert (due_on - issued_on).days == 15  # residential payment terms
    assert issued["bills"][0]["due_on"] == bill["bill"]["due_on"]

    kpis = m2c_json(ctx, "bill", "kpis", "--period", PERIOD, user="reviewer")
    assert isinstance(kpis, dict)
    assert kpis["by_state"] == {"issued": 3}
    assert kpis["review"]["flagged_by_code"] == {"ESTIMATED": 1}
    assert kpis["review"]["rejection_rate_pct"] == "0.00"
    table = run_m2c(ctx, "bill", "kpis", "--period", PERIOD, user="reviewer")
    assert table.returncode == 0 and "审核退回率" in table.stdout and "发行及时率" in table.stdout

    assert run_m2c(ctx, "audit", "verify").returncode == 0


def test_a_rejection_back_to_reading_shows_in_the_reading_exception_queue(ctx: AppContext) -> None:
    bureau(ctx)
    run_m2c(ctx, "bill", "run", "--period", PERIOD, user="billing_clerk")
    run_m2c(ctx, "bill", "review", "--period", PERIOD, user="reviewer")
    queue = m2c_json(ctx, "bill", "queue", user="reviewer")
    assert isinstance(queue, list)
    rejected = run_m2c(
        ctx,
        "bill",
        "reject",
        str(queue[0]["bill_id"]),
        "--reason",
        "估抄偏高，请复抄",
        "--back-to",
        "reading",
        user="reviewer",
    )
    assert rejected.returncode == 0, rejected.stderr
    assert "抄表异常" in rejected.stdout
    exceptions = m2c_json(ctx, "read", "exceptions", user="billing_clerk")
    assert isinstance(exceptions, list)
    assert [(e["code"], e["meter_no"]) for e in exceptions] == [("BILL_REJECTED", "M0003")]


def test_issuing_a_book_with_nothing_approved_is_refused(ctx: AppContext) -> None:
    bureau(ctx)
    run_m2c(ctx, "bill", "run", "--period", PERIOD, user="billing_clerk")
    refused = run_m2c(ctx, "bill", "issue", "--period", PERIOD, "--route-book", "RB01", user="billing_clerk")
    assert refused.returncode == 3
    assert "draft 3" in refused.stderr
