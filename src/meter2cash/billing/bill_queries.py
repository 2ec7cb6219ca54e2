"""Reading bills back: a period's summary (bills, revenue by class, accounts not priced and why)
and one account's bill with its lines. Read-only use cases."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select

from meter2cash.billing.bill_model import Bill, BillLine, BillRun, BillRunIssue
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.errors import NotFound
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action
from meter2cash.registry.model import Account


@dataclass
class PeriodSummary:
    period: str
    bills: int = 0
    kwh: Decimal = Decimal(0)
    total: Decimal = Decimal(0)
    by_category: dict[str, dict[str, str]] = field(default_factory=dict)  # category → bills, kwh, total
    by_state: dict[str, int] = field(default_factory=dict)
    unpriced: dict[str, int] = field(default_factory=dict)  # reason → accounts (latest run per scope)
    adjustments: int = 0  # 退补 adjustment bills dated in the period, counted apart from its bills
    adjustments_total: Decimal = Decimal(0)

    def as_json(self) -> dict[str, object]:
        return {
            "period": self.period,
            "bills": self.bills,
            "kwh": str(self.kwh.normalize()) if self.kwh else "0",
            "total": str(self.total),
            "by_category": self.by_category,
            "by_state": self.by_state,
            "unpriced": self.unpriced,
            "adjustments": {"bills": self.adjustments, "total": str(self.adjustments_total)},
        }


def period_summary(ctx: AppContext, *, actor: str | None, period: str) -> PeriodSummary:
    """What the period's bill runs produced: regular bills and revenue by customer class. The
    adjustment bills of corrections (退补) dated in the period are counted apart, so a correction
    of an earlier month does not swell this month's billed energy."""
    summary = PeriodSummary(period=period)
    with use_case(ctx, actor=actor, action=Action.BILL_READ) as (session, _who):
        rows = session.execute(
            select(Account.category, func.count(Bill.id), func.sum(Bill.kwh), func.sum(Bill.total))
            .join(Account, Account.id == Bill.account_id)
            .where(Bill.period == period, Bill.kind == "regular")
            .group_by(Account.category)
            .order_by(Account.category)
        )
        for category, count, kwh_sum, total_sum in rows:
            kwh = Decimal(kwh_sum or 0)
            total = Decimal(total_sum or 0)
            summary.bills += int(count)
            summary.kwh += kwh
            summary.total += total
            summary.by_category[category] = {
                "bills": str(count),
                "kwh": f"{kwh.normalize():f}",
                "total": str(total.quantize(Decimal("0.01"))),
            }
        summary.by_state = {
            state: int(count)
            for state, count in session.execute(
                select(Bill.state, func.count(Bill.id))
                .where(Bill.period == period, Bill.kind == "regular")
                .group_by(Bill.state)
            )
        }
        adjustments, adjusted = session.execute(
            select(func.count(Bill.id), func.sum(Bill.total)).where(
                Bill.period == period, Bill.kind != "regular"
            )
        ).one()
        summary.adjustments = int(adjustments)
        summary.adjustments_total = Decimal(adjusted or 0).quantize(Decimal("0.01"))
        runs = [r for r in session.scalars(select(BillRun.id).where(BillRun.period == period))]
        reasons = Counter(
            session.scalars(select(BillRunIssue.reason).where(BillRunIssue.run_id.in_(runs or [-1])))
        )
        summary.unpriced = dict(reasons.most_common())
    summary.total = summary.total.quantize(Decimal("0.01"))
    return summary


@dataclass
class StoredBill:
    bill: dict[str, object]
    lines: list[dict[str, str]]


def bill_of(ctx: AppContext, *, actor: str | None, account_no: str, period: str) -> StoredBill:
    """One account's bill for a period, with its lines in order."""
    with use_case(ctx, actor=actor, action=Action.BILL_READ) as (session, _who):
        row = session.execute(
            select(Bill, Account.account_no, Account.category)
            .join(Account, Account.id == Bill.account_id)
            .where(Account.account_no == account_no, Bill.period == period, Bill.kind == "regular")
        ).first()
        if row is None:
            raise NotFound(
                _("No bill for account {account} in {period}").format(account=account_no, period=period)
            )
        bill, number, category = row
        lines = list(
            session.scalars(select(BillLine).where(BillLine.bill_id == bill.id).order_by(BillLine.seq))
        )
        return StoredBill(
            bill={
                "id": bill.id,
                "account_no": number,
                "category": category,
                "period": bill.period,
                "state": bill.state,
                "start": bill.start_on.isoformat(),
                "end": bill.end_on.isoformat(),
                "kwh": f"{bill.kwh.normalize():f}",
                "quality": bill.quality,
                "tariff_version": bill.tariff_version,
                "power_factor": None if bill.power_factor is None else str(bill.power_factor),
                "pf_adjustment_percent": None
                if bill.pf_percent is None
                else f"{bill.pf_percent.normalize():f}",
                "total": str(bill.total),
                "reviewed_by": bill.reviewed_by,
                "review_reason": bill.review_reason,
                "bill_no": bill.bill_no,
                "issued_on": None if bill.issued_on is None else bill.issued_on.isoformat(),
                "due_on": None if bill.due_on is None else bill.due_on.isoformat(),
            },
            lines=[
                {
                    "code": line.code,
                    "label": line.label,
                    "quantity": str(line.quantity.quantize(Decimal("0.01")))
                    if line.unit == "元"
                    else f"{line.quantity.normalize():f}",
                    "unit": line.unit,
                    "unit_price": line.unit_price,
                    "amount": str(line.amount),
                    "rule": line.rule,
                    "tariff_version": line.tariff_version,
                }
                for line in lines
            ],
        )
