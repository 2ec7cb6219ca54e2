"""Reading bills for the console: the periods billed, each route book's bills by state (what is
ready to issue), one book's bills, one flagged bill as a review queue row, and one bill with its
lines, findings and review decisions. Read-only; the use cases themselves (summary, queue,
decisions, issue) are billing's."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from meter2cash.billing.bill_model import Bill, BillFinding, BillLine, BillReview
from meter2cash.billing.review import QueuedBill
from meter2cash.platform.errors import NotFound
from meter2cash.platform.i18n import gettext as _
from meter2cash.reading.plans import route_books
from meter2cash.registry.model import Account, Customer, RouteBook

BILLS_SHOWN = 1000


def bill_periods(session: Session) -> list[str]:
    """Periods with regular bills, newest first."""
    return list(
        session.scalars(
            select(Bill.period).where(Bill.kind == "regular").distinct().order_by(Bill.period.desc())
        )
    )


@dataclass
class BookBills:
    """One route book's regular bills of a period, counted by state."""

    code: str
    name: str
    states: Counter[str] = field(default_factory=Counter)


def bills_by_book(session: Session, *, period: str) -> list[BookBills]:
    """Every route book with bills in ``period``, with its bills by state."""
    books: dict[str, BookBills] = {}
    for code, name, state, count in session.execute(
        select(RouteBook.code, RouteBook.name, Bill.state, func.count(Bill.id))
        .join(Account, Account.route_book_id == RouteBook.id)
        .join(Bill, Bill.account_id == Account.id)
        .where(Bill.period == period, Bill.kind == "regular")
        .group_by(RouteBook.code, RouteBook.name, Bill.state)
        .order_by(RouteBook.code)
    ):
        books.setdefault(code, BookBills(code, name)).states[state] += int(count)
    return list(books.values())


@dataclass(frozen=True, slots=True)
class BillRow:
    id: int
    account_no: str
    customer_name: str
    kind: str
    state: str
    kwh: Decimal
    total: Decimal
    bill_no: str | None


def book_bills(session: Session, *, period: str, route_book: str) -> list[BillRow]:
    """The bills of one route book in ``period`` by account (at most ``BILLS_SHOWN``)."""
    book = route_books(session, route_book)[0]
    rows = session.execute(
        select(Bill, Account.account_no, Customer.name)
        .join(Account, Account.id == Bill.account_id)
        .join(Customer, Customer.id == Account.customer_id)
        .where(Bill.period == period, Account.route_book_id == book.id)
        .order_by(Account.account_no, Bill.id)
        .limit(BILLS_SHOWN)
    )
    return [
        BillRow(bill.id, number, name, bill.kind, bill.state, bill.kwh, bill.total, bill.bill_no)
        for bill, number, name in rows
    ]


def queued_bill(session: Session, *, bill_id: int) -> QueuedBill | None:
    """One bill as a review queue row (whatever its state now), or None when it is gone."""
    row = session.execute(
        select(Bill, Account.account_no, Account.category, RouteBook.code)
        .join(Account, Account.id == Bill.account_id)
        .join(RouteBook, RouteBook.id == Account.route_book_id)
        .where(Bill.id == bill_id)
    ).first()
    if row is None:
        return None
    bill, number, category, book = row
    return QueuedBill(
        bill_id=bill.id,
        route_book=book,
        account_no=number,
        period=bill.period,
        category=category,
        kwh=f"{bill.kwh.normalize():f}",
        total=str(bill.total),
        computed_by=bill.computed_by,
        findings=_findings(session, bill.id),
    )


@dataclass
class BillDetail:
    """One bill with everything the console shows about it."""

    bill: Bill
    account_no: str
    customer_name: str
    category: str
    route_book: str
    lines: list[BillLine]
    findings: list[dict[str, str]]
    reviews: list[BillReview]


def bill_detail(session: Session, *, bill_id: int) -> BillDetail:
    """The bill ``bill_id`` with its lines in order, its review findings and the decisions on it."""
    row = session.execute(
        select(Bill, Account.account_no, Customer.name, Account.category, RouteBook.code)
        .join(Account, Account.id == Bill.account_id)
        .join(Customer, Customer.id == Account.customer_id)
        .join(RouteBook, RouteBook.id == Account.route_book_id)
        .where(Bill.id == bill_id)
    ).first()
    if row is None:
        raise NotFound(_("No bill with id {bill}").format(bill=bill_id))
    bill, number, name, category, book = row
    return BillDetail(
        bill=bill,
        account_no=number,
        customer_name=name,
        category=category,
        route_book=book,
        lines=list(
            session.scalars(select(BillLine).where(BillLine.bill_id == bill.id).order_by(BillLine.seq))
        ),
        findings=_findings(session, bill.id),
        reviews=list(
            session.scalars(select(BillReview).where(BillReview.bill_id == bill.id).order_by(BillReview.id))
        ),
    )


def _findings(session: Session, bill_id: int) -> list[dict[str, str]]:
    """The bill's review findings in order, shaped as in the review queue."""
    return [
        {"code": code, "severity": severity, "reason": detail}
        for code, severity, detail in session.execute(
            select(BillFinding.code, BillFinding.severity, BillFinding.detail)
            .where(BillFinding.bill_id == bill_id)
            .order_by(BillFinding.id)
        )
    ]
