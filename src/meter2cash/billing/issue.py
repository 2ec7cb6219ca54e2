"""Issue (发行): a route book's approved bills become issued — numbered, due, receivable, immutable.

``issue_bills`` does, in one transaction:

1. takes this year's bill number counter (``bill_number``) with ``SELECT … FOR UPDATE`` — on
   PostgreSQL the row lock, on SQLite the database write lock every transaction starts with —
   so concurrent issues queue here and numbers are handed out without gaps;
2. takes the route book's ``approved`` bills of the period (locked too), in account order;
3. gives each the next number (``YYYY-NNNNNN``, `issue_policy.bill_number`), its issue day (the
   business date of the clock) and due date (issue day + the class's payment days), sets it
   ``issued`` — from then on the database refuses to change or delete it or its lines;
4. writes one ``receivable`` row per bill (the amount due, for collection to post);
5. writes the audit record (the book, the period, every bill id with its number, the total).

Issuing the same book again issues nothing twice: issued bills are no longer ``approved``. A
second issue running at the same time waits for the first and then finds nothing left. Bills
still ``draft``, ``flagged`` or ``rejected`` are not issued and are reported; a book with no
approved bill and none issued before is refused with the counts by state.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from meter2cash.billing.bill_model import Bill, BillNumber, Receivable
from meter2cash.billing.issue_policy import DEFAULT_ISSUE_POLICY, IssuePolicy, bill_number, due_date
from meter2cash.billing.review import WrongBillState, check_period
from meter2cash.platform.audit import record_audit
from meter2cash.platform.clock import business_date
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action
from meter2cash.reading.plans import route_books
from meter2cash.registry.model import Account


@dataclass
class IssueReport:
    period: str
    route_book: str
    issued: int = 0
    already_issued: int = 0
    first_no: str | None = None
    last_no: str | None = None
    total: Decimal = Decimal("0.00")
    not_issued: dict[str, int] = field(default_factory=dict)  # state → bills left behind
    bills: list[dict[str, str]] = field(default_factory=list)  # account_no, bill_no, amount, due_on

    def as_json(self) -> dict[str, object]:
        return {
            "period": self.period,
            "route_book": self.route_book,
            "issued": self.issued,
            "already_issued": self.already_issued,
            "first_bill_no": self.first_no,
            "last_bill_no": self.last_no,
            "total": str(self.total),
            "not_issued": self.not_issued,
            "bills": self.bills,
        }


def take_numbers(session: Session, *, year: int) -> BillNumber:
    """This year's counter row, locked for the rest of the transaction (created at 0 if new)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(
            text("INSERT INTO bill_number (year, last_no) VALUES (:year, 0) ON CONFLICT (year) DO NOTHING"),
            {"year": year},
        )
    else:
        session.execute(
            text("INSERT OR IGNORE INTO bill_number (year, last_no) VALUES (:year, 0)"), {"year": year}
        )
    counter = session.scalar(
        select(BillNumber)
        .where(BillNumber.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert counter is not None
    return counter


def issue_bills(
    ctx: AppContext,
    *,
    actor: str | None,
    period: str,
    route_book: str,
    policy: IssuePolicy = DEFAULT_ISSUE_POLICY,
) -> IssueReport:
    """Issue the route book's approved bills of the period (发行)."""
    check_period(period)
    report = IssueReport(period=period, route_book=route_book)
    with use_case(ctx, actor=actor, action=Action.BILL_ISSUE) as (session, who):
        book = route_books(session, route_book)[0]
        now = ctx.clock.now()
        today = business_date(now)
        counter = take_numbers(session, year=today.year)
        rows = session.execute(
            select(Bill.id, Bill.total, Account.account_no, Account.category, Account.id)
            .join(Account, Account.id == Bill.account_id)
            .where(Account.route_book_id == book.id, Bill.period == period, Bill.state == "approved")
            .order_by(Account.account_no, Bill.kind, Bill.id)
            .with_for_update(of=Bill)
        ).all()
        states = Counter(
            session.scalars(
                select(Bill.state)
                .join(Account, Account.id == Bill.account_id)
                .where(Account.route_book_id == book.id, Bill.period == period, Bill.state != "approved")
            )
        )
        report.already_issued = states.pop("issued", 0)
        report.not_issued = dict(sorted(states.items()))
        if not rows:
            if report.already_issued:
                return report
            counts = "、".join(f"{state} {count}" for state, count in report.not_issued.items()) or "0"
            raise WrongBillState(
                _(
                    "Route book {book} has no approved bill for {period} to issue (bills by state: "
                    "{counts}); review them first."
                ).format(book=route_book, period=period, counts=counts)
            )
        seq = counter.last_no
        changes: list[dict[str, object]] = []
        receivables: list[dict[str, object]] = []
        numbered: list[list[object]] = []
        for bill_id, total, account_no, category, account_id in rows:
            seq += 1
            number = bill_number(year=today.year, seq=seq)
            due = due_date(issued_on=today, category=category, policy=policy)
            changes.append(
                {
                    "id": bill_id,
                    "state": "issued",
                    "bill_no": number,
                    "issued_on": today,
                    "issued_by": who.username,
                    "due_on": due,
                }
            )
            receivables.append(
                {
                    "bill_id": bill_id,
                    "account_id": account_id,
                    "bill_no": number,
                    "period": period,
                    "amount": total,
                    "issued_on": today,
                    "due_on": due,
                }
            )
            numbered.append([bill_id, number])
            report.total += total
            report.bills.append(
                {"account_no": account_no, "bill_no": number, "amount": str(total), "due_on": due.isoformat()}
            )
        session.execute(update(Bill), changes)
        session.execute(insert(Receivable), receivables)
        counter.last_no = seq
        report.issued = len(rows)
        report.first_no, report.last_no = str(numbered[0][1]), str(numbered[-1][1])
        record_audit(
            session,
            at=now,
            actor=who.username,
            action="bill.issue",
            object_type="bill_issue",
            object_id=f"{route_book}:{period}",
            after={
                "period": period,
                "route_book": route_book,
                "issued": report.issued,
                "first_bill_no": report.first_no,
                "last_bill_no": report.last_no,
                "total": str(report.total),
                "issued_on": today.isoformat(),
                "bills": numbered,
                "not_issued": report.not_issued,
            },
        )
    return report
