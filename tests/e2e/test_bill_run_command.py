"""``m2c bill run | summary | show`` through the real executable on the test database."""

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


def bureau(ctx: AppContext) -> None:
    small_archive(ctx, accounts=3)
    load_catalog(ctx, actor="manager", path=bundled_catalog_path())
    with unit_of_work(ctx.sessions) as session:
        for account, kwh in zip(
            session.scalars(select(Account).order_by(Account.id)), ("300", "120"), strict=False
        ):
            session.add(
                BillingDeterminant(
                    account_id=account.id,
                    period="2026-06",
                    start_on=date(2026, 5, 15),
                    end_on=date(2026, 6, 15),
                    days=31,
                    kwh_total=Decimal(kwh),
                    quality="actual",
                    detail="{}",
                    computed_by="billing_clerk",
                )
            )


def test_a_clerk_runs_the_bills_and_reads_them_back(ctx: AppContext) -> None:
    bureau(ctx)
    run = run_m2c(ctx, "bill", "run", "--period", "2026-06", "--json", user="billing_clerk")
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["priced"] == 2 and report["unchanged"] == 0
    assert report["unpriced"] == [
        {"account_no": "A0003", "reason": "没有本期已结算的计费电量（抄表未完成或未结算）"}
    ]
    assert report["revenue_by_category"] == {"residential": "197.52"}  # 145.80 + 51.72

    summary = json.loads(
        run_m2c(ctx, "bill", "summary", "--period", "2026-06", "--json", user="reviewer").stdout
    )
    assert summary["bills"] == 2 and summary["total"] == "197.52"
    assert summary["by_category"]["residential"]["bills"] == "2"

    shown = run_m2c(ctx, "bill", "show", "A0001", "--period", "2026-06", "--json", user="reviewer")
    bill = json.loads(shown.stdout)
    assert bill["bill"]["total"] == "145.80" and bill["bill"]["state"] == "draft"
    assert [line["code"] for line in bill["lines"]] == [
        "energy.tier1",
        "energy.tier2",
        "energy.tier3",
        "fund.renewable",
    ]

    again = json.loads(
        run_m2c(ctx, "bill", "run", "--period", "2026-06", "--json", user="billing_clerk").stdout
    )
    assert again["priced"] == 0 and again["unchanged"] == 2


def test_the_run_shows_a_readable_summary(ctx: AppContext) -> None:
    bureau(ctx)
    run = run_m2c(ctx, "bill", "run", "--period", "2026-06", user="billing_clerk")
    assert run.returncode == 0, run.stderr
    assert "计算 2 户" in run.stdout and "居民生活 residential: 197.52" in run.stdout


def test_a_meter_reader_is_refused(ctx: AppContext) -> None:
    bureau(ctx)
    assert run_m2c(ctx, "bill", "run", "--period", "2026-06", user="meter_reader").returncode == 4


def test_a_bad_period_is_refused(ctx: AppContext) -> None:
    bureau(ctx)
    assert run_m2c(ctx, "bill", "run", "--period", "June", user="billing_clerk").returncode == 3


def test_an_account_without_a_bill_is_not_found(ctx: AppContext) -> None:
    bureau(ctx)
    assert run_m2c(ctx, "bill", "show", "A0003", "--period", "2026-06", user="reviewer").returncode == 6
