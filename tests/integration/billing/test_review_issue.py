"""Bill review (量费审核) and issue (发行) on SQLite and PostgreSQL: clean bills are approved and
flagged ones queued, a reviewer decides with four eyes, a rejection goes back to reading or
billing, issuing numbers bills without gaps and only once (also when two clerks issue at the same
time), and the database keeps issued bills as they are."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from archive_factory import small_archive
from meter2cash.billing.bill_kpis import bill_kpis
from meter2cash.billing.bill_model import Bill, BillFinding, BillNumber, BillReview, Receivable
from meter2cash.billing.bill_run import run_bills
from meter2cash.billing.catalog import load_catalog
from meter2cash.billing.catalog_files import bundled_catalog_path
from meter2cash.billing.issue import IssueReport, issue_bills
from meter2cash.billing.review import (
    FourEyesViolation,
    WrongBillState,
    decide_bill,
    review_bills,
    review_queue,
)
from meter2cash.platform.audit import AuditRecord
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.platform.errors import InputRefused
from meter2cash.platform.users import PermissionDenied
from meter2cash.reading.exceptions import exception_queue
from meter2cash.reading.model import BillingDeterminant
from meter2cash.registry.model import Account, Meter, MeterInstall, ServicePoint, TariffAssignment

PERIOD = "2026-06"
BOOK = "RB01"


def determinant(
    account_id: int,
    kwh: str,
    *,
    period: str = PERIOD,
    start: date = date(2026, 5, 15),
    end: date = date(2026, 6, 15),
    quality: str = "actual",
    detail: str = "[]",
    **extra: object,
) -> BillingDeterminant:
    return BillingDeterminant(
        account_id=account_id,
        period=period,
        start_on=start,
        end_on=end,
        days=(end - start).days,
        kwh_total=Decimal(kwh),
        quality=quality,
        detail=detail,
        computed_by="billing_clerk",
        **extra,
    )


def bureau(ctx: AppContext, *, accounts: int = 3, estimated: tuple[str, ...] = ("A0003",)) -> dict[str, int]:
    """Accounts A0001.. with determinants of 300, 100, 500 … kWh; the ``estimated`` ones were
    estimated (ESTIMATED flags them), the rest are clean."""
    small_archive(ctx, accounts=accounts)
    load_catalog(ctx, actor="manager", path=bundled_catalog_path())
    kwh = ("300", "100", "500", "200", "150")
    with unit_of_work(ctx.sessions) as session:
        ids = {a.account_no: a.id for a in session.scalars(select(Account))}
        for index, number in enumerate(sorted(ids)):
            quality = "estimated" if number in estimated else "actual"
            session.add(determinant(ids[number], kwh[index % len(kwh)], quality=quality))
    return ids


def priced(ctx: AppContext, *, actor: str = "billing_clerk", **kwargs: object) -> dict[str, int]:
    ids = bureau(ctx, **kwargs)  # type: ignore[arg-type]
    run_bills(ctx, actor=actor, period=PERIOD)
    return ids


def bills(ctx: AppContext) -> dict[int, Bill]:
    with unit_of_work(ctx.sessions) as session:
        return {b.account_id: b for b in session.scalars(select(Bill))}


def count(ctx: AppContext, model: type) -> int:
    with unit_of_work(ctx.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def audit_actions(ctx: AppContext) -> list[str]:
    with unit_of_work(ctx.sessions) as session:
        return list(session.scalars(select(AuditRecord.action).order_by(AuditRecord.seq)))


# --- review ------------------------------------------------------------------------------------


def test_review_approves_the_clean_bills_and_flags_the_rest_with_their_findings(ctx: AppContext) -> None:
    ids = priced(ctx)
    report = review_bills(ctx, actor="reviewer", period=PERIOD)
    assert (report.reviewed, report.approved, report.flagged) == (3, 2, 1)
    assert report.flagged_by_code == {"ESTIMATED": 1}
    stored = bills(ctx)
    assert stored[ids["A0001"]].state == "approved" and stored[ids["A0001"]].reviewed_by is None
    assert "自动" in (stored[ids["A0001"]].review_reason or "")
    assert stored[ids["A0003"]].state == "flagged"
    with unit_of_work(ctx.sessions) as session:
        findings = list(session.scalars(select(BillFinding)))
    assert [(f.bill_id, f.code, f.severity) for f in findings] == [
        (stored[ids["A0003"]].id, "ESTIMATED", "flag")
    ]
    assert "估" in findings[0].detail
    assert "bill.review" in audit_actions(ctx)


def test_reviewing_again_changes_nothing(ctx: AppContext) -> None:
    priced(ctx)
    review_bills(ctx, actor="reviewer", period=PERIOD)
    before = {a: (b.state, b.reviewed_at) for a, b in bills(ctx).items()}
    findings = count(ctx, BillFinding)
    records = len(audit_actions(ctx))
    again = review_bills(ctx, actor="reviewer", period=PERIOD)
    assert again.reviewed == 0
    assert {a: (b.state, b.reviewed_at) for a, b in bills(ctx).items()} == before
    assert count(ctx, BillFinding) == findings and len(audit_actions(ctx)) == records


def test_the_queue_lists_flagged_bills_by_route_book_with_the_reasons(ctx: AppContext) -> None:
    ids = priced(ctx)
    review_bills(ctx, actor="reviewer", period=PERIOD)
    queue = review_queue(ctx, actor="reviewer", period=PERIOD, route_book=BOOK)
    assert [(q.route_book, q.account_no) for q in queue] == [(BOOK, "A0003")]
    assert queue[0].bill_id == bills(ctx)[ids["A0003"]].id
    assert queue[0].findings[0]["code"] == "ESTIMATED"


def test_review_gathers_history_meter_changes_tariff_changes_and_demand_excess(ctx: AppContext) -> None:
    ids = bureau(ctx, accounts=4, estimated=())
    with unit_of_work(ctx.sessions) as session:
        # A0001: 300 kWh now against 90 kWh a month before → ENERGY_JUMP (history from determinants)
        session.add(
            determinant(ids["A0001"], "90", period="2026-05", start=date(2026, 4, 15), end=date(2026, 5, 15))
        )
        # A0002: two meters in the period (a replacement) → METER_CHANGE
        session.execute(
            update(BillingDeterminant)
            .where(BillingDeterminant.account_id == ids["A0002"])
            .values(detail=json.dumps([{"meter_no": "M0002"}, {"meter_no": "S0001"}]))
        )
        # A0003: another tariff from 2026-06-01, inside the period → TARIFF_CHANGE
        session.execute(
            update(TariffAssignment)
            .where(TariffAssignment.account_id == ids["A0003"])
            .values(effective_to=date(2026, 6, 1))
        )
        session.add(
            TariffAssignment(account_id=ids["A0003"], tariff_code="MX-RES-1", effective_from=date(2026, 6, 1))
        )
        # A0004: a replacement meter installed inside the period → METER_CHANGE
        point = session.scalar(select(ServicePoint.id).where(ServicePoint.account_id == ids["A0004"]))
        old = session.scalar(select(MeterInstall).where(MeterInstall.service_point_id == point))
        assert old is not None
        old.removed_on, old.end_total = date(2026, 6, 1), Decimal("250")
        spare = session.scalar(select(Meter.id).where(Meter.meter_no == "S0001"))
        session.flush()
        session.add(
            MeterInstall(
                meter_id=spare,
                service_point_id=point,
                installed_on=date(2026, 6, 1),
                ct_ratio=Decimal(1),
                pt_ratio=Decimal(1),
                multiplier=Decimal(1),
                start_total=Decimal(0),
            )
        )
    run_bills(ctx, actor="billing_clerk", period=PERIOD)
    review_bills(ctx, actor="reviewer", period=PERIOD)
    with unit_of_work(ctx.sessions) as session:
        codes = {
            account: sorted(session.scalars(select(BillFinding.code).where(BillFinding.bill_id == bill.id)))
            for account, bill in bills(ctx).items()
        }
    assert "ENERGY_JUMP" in codes[ids["A0001"]]
    assert codes[ids["A0002"]] == ["METER_CHANGE"]
    assert codes[ids["A0003"]] == ["TARIFF_CHANGE"]
    assert codes[ids["A0004"]] == ["METER_CHANGE"]


def test_a_bill_over_its_contract_demand_is_flagged(ctx: AppContext) -> None:
    ids = bureau(ctx, accounts=1, estimated=())
    with unit_of_work(ctx.sessions) as session:
        account = session.get(Account, ids["A0001"])
        assert account is not None
        account.category, account.contract_capacity_kva, account.pf_standard = (
            "large_industry",
            Decimal(1000),
            "0.90",
        )
        account.basic_charge_by, account.contract_demand_kw = "contract_demand", Decimal(600)
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
    report = review_bills(ctx, actor="reviewer", period=PERIOD)
    assert report.flagged_by_code == {"DEMAND_OVER_CONTRACT": 1}  # cos φ 0.80 is at the floor, not below


# --- decisions ---------------------------------------------------------------------------------


def _flagged_id(ctx: AppContext, ids: dict[str, int], number: str = "A0003") -> int:
    return bills(ctx)[ids[number]].id


def test_a_reviewer_approves_a_flagged_bill_with_a_reason(ctx: AppContext) -> None:
    ids = priced(ctx)
    review_bills(ctx, actor="reviewer", period=PERIOD)
    bill_id = _flagged_id(ctx, ids)
    decision = decide_bill(ctx, actor="reviewer", bill_id=bill_id, approve=True, reason="估抄量与历史相符")
    assert decision.state == "approved"
    stored = bills(ctx)[ids["A0003"]]
    assert (stored.state, stored.reviewed_by, stored.review_reason) == (
        "approved",
        "reviewer",
        "估抄量与历史相符",
    )
    with unit_of_work(ctx.sessions) as session:
        record = session.scalar(select(AuditRecord).where(AuditRecord.action == "bill.approve"))
        assert record is not None and record.object_id == str(bill_id) and record.reason == "估抄量与历史相符"
        review = session.scalar(select(BillReview))
        assert review is not None and (review.decision, review.codes) == ("approved", "ESTIMATED")


def test_the_person_who_ran_the_calculation_may_not_decide_its_bill(ctx: AppContext) -> None:
    ids = priced(ctx, actor="manager")  # a manager may both run bills and review them
    review_bills(ctx, actor="reviewer", period=PERIOD)
    bill_id = _flagged_id(ctx, ids)
    with pytest.raises(FourEyesViolation, match="manager"):
        decide_bill(ctx, actor="manager", bill_id=bill_id, approve=True, reason="ok")
    assert bills(ctx)[ids["A0003"]].state == "flagged"
    decide_bill(ctx, actor="admin", bill_id=bill_id, approve=True, reason="另一人审核")


def test_the_database_refuses_a_reviewer_who_computed_the_bill(ctx: AppContext) -> None:
    ids = priced(ctx)
    with pytest.raises(IntegrityError), unit_of_work(ctx.sessions) as session:
        session.execute(
            update(Bill).where(Bill.id == bills(ctx)[ids["A0001"]].id).values(reviewed_by="billing_clerk")
        )


def test_a_bill_rejected_back_to_reading_opens_a_reading_exception(ctx: AppContext) -> None:
    ids = priced(ctx)
    review_bills(ctx, actor="reviewer", period=PERIOD)
    bill_id = _flagged_id(ctx, ids)
    decision = decide_bill(
        ctx, actor="reviewer", bill_id=bill_id, approve=False, reason="示数疑似抄错", back_to="reading"
    )
    assert decision.state == "rejected" and decision.reading_exception_id is not None
    with unit_of_work(ctx.sessions) as session:
        queue = exception_queue(session, route_book=BOOK)
    assert [(q.code, q.meter_no, q.period, q.state) for q in queue] == [
        ("BILL_REJECTED", "M0003", PERIOD, "open")
    ]
    assert "示数疑似抄错" in queue[0].reason and "A0003" in queue[0].reason


def test_a_bill_rejected_back_to_billing_waits_for_a_reprice_and_is_reviewed_again(ctx: AppContext) -> None:
    ids = priced(ctx)
    review_bills(ctx, actor="reviewer", period=PERIOD)
    bill_id = _flagged_id(ctx, ids)
    decide_bill(ctx, actor="reviewer", bill_id=bill_id, approve=False, reason="电价待核实")
    assert bills(ctx)[ids["A0003"]].state == "rejected"
    unchanged = run_bills(ctx, actor="billing_clerk", period=PERIOD)
    assert unchanged.priced == 0 and bills(ctx)[ids["A0003"]].state == "rejected"
    again = run_bills(ctx, actor="billing_clerk", period=PERIOD, reprice=True)
    assert again.priced == 1  # the rejected bill; the approved ones are past review
    fresh = bills(ctx)[ids["A0003"]]
    assert fresh.state == "draft" and fresh.id != bill_id
    assert review_bills(ctx, actor="reviewer", period=PERIOD).flagged == 1
    assert count(ctx, BillReview) == 1  # the rejection is still counted


def test_a_reprice_prices_flagged_bills_again_but_never_approved_ones(ctx: AppContext) -> None:
    ids = priced(ctx)
    review_bills(ctx, actor="reviewer", period=PERIOD)
    approved = bills(ctx)[ids["A0001"]].id
    report = run_bills(ctx, actor="billing_clerk", period=PERIOD, reprice=True)
    assert report.priced == 1 and report.unchanged == 2
    assert bills(ctx)[ids["A0001"]].id == approved
    assert bills(ctx)[ids["A0003"]].state == "draft"
    assert count(ctx, BillFinding) == 0  # the flagged bill's findings went with it


@pytest.mark.parametrize("state", ["approved", "issued"])
def test_only_a_flagged_bill_can_be_approved_or_rejected(ctx: AppContext, state: str) -> None:
    ids = priced(ctx, estimated=())
    review_bills(ctx, actor="reviewer", period=PERIOD)
    if state == "issued":
        issue_bills(ctx, actor="billing_clerk", period=PERIOD, route_book=BOOK)
    bill_id = bills(ctx)[ids["A0001"]].id
    with pytest.raises(WrongBillState, match="退补" if state == "issued" else "approved"):
        decide_bill(ctx, actor="reviewer", bill_id=bill_id, approve=False, reason="x")


def test_a_decision_needs_a_reason_and_a_known_destination(ctx: AppContext) -> None:
    ids = priced(ctx)
    review_bills(ctx, actor="reviewer", period=PERIOD)
    bill_id = _flagged_id(ctx, ids)
    with pytest.raises(InputRefused):
        decide_bill(ctx, actor="reviewer", bill_id=bill_id, approve=True, reason="  ")
    with pytest.raises(InputRefused):
        decide_bill(ctx, actor="reviewer", bill_id=bill_id, approve=False, reason="x", back_to="archive")


@pytest.mark.parametrize(
    ("user", "step"),
    [("meter_reader", "review"), ("billing_clerk", "approve"), ("cashier", "issue"), ("inspector", "review")],
)
def test_roles_not_allowed_are_refused(ctx: AppContext, user: str, step: str) -> None:
    ids = priced(ctx)
    review_bills(ctx, actor="reviewer", period=PERIOD)
    with pytest.raises(PermissionDenied):
        if step == "review":
            review_bills(ctx, actor=user, period=PERIOD)
        elif step == "approve":
            decide_bill(ctx, actor=user, bill_id=_flagged_id(ctx, ids), approve=True, reason="x")
        else:
            issue_bills(ctx, actor=user, period=PERIOD, route_book=BOOK)


# --- issue -------------------------------------------------------------------------------------


def test_issuing_numbers_the_approved_bills_without_gaps_and_records_the_receivables(ctx: AppContext) -> None:
    ids = priced(ctx)
    review_bills(ctx, actor="reviewer", period=PERIOD)
    report = issue_bills(ctx, actor="billing_clerk", period=PERIOD, route_book=BOOK)
    assert (report.issued, report.first_no, report.last_no) == (2, "2026-000001", "2026-000002")
    assert report.not_issued == {"flagged": 1}
    stored = bills(ctx)
    first, second = stored[ids["A0001"]], stored[ids["A0002"]]
    assert (first.state, first.bill_no, second.bill_no) == ("issued", "2026-000001", "2026-000002")
    assert first.issued_on == date(2026, 3, 1) and first.issued_by == "billing_clerk"
    assert first.due_on == date(2026, 3, 1) + timedelta(days=15)  # residential terms
    with unit_of_work(ctx.sessions) as session:
        receivables = {r.bill_no: r for r in session.scalars(select(Receivable))}
    assert set(receivables) == {"2026-000001", "2026-000002"}
    assert (
        receivables["2026-000001"].amount == first.total and receivables["2026-000001"].due_on == first.due_on
    )
    assert report.total == first.total + second.total
    assert "bill.issue" in audit_actions(ctx)

    decide_bill(ctx, actor="reviewer", bill_id=stored[ids["A0003"]].id, approve=True, reason="估抄合理")
    later = issue_bills(ctx, actor="billing_clerk", period=PERIOD, route_book=BOOK)
    assert (later.issued, later.first_no, later.already_issued) == (1, "2026-000003", 2)


def test_issuing_twice_issues_nothing_twice(ctx: AppContext) -> None:
    priced(ctx, estimated=())
    review_bills(ctx, actor="reviewer", period=PERIOD)
    issue_bills(ctx, actor="billing_clerk", period=PERIOD, route_book=BOOK)
    again = issue_bills(ctx, actor="billing_clerk", period=PERIOD, route_book=BOOK)
    assert (again.issued, again.already_issued) == (0, 3)
    assert count(ctx, Receivable) == 3
    with unit_of_work(ctx.sessions) as session:
        counter = session.get(BillNumber, 2026)
        assert counter is not None and counter.last_no == 3


def test_two_clerks_issuing_the_same_book_at_once_issue_it_once(ctx: AppContext) -> None:
    priced(ctx, accounts=5, estimated=())
    review_bills(ctx, actor="reviewer", period=PERIOD)
    start = threading.Barrier(2)
    results: list[IssueReport] = []
    errors: list[BaseException] = []

    def issue(user: str) -> None:
        start.wait()
        try:
            results.append(issue_bills(ctx, actor=user, period=PERIOD, route_book=BOOK))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=issue, args=(u,)) for u in ("billing_clerk", "manager")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(r.issued for r in results) == [0, 5]
    assert count(ctx, Receivable) == 5
    numbers = sorted(b.bill_no or "" for b in bills(ctx).values())
    assert numbers == [f"2026-{n:06d}" for n in range(1, 6)]


def test_a_book_with_no_approved_bill_is_refused(ctx: AppContext) -> None:
    priced(ctx)
    with pytest.raises(WrongBillState, match="draft 3"):
        issue_bills(ctx, actor="billing_clerk", period=PERIOD, route_book=BOOK)
    assert count(ctx, Receivable) == 0


def test_an_issued_bill_its_lines_and_its_receivable_cannot_be_changed_in_the_database(
    ctx: AppContext,
) -> None:
    ids = priced(ctx, estimated=())
    review_bills(ctx, actor="reviewer", period=PERIOD)
    issue_bills(ctx, actor="billing_clerk", period=PERIOD, route_book=BOOK)
    bill_id = bills(ctx)[ids["A0001"]].id
    for statement in (
        "UPDATE bill SET state = 'draft' WHERE id = :id",
        "UPDATE bill SET total = 0 WHERE id = :id",
        "DELETE FROM bill WHERE id = :id",
        "UPDATE bill_line SET amount = 0 WHERE bill_id = :id",
        "DELETE FROM bill_line WHERE bill_id = :id",
        "UPDATE receivable SET amount = 0 WHERE bill_id = :id",
        "DELETE FROM receivable WHERE bill_id = :id",
    ):
        with pytest.raises(IntegrityError, match="immutable"), unit_of_work(ctx.sessions) as session:
            session.execute(text(statement), {"id": bill_id})
    assert bills(ctx)[ids["A0001"]].state == "issued"


# --- KPIs --------------------------------------------------------------------------------------


def test_the_kpis_show_rejections_flagged_codes_and_on_time_issue(ctx: AppContext) -> None:
    ids = priced(ctx, accounts=4, estimated=("A0003", "A0004"))
    review_bills(ctx, actor="reviewer", period=PERIOD)
    stored = bills(ctx)
    decide_bill(ctx, actor="reviewer", bill_id=stored[ids["A0003"]].id, approve=True, reason="合理")
    decide_bill(ctx, actor="reviewer", bill_id=stored[ids["A0004"]].id, approve=False, reason="复核")
    ctx.clock.instant = ctx.clock.instant.replace(year=2026, month=6, day=20)  # type: ignore[attr-defined]
    issue_bills(ctx, actor="billing_clerk", period=PERIOD, route_book=BOOK)  # reading day 06-15: on time
    kpis = bill_kpis(ctx, actor="reviewer", period=PERIOD).as_json()
    review = kpis["review"]
    issue = kpis["issue"]
    assert isinstance(review, dict) and isinstance(issue, dict)
    assert kpis["by_state"] == {"issued": 3, "rejected": 1}
    assert review["rejection_rate_pct"] == "50.00"
    assert review["flagged_by_code"] == {"ESTIMATED": 2}
    assert review["flagged_share_by_code_pct"] == {"ESTIMATED": "50.00"}
    assert review["auto_approved"] == 2
    assert issue["issued_on_time"] == 3 and issue["on_time_issue_rate_pct"] == "75.00"
