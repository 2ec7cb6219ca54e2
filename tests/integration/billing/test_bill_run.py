"""``run_bills``: closed determinants become draft bills with explained lines, on SQLite and
PostgreSQL; re-running changes nothing, an interrupted run resumes, unpriceable accounts are
listed with the reason while the rest go on."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from archive_factory import small_archive
from meter2cash.billing.bill_model import Bill, BillLine, BillRun, BillRunIssue
from meter2cash.billing.bill_run import run_bills
from meter2cash.billing.catalog import load_catalog
from meter2cash.billing.catalog_files import bundled_catalog_path
from meter2cash.platform.audit import AuditRecord
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.platform.users import PermissionDenied
from meter2cash.reading.model import BillingDeterminant
from meter2cash.registry.model import Account, TariffAssignment

PERIOD = "2026-06"


def determinant(
    account_id: int,
    kwh: str,
    *,
    start: date = date(2026, 5, 15),
    end: date = date(2026, 6, 15),
    **extra: object,
) -> BillingDeterminant:
    return BillingDeterminant(
        account_id=account_id,
        period=PERIOD,
        start_on=start,
        end_on=end,
        days=(end - start).days,
        kwh_total=Decimal(kwh),
        quality="actual",
        detail="{}",
        computed_by="billing_clerk",
        **extra,
    )


def bureau(ctx: AppContext, *, accounts: int = 4) -> dict[str, int]:
    small_archive(ctx, accounts=accounts)
    load_catalog(ctx, actor="manager", path=bundled_catalog_path())
    with unit_of_work(ctx.sessions) as session:
        ids = {a.account_no: a.id for a in session.scalars(select(Account))}
        for number, kwh in (("A0001", "300"), ("A0002", "100"), ("A0003", "500")):
            if number in ids:
                session.add(determinant(ids[number], kwh))
    return ids


def bills(ctx: AppContext) -> dict[int, Bill]:
    with unit_of_work(ctx.sessions) as session:
        return {b.account_id: b for b in session.scalars(select(Bill))}


def count(ctx: AppContext, model: type) -> int:
    with unit_of_work(ctx.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_run_prices_every_closed_determinant_into_a_draft_bill_with_its_lines(ctx: AppContext) -> None:
    ids = bureau(ctx)
    report = run_bills(ctx, actor="billing_clerk", period=PERIOD)
    assert report.priced == 3
    stored = bills(ctx)
    first = stored[ids["A0001"]]
    assert first.state == "draft" and first.tariff_version == "MX-RES-1@2024-10-01"
    with unit_of_work(ctx.sessions) as session:
        lines = list(
            session.scalars(select(BillLine).where(BillLine.bill_id == first.id).order_by(BillLine.seq))
        )
    assert [line.code for line in lines][:3] == ["energy.tier1", "energy.tier2", "energy.tier3"]
    assert [line.quantity for line in lines][:3] == [Decimal(170), Decimal(90), Decimal(40)]
    assert sum(line.amount for line in lines) == first.total
    assert all(line.rule for line in lines)


def test_an_account_without_a_determinant_is_listed_and_the_rest_go_on(ctx: AppContext) -> None:
    bureau(ctx)
    report = run_bills(ctx, actor="billing_clerk", period=PERIOD)
    assert set(report.unpriced) == {"A0004"}
    assert "计费电量" in report.unpriced["A0004"]
    assert count(ctx, BillRunIssue) == 1


def test_an_account_without_a_tariff_is_listed_with_the_reason(ctx: AppContext) -> None:
    ids = bureau(ctx)
    with unit_of_work(ctx.sessions) as session:
        session.execute(
            TariffAssignment.__table__.delete().where(TariffAssignment.account_id == ids["A0002"])
        )
    report = run_bills(ctx, actor="billing_clerk", period=PERIOD)
    assert "未分配电价" in report.unpriced["A0002"]
    assert ids["A0002"] not in bills(ctx)
    assert report.priced == 2


def test_running_the_same_run_again_changes_and_duplicates_nothing(ctx: AppContext) -> None:
    bureau(ctx)
    run_bills(ctx, actor="billing_clerk", period=PERIOD)
    before = {a: (b.id, b.total) for a, b in bills(ctx).items()}
    lines = count(ctx, BillLine)
    again = run_bills(ctx, actor="billing_clerk", period=PERIOD)
    assert again.priced == 0 and again.unchanged == 3
    assert {a: (b.id, b.total) for a, b in bills(ctx).items()} == before
    assert count(ctx, BillLine) == lines
    assert count(ctx, BillRun) == 1


def test_an_interrupted_run_resumes_where_it_stopped(
    ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    bureau(ctx)
    import meter2cash.billing.bill_run as module

    original = module._price_chunk
    calls = {"n": 0}

    def crash_on_second(*args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("power cut")
        original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "_price_chunk", crash_on_second)
    with pytest.raises(RuntimeError):
        run_bills(ctx, actor="billing_clerk", period=PERIOD, chunk_size=1)
    assert len(bills(ctx)) == 1
    monkeypatch.setattr(module, "_price_chunk", original)
    resumed = run_bills(ctx, actor="billing_clerk", period=PERIOD, chunk_size=1)
    assert resumed.unchanged == 1 and resumed.priced == 2
    assert len(bills(ctx)) == 3


def test_repricing_replaces_the_drafts_without_duplicating_them(ctx: AppContext) -> None:
    bureau(ctx)
    run_bills(ctx, actor="billing_clerk", period=PERIOD)
    again = run_bills(ctx, actor="billing_clerk", period=PERIOD, reprice=True)
    assert again.priced == 3
    assert len(bills(ctx)) == 3


def test_every_chunk_is_in_the_audit_trail(ctx: AppContext) -> None:
    bureau(ctx)
    run_bills(ctx, actor="billing_clerk", period=PERIOD, chunk_size=2)
    with unit_of_work(ctx.sessions) as session:
        actions = list(
            session.scalars(select(AuditRecord.action).where(AuditRecord.object_type == "bill_run"))
        )
    assert actions.count("bill.run.price") == 2
    assert actions[0] == "bill.run.start" and actions[-1] == "bill.run.finish"


def test_a_meter_reader_may_not_run_bills(ctx: AppContext) -> None:
    bureau(ctx)
    with pytest.raises(PermissionDenied):
        run_bills(ctx, actor="meter_reader", period=PERIOD)


def test_a_two_part_account_gets_basic_charge_and_power_factor_adjustment(ctx: AppContext) -> None:
    ids = bureau(ctx, accounts=1)
    with unit_of_work(ctx.sessions) as session:
        account = session.get(Account, ids["A0001"])
        assert account is not None
        account.category = "large_industry"
        account.contract_capacity_kva = Decimal(1000)
        account.pf_standard = "0.90"
        account.basic_charge_by = "contract_demand"
        account.contract_demand_kw = Decimal(600)
        session.execute(TariffAssignment.__table__.update().values(tariff_code="MX-LI-10KV"))
        session.execute(BillingDeterminant.__table__.delete())
        session.add(
            determinant(
                ids["A0001"],
                "40000",
                start=date(2026, 6, 1),
                end=date(2026, 7, 1),
                kvarh=Decimal(30000),
                max_demand_kw=Decimal(650),
            )
        )
    run_bills(ctx, actor="billing_clerk", period=PERIOD)
    bill = bills(ctx)[ids["A0001"]]
    assert bill.power_factor == Decimal("0.80") and bill.pf_percent == Decimal("5.0")
    with unit_of_work(ctx.sessions) as session:
        codes = {
            line.code: line for line in session.scalars(select(BillLine).where(BillLine.bill_id == bill.id))
        }
    assert codes["basic.demand"].quantity == Decimal(630)
    assert codes["basic.demand_excess"].quantity == Decimal(20)
    assert codes["pf_adjustment"].rule == "力调 0.90标准 cosφ=0.80 +5.0%"


def test_a_new_connections_first_bill_prorates_the_basic_charge(ctx: AppContext) -> None:
    ids = bureau(ctx, accounts=1)
    with unit_of_work(ctx.sessions) as session:
        account = session.get(Account, ids["A0001"])
        assert account is not None
        account.category = "large_industry"
        account.contract_capacity_kva = Decimal(1000)
        account.opened_on = date(2026, 5, 20)
        session.execute(TariffAssignment.__table__.update().values(tariff_code="MX-LI-10KV"))
        session.execute(BillingDeterminant.__table__.delete())
        session.add(determinant(ids["A0001"], "4000", start=date(2026, 5, 20), end=date(2026, 6, 15)))
    run_bills(ctx, actor="billing_clerk", period=PERIOD)
    bill = bills(ctx)[ids["A0001"]]
    with unit_of_work(ctx.sessions) as session:
        codes = {
            line.code: line for line in session.scalars(select(BillLine).where(BillLine.bill_id == bill.id))
        }
    assert codes["basic.capacity"].amount == Decimal("21666.67")  # 1000 × 25 × 26/30
    assert "按26/30天计收" in codes["basic.capacity"].rule
