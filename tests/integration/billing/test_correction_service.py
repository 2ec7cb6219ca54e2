"""Corrections of issued bills (退补) on SQLite and PostgreSQL: a clerk proposes, computed from the
stored bills; another person approves (four eyes), which issues an adjustment bill and its
receivable; double refunds and refunds beyond the bill are refused; every step is audited."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from correction_bureau import issued_bills
from meter2cash.billing.bill_model import Bill, BillLine, Receivable
from meter2cash.billing.bill_queries import period_summary
from meter2cash.billing.correction_model import Correction, CorrectionBill
from meter2cash.billing.correction_service import (
    CorrectionFourEyes,
    CorrectionWrongState,
    correction_detail,
    decide_correction,
    list_corrections,
    propose_correction,
)
from meter2cash.platform.audit import AuditRecord
from meter2cash.platform.clock import business_date
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.platform.errors import InputRefused, NotFound
from meter2cash.platform.users import PermissionDenied

MISREAD: dict[str, Any] = {
    "reason": "misread",
    "parameters": {"billed_reading": "1234", "right_reading": "1243"},
}


def meter_error(percent: str = "900") -> dict[str, Any]:
    # Last test 2026-04-14, corrected 2026-06-15: 62 days, the last 31 (05-15 … 06-15) = the June bill.
    return {
        "reason": "meter_error",
        "parameters": {"error_percent": percent, "last_test": "2026-04-14", "corrected_on": "2026-06-15"},
    }


def propose(ctx: AppContext, bills: list[int], case: dict[str, Any] | None = None, **kw: Any) -> Any:
    return propose_correction(
        ctx,
        actor=kw.pop("actor", "billing_clerk"),
        account_no=kw.pop("account_no", "A0001"),
        case=case or MISREAD,
        bill_ids=bills,
        reason_text=kw.pop("reason_text", "用户报修，现场核对示数"),
    )


def audit_actions(ctx: AppContext) -> list[str]:
    with unit_of_work(ctx.sessions) as session:
        return list(
            session.scalars(
                select(AuditRecord.action)
                .where(AuditRecord.object_type == "correction")
                .order_by(AuditRecord.seq)
            )
        )


def test_a_misread_is_proposed_from_the_stored_bill(ctx: AppContext) -> None:
    bills = issued_bills(ctx)
    view = propose(ctx, [bills["A0001", "2026-06"]])
    # 300 → 309 kWh: tier 3 40 → 49 kWh × 0.73 = 29.20 → 35.77 (+6.57); fund 0.30 → 0.31.
    assert view.state == "proposed"
    assert view.kwh_difference == Decimal(9) and view.money_difference == Decimal("6.58")
    assert view.bill_ids == (bills["A0001", "2026-06"],)
    with unit_of_work(ctx.sessions) as session:
        stored = session.get(Correction, view.id)
        assert stored is not None and stored.proposed_by == "billing_clerk"
        link = session.scalars(select(CorrectionBill)).one()
        assert (link.period, link.money_difference) == ("2026-06", Decimal("6.58"))
    assert audit_actions(ctx) == ["correction.propose"]
    detail = correction_detail(ctx, actor="reviewer", correction_id=view.id)
    assert detail["detail"]["result"]["money_difference"] == "6.58"
    assert detail["detail"]["priced"][0]["billed"]["total"] == "145.80"


def test_approval_by_another_person_issues_the_adjustment_bill_and_its_receivable(ctx: AppContext) -> None:
    bills = issued_bills(ctx)
    june = bills["A0001", "2026-06"]
    view = propose(ctx, [june])
    decided = decide_correction(
        ctx, actor="reviewer", correction_id=view.id, approve=True, reason="示数照片核实"
    )
    assert decided.state == "approved" and decided.decided_by == "reviewer"
    assert decided.adjustment_bill_no == "2026-000001"  # the first number of the gap-free sequence
    with unit_of_work(ctx.sessions) as session:
        adjustment = session.scalars(select(Bill).where(Bill.bill_no == decided.adjustment_bill_no)).one()
        assert adjustment.state == "issued" and adjustment.kind == f"adj-{view.id}"
        assert adjustment.total == Decimal("6.58") and adjustment.kwh == Decimal(9)
        lines = session.scalars(select(BillLine).where(BillLine.bill_id == adjustment.id)).all()
        assert {line.code: line.amount for line in lines} == {
            "adj.energy.tier3": Decimal("6.57"),
            "adj.fund.renewable": Decimal("0.01"),
        }
        assert sum(line.amount for line in lines) == adjustment.total
        receivable = session.scalars(select(Receivable).where(Receivable.bill_id == adjustment.id)).one()
        assert receivable.amount == Decimal("6.58") and receivable.bill_no == adjustment.bill_no
        original = session.get(Bill, june)
        assert original is not None and original.total == Decimal("145.80")  # never edited
    assert audit_actions(ctx) == ["correction.propose", "correction.approve"]
    with pytest.raises(CorrectionWrongState):
        decide_correction(ctx, actor="manager", correction_id=view.id, approve=False, reason="再看看")


def test_the_proposer_may_not_decide_and_a_clerk_may_not_approve(ctx: AppContext) -> None:
    bills = issued_bills(ctx)
    view = propose(ctx, [bills["A0001", "2026-06"]], actor="manager")
    with pytest.raises(CorrectionFourEyes, match=r"四眼原则|Four eyes"):
        decide_correction(ctx, actor="manager", correction_id=view.id, approve=True, reason="自己批")
    with pytest.raises(PermissionDenied):
        decide_correction(ctx, actor="billing_clerk", correction_id=view.id, approve=True, reason="核算员")
    with pytest.raises(InputRefused):
        decide_correction(ctx, actor="reviewer", correction_id=view.id, approve=True, reason="  ")
    with pytest.raises(NotFound):
        decide_correction(ctx, actor="reviewer", correction_id=999, approve=True, reason="x")
    assert audit_actions(ctx) == ["correction.propose"]


def test_a_rejected_correction_issues_nothing_and_does_not_block_a_new_one(ctx: AppContext) -> None:
    bills = issued_bills(ctx)
    june = bills["A0001", "2026-06"]
    view = propose(ctx, [june])
    rejected = decide_correction(
        ctx, actor="reviewer", correction_id=view.id, approve=False, reason="示数无误"
    )
    assert rejected.state == "rejected" and rejected.adjustment_bill_no is None
    with unit_of_work(ctx.sessions) as session:
        assert session.scalars(select(Bill).where(Bill.kind != "regular")).all() == []
    again = propose(ctx, [june])
    assert again.state == "proposed"
    assert audit_actions(ctx) == ["correction.propose", "correction.reject", "correction.propose"]


def test_a_second_correction_of_the_same_reason_and_period_is_a_double_refund(ctx: AppContext) -> None:
    bills = issued_bills(ctx)
    june = bills["A0001", "2026-06"]
    first = propose(ctx, [june], meter_error("5"))
    with pytest.raises(InputRefused) as refused:
        propose(ctx, [june], meter_error("5"))
    assert any(p.value == str(first.id) and "重复退补" in p.reason for p in refused.value.problems)
    decide_correction(ctx, actor="reviewer", correction_id=first.id, approve=True, reason="校验报告")
    with pytest.raises(InputRefused):
        propose(ctx, [june], meter_error("5"))
    # Another reason for the same bill is another matter.
    assert propose(ctx, [june]).state == "proposed"
    assert len(list_corrections(ctx, actor="reviewer", account_no="A0001")) == 2


def test_refunds_may_not_take_a_bill_below_zero(ctx: AppContext) -> None:
    bills = issued_bills(ctx)
    june = bills["A0001", "2026-06"]
    # A meter 10× fast (+900 %) over the whole June bill: 300 → 30 kWh, 145.80 → 12.93: −132.87.
    first = propose(ctx, [june], meter_error("900"))
    assert first.money_difference == Decimal("-132.87")
    # A misread of the same bill (1300 instead of 1030) would refund another 132.87: 145.80 − 265.74 < 0.
    case = {"reason": "misread", "parameters": {"billed_reading": "1300", "right_reading": "1030"}}
    with pytest.raises(InputRefused) as refused:
        propose(ctx, [june], case)
    assert any("exceeds what was billed" in p.reason for p in refused.value.problems)
    # A smaller one still fits: 145.80 − 132.87 − 6.58 = 6.35 (1243 read for 1234: 309 → 300 kWh).
    small = {"reason": "misread", "parameters": {"billed_reading": "1243", "right_reading": "1234"}}
    assert propose(ctx, [june], small).money_difference == Decimal("-6.58")


def test_only_the_accounts_issued_bills_are_corrected(ctx: AppContext) -> None:
    bills = issued_bills(ctx, draft=frozenset({("A0002", "2026-05")}))
    with pytest.raises(InputRefused) as refused:
        propose(ctx, [bills["A0002", "2026-06"], 999])
    assert {p.value for p in refused.value.problems} == {str(bills["A0002", "2026-06"]), "999"}
    with pytest.raises(InputRefused):
        propose(ctx, [bills["A0002", "2026-05"]], account_no="A0002")
    with pytest.raises(NotFound):
        propose(ctx, [bills["A0001", "2026-06"]], account_no="NOPE")
    with pytest.raises(PermissionDenied):
        propose(ctx, [bills["A0001", "2026-06"]], actor="cashier")
    assert audit_actions(ctx) == []


def test_stated_periods_must_reproduce_the_issued_bills(ctx: AppContext) -> None:
    bills = issued_bills(ctx)
    june = bills["A0001", "2026-06"]
    period = {"start": "2026-05-15", "end": "2026-06-15"}
    stated = {
        **MISREAD,
        "tariff": "MX-RES-1",
        "customer": {"category": "residential"},
        "periods": [{"period": period, "usage": {"kwh": "300"}}],
    }
    assert propose(ctx, [june], stated).money_difference == Decimal("6.58")
    wrong = {
        **stated,
        "reason": "wrong_multiplier",
        "parameters": {"billed_multiplier": 1, "right_multiplier": 2},
    }
    wrong["periods"] = [{"period": period, "usage": {"kwh": "299"}}]
    with pytest.raises(InputRefused) as refused:
        propose(ctx, [june], wrong)
    assert "does not reproduce" in refused.value.problems[0].reason


def test_several_bills_are_corrected_together(ctx: AppContext) -> None:
    bills = issued_bills(ctx)
    case = {"reason": "wrong_multiplier", "parameters": {"billed_multiplier": 1, "right_multiplier": 2}}
    view = propose(ctx, [bills["A0001", "2026-06"], bills["A0001", "2026-05"]], case)
    # May 234 → 468 kWh, June 300 → 600 kWh (April–June thresholds 170/260 each month).
    assert view.kwh_difference == Decimal(534)
    assert view.bill_ids == (bills["A0001", "2026-05"], bills["A0001", "2026-06"])
    assert str(view.period_from) == "2026-04-15" and str(view.period_to) == "2026-06-15"
    detail = json.loads(json.dumps(correction_detail(ctx, actor="reviewer", correction_id=view.id)))
    assert [p["period"] for p in detail["detail"]["result"]["periods"]] == ["2026-05", "2026-06"]


def test_the_database_keeps_four_eyes_and_decided_corrections(ctx: AppContext) -> None:
    bills = issued_bills(ctx)
    view = propose(ctx, [bills["A0001", "2026-06"]])
    with pytest.raises(IntegrityError), unit_of_work(ctx.sessions) as session:
        session.execute(
            update(Correction)
            .where(Correction.id == view.id)
            .values(state="rejected", decided_by="billing_clerk", decided_at="x", decision_reason="x")
        )
    decide_correction(ctx, actor="reviewer", correction_id=view.id, approve=False, reason="不需要")
    with pytest.raises((IntegrityError, DBAPIError)), unit_of_work(ctx.sessions) as session:
        session.execute(update(Correction).where(Correction.id == view.id).values(state="proposed"))
    with pytest.raises((IntegrityError, DBAPIError)), unit_of_work(ctx.sessions) as session:
        session.execute(CorrectionBill.__table__.delete())


def test_the_period_summary_counts_adjustment_bills_apart_from_the_months_bills(ctx: AppContext) -> None:
    bills = issued_bills(ctx)
    view = propose(ctx, [bills["A0001", "2026-06"]])
    today = business_date(ctx.clock.now())
    month = f"{today.year:04d}-{today.month:02d}"  # an adjustment bill is dated in the month approved
    before = period_summary(ctx, actor="reviewer", period=month)
    decide_correction(ctx, actor="reviewer", correction_id=view.id, approve=True, reason="示数照片核实")
    after = period_summary(ctx, actor="reviewer", period=month)
    assert (after.bills, after.kwh, after.total, after.by_state) == (
        before.bills,
        before.kwh,
        before.total,
        before.by_state,
    )
    assert (before.adjustments, after.adjustments, after.adjustments_total) == (0, 1, Decimal("6.58"))
    assert after.as_json()["adjustments"] == {"bills": 1, "total": "6.58"}
