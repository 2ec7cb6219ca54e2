"""Billing KPIs (核算指标) of a period, for supervision. Read-only.

- **Review rejection rate** (审核退回率): bills a reviewer rejected ÷ bills a reviewer decided
  (approved or rejected), from the decision log ``bill_review`` — a rejected bill priced again
  still counts.
- **Flagged share by code** (审核异常占比): the period's reviewed bills (every state but draft)
  with a finding of each code that needs a human ÷ the reviewed bills; and all flagged ÷ reviewed.
- **Auto-approved**: reviewed bills approved without a person (``reviewed_by`` NULL).
- **On-time issue rate** (发行及时率): bills issued no later than ``on_time_days_after_reading``
  days after their route book's reading day of the period ÷ the period's bills (a bill not yet
  issued counts as not on time).
- **Corrections** (退补, docs/corrections.md) by reason: approved corrections of the period's
  bills, how many and how much, and the **billing error rate** (电费差错率) = the period's issued
  bills an approved correction corrects ÷ the period's issued bills.

Only regular bills count: a correction's adjustment bill (kind ``adj-…``) is not a bill of the
period's billing.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from meter2cash.billing.bill_model import Bill, BillFinding, BillReview
from meter2cash.billing.correction_model import Correction, CorrectionBill
from meter2cash.billing.issue_policy import DEFAULT_ISSUE_POLICY, IssuePolicy, issued_on_time
from meter2cash.billing.review import check_period
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.money import round_to
from meter2cash.platform.permissions import Action
from meter2cash.reading.schedule import due_date as reading_due_date
from meter2cash.registry.model import Account, RouteBook


def _rate(part: int, whole: int) -> str | None:
    return None if whole == 0 else str(round_to(Decimal(part) * 100 / whole, places=2))


@dataclass
class BillKpis:
    period: str
    bills: int = 0
    by_state: dict[str, int] = field(default_factory=dict)
    reviewed: int = 0
    auto_approved: int = 0
    flagged: int = 0
    flagged_by_code: dict[str, int] = field(default_factory=dict)
    decisions: int = 0
    rejected: int = 0
    rejected_back_to: dict[str, int] = field(default_factory=dict)
    issued: int = 0
    issued_on_time: int = 0
    on_time_days_after_reading: int = 0
    corrections: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "period": self.period,
            "bills": self.bills,
            "by_state": self.by_state,
            "review": {
                "reviewed": self.reviewed,
                "auto_approved": self.auto_approved,
                "flagged": self.flagged,
                "flagged_share_pct": _rate(self.flagged, self.reviewed),
                "flagged_share_by_code_pct": {
                    code: _rate(count, self.reviewed) for code, count in self.flagged_by_code.items()
                },
                "flagged_by_code": self.flagged_by_code,
                "decisions": self.decisions,
                "rejected": self.rejected,
                "rejected_back_to": self.rejected_back_to,
                "rejection_rate_pct": _rate(self.rejected, self.decisions),
            },
            "issue": {
                "issued": self.issued,
                "issued_on_time": self.issued_on_time,
                "on_time_days_after_reading": self.on_time_days_after_reading,
                "on_time_issue_rate_pct": _rate(self.issued_on_time, self.bills),
            },
            "corrections": self.corrections,
        }


def bill_kpis(
    ctx: AppContext, *, actor: str | None, period: str, policy: IssuePolicy = DEFAULT_ISSUE_POLICY
) -> BillKpis:
    check_period(period)
    kpis = BillKpis(period=period, on_time_days_after_reading=policy.on_time_days_after_reading)
    with use_case(ctx, actor=actor, action=Action.BILL_READ) as (session, _who):
        states: Counter[str] = Counter()
        for state, reviewer, issued_on, reading_day in session.execute(
            select(Bill.state, Bill.reviewed_by, Bill.issued_on, RouteBook.reading_day)
            .join(Account, Account.id == Bill.account_id)
            .join(RouteBook, RouteBook.id == Account.route_book_id)
            .where(Bill.period == period, Bill.kind == "regular")
        ):
            states[state] += 1
            if state in ("approved", "issued") and reviewer is None:
                kpis.auto_approved += 1
            if state == "issued" and issued_on is not None:
                kpis.issued += 1
                read_on: date = reading_due_date(period=period, reading_day=reading_day)
                kpis.issued_on_time += issued_on_time(issued_on=issued_on, reading_day=read_on, policy=policy)
        kpis.by_state = dict(sorted(states.items()))
        kpis.bills = sum(states.values())
        kpis.reviewed = kpis.bills - states.get("draft", 0)
        flagged_bills: dict[str, set[int]] = defaultdict(set)
        for bill_id, code in session.execute(
            select(BillFinding.bill_id, BillFinding.code)
            .join(Bill, Bill.id == BillFinding.bill_id)
            .where(Bill.period == period, Bill.kind == "regular", BillFinding.severity == "flag")
        ):
            flagged_bills[code].add(bill_id)
        kpis.flagged_by_code = {code: len(ids) for code, ids in sorted(flagged_bills.items())}
        kpis.flagged = len(set().union(*flagged_bills.values())) if flagged_bills else 0
        decisions = Counter(
            (decision, back_to)
            for decision, back_to in session.execute(
                select(BillReview.decision, BillReview.back_to).where(BillReview.period == period)
            )
        )
        kpis.decisions = sum(decisions.values())
        kpis.rejected = sum(n for (decision, _b), n in decisions.items() if decision == "rejected")
        kpis.rejected_back_to = {
            str(back_to): n for (decision, back_to), n in sorted(decisions.items()) if decision == "rejected"
        }
        kpis.corrections = _corrections(session, period=period, issued=kpis.issued)
    return kpis


# --- corrections (退补) -------------------------------------------------------------------------


def _corrections(session: Session, *, period: str, issued: int) -> dict[str, Any]:
    """Approved corrections of the period's bills, by reason: corrections, corrected bills and
    the money difference (positive = back-billed, negative = refunded)."""
    rows = session.execute(
        select(Correction.reason, Correction.id, CorrectionBill.bill_id, CorrectionBill.money_difference)
        .join(CorrectionBill, CorrectionBill.correction_id == Correction.id)
        .where(CorrectionBill.period == period, Correction.state == "approved")
    ).all()
    corrections: dict[str, set[int]] = defaultdict(set)
    corrected: set[int] = set()
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    for reason, correction_id, bill_id, money in rows:
        corrections[reason].add(correction_id)
        corrected.add(bill_id)
        amounts[reason] += Decimal(money)
    return {
        "corrections": len(set().union(*corrections.values())) if corrections else 0,
        "corrected_bills": len(corrected),
        "amount": str(sum(amounts.values(), Decimal("0.00"))),
        "by_reason": {
            reason: {"corrections": len(ids), "amount": str(amounts[reason])}
            for reason, ids in sorted(corrections.items())
        },
        "billing_error_rate_pct": _rate(len(corrected), issued),
    }
