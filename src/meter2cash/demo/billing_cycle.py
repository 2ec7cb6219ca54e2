"""The demo's monthly billing (核算): load the illustrative 蒙西 tariff catalog, then for each period
the reading cycle closed:

1. run the bills (电费计算) as the billing clerk;
2. review them (量费审核) as the reviewer: clean bills are approved automatically, flagged ones stay
   in the review queue for a human — the demo does not decide them, that is left to try;
3. issue (发行) every route book's approved bills as the billing clerk;
4. score the planted faults: was the bill they touched stopped at review (flagged), or did it
   reach a customer (issued)? A fault whose reading was held back has no bill at all.

Runs on the demo's own clock — the morning after the period's last reading window closes, when
the reading cycle closes the period — so nothing reads the wall clock. Running it again adds
nothing: the runs find their bills, review finds no draft, issuing finds nothing approved.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select

from meter2cash.billing.bill_kpis import bill_kpis
from meter2cash.billing.bill_model import Bill
from meter2cash.billing.bill_queries import period_summary
from meter2cash.billing.bill_run import run_bills
from meter2cash.billing.catalog import load_catalog
from meter2cash.billing.catalog_files import bundled_catalog_path
from meter2cash.billing.issue import issue_bills
from meter2cash.billing.review import review_bills
from meter2cash.demo.reading_cycle import PERSISTENT, READING_FAULTS
from meter2cash.demo.steps import Progress, Silent
from meter2cash.platform.clock import BUSINESS_TZ, FixedClock
from meter2cash.platform.context import AppContext
from meter2cash.reading.schedule import DEFAULT_SCHEDULE, due_date, previous_period
from meter2cash.registry.model import Account, RouteBook

BILLING = "billing"
REVIEW_HOUR = 10  # the clerk runs the bills, the reviewer reviews and the books are issued that morning
# What became of the bill a planted fault touched.
HELD_AT_READING = "held_at_reading"  # no bill: the reading's exception held the determinant back
STOPPED_AT_REVIEW = "stopped_at_review"  # the bill is flagged (or rejected) for a reviewer
REACHED_CUSTOMER = "reached_customer"  # the bill was issued
NOT_ISSUED = "not_issued"  # priced but not issued (approved or draft)


@dataclass
class BillingOutcome:
    tariff_versions_added: int = 0
    periods: list[str] = field(default_factory=list)
    priced: dict[str, int] = field(default_factory=dict)  # period → bills priced by this call
    summaries: dict[str, dict[str, object]] = field(default_factory=dict)  # period → PeriodSummary JSON
    reviews: dict[str, dict[str, object]] = field(default_factory=dict)  # period → ReviewReport JSON
    issued: dict[str, int] = field(default_factory=dict)  # period → bills issued by this call
    kpis: dict[str, dict[str, object]] = field(default_factory=dict)  # period → BillKpis JSON
    faults: list[dict[str, object]] = field(default_factory=list)  # per fault kind: what became of it
    documents: list[str] = field(default_factory=list)  # sample 电费通知单 PDFs of the last period
    documents_skipped: str = ""  # why no sample PDF was written (e.g. no CJK font)


def run_billing(
    ctx: AppContext,
    *,
    periods: list[str],
    admin: str,
    clerk: str,
    reviewer: str = "reviewer",
    progress: Progress | None = None,
) -> BillingOutcome:
    report = progress or Silent()
    outcome = BillingOutcome(periods=list(periods))
    loaded = load_catalog(ctx, actor=admin, path=bundled_catalog_path())
    outcome.tariff_versions_added = loaded.added
    with ctx.sessions() as session:
        books = list(session.scalars(select(RouteBook).order_by(RouteBook.code)))
    for period in periods:
        _move_clock(ctx, period=period, books=books)

        def advance(done: int, total: int, period: str = period) -> None:
            if done == 0:
                report.start(f"{BILLING} {period}", total)
            else:
                report.update(f"{BILLING} {period}", done)

        run = run_bills(ctx, actor=clerk, period=period, progress=advance)
        outcome.priced[period] = run.priced
        outcome.reviews[period] = review_bills(ctx, actor=reviewer, period=period).as_json()
        outcome.issued[period] = _issue_books(ctx, clerk=clerk, period=period, books=books)
        outcome.summaries[period] = period_summary(ctx, actor=clerk, period=period).as_json()
        outcome.kpis[period] = bill_kpis(ctx, actor=clerk, period=period).as_json()
    if periods:
        _sample_documents(ctx, clerk=clerk, period=periods[-1], outcome=outcome)
    planted = ctx.settings.data_dir / "demo" / "planted_faults.csv"
    if planted.exists() and periods:
        outcome.faults = score_faults(ctx, periods=periods, planted=planted, books=books)
    return outcome


def _move_clock(ctx: AppContext, *, period: str, books: list[RouteBook]) -> None:
    """The morning after the period's last reading window closes (when the demo closes it)."""
    if not isinstance(ctx.clock, FixedClock) or not books:
        return
    last = max(due_date(period=period, reading_day=b.reading_day) for b in books)
    day = last + timedelta(days=DEFAULT_SCHEDULE.window_days + 1)
    ctx.clock.instant = datetime.combine(day, time(REVIEW_HOUR), tzinfo=BUSINESS_TZ).astimezone(UTC)


def _issue_books(ctx: AppContext, *, clerk: str, period: str, books: list[RouteBook]) -> int:
    """Issue every route book that has approved bills; the flagged ones stay behind."""
    with ctx.sessions() as session:
        ready = set(
            session.scalars(
                select(RouteBook.code)
                .join(Account, Account.route_book_id == RouteBook.id)
                .join(Bill, Bill.account_id == Account.id)
                .where(Bill.period == period, Bill.state == "approved")
                .distinct()
            )
        )
    issued = 0
    for book in books:
        if book.code in ready:
            issued += issue_bills(ctx, actor=clerk, period=period, route_book=book.code).issued
    return issued


def score_faults(
    ctx: AppContext, *, periods: list[str], planted: Path, books: list[RouteBook]
) -> list[dict[str, object]]:
    """For each kind of planted reading fault: how many touched a bill of the cycle, and whether that
    bill was held at reading (none), stopped at review (flagged or rejected) or reached a customer.

    A one-off fault touches the bill of the period whose reading interval (the previous reading
    day, this one] holds its day; a persistent one (a stopped meter, theft) every bill from then
    on."""
    reading_day = {b.id: b.reading_day for b in books}
    with ctx.sessions() as session:
        accounts = dict(session.execute(select(Account.account_no, Account.route_book_id)).tuples().all())
        states: dict[tuple[str, str], str] = {
            (number, period): state
            for number, period, state in session.execute(
                select(Account.account_no, Bill.period, Bill.state)
                .join(Account, Account.id == Bill.account_id)
                .where(Bill.period.in_(periods), Bill.kind == "regular")
            ).tuples()
        }
    counts: dict[str, dict[str, int]] = {kind: defaultdict(int) for kind in READING_FAULTS}
    with planted.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            kind, number = row["kind"], row["account_no"]
            if kind not in READING_FAULTS or not row["day"] or number not in accounts:
                continue
            day = date.fromisoformat(row["day"])
            day_of_reading = reading_day[accounts[number]]
            touched = _periods_touched(day, kind=kind, periods=periods, reading_day=day_of_reading)
            if not touched:
                continue
            found = [states.get((number, p)) for p in touched]
            counts[kind]["planted"] += 1
            counts[kind][_fate([s for s in found if s is not None])] += 1
    return [
        {
            "kind": kind,
            "planted": counts[kind]["planted"],
            HELD_AT_READING: counts[kind][HELD_AT_READING],
            STOPPED_AT_REVIEW: counts[kind][STOPPED_AT_REVIEW],
            REACHED_CUSTOMER: counts[kind][REACHED_CUSTOMER],
            NOT_ISSUED: counts[kind][NOT_ISSUED],
        }
        for kind in READING_FAULTS
    ]


def _periods_touched(day: date, *, kind: str, periods: list[str], reading_day: int) -> list[str]:
    touched = []
    for period in periods:
        start = due_date(period=previous_period(period), reading_day=reading_day)
        end = due_date(period=period, reading_day=reading_day)
        if (kind in PERSISTENT and day <= end) or start < day <= end:
            touched.append(period)
    return touched


def _fate(states: list[str]) -> str:
    if not states:
        return HELD_AT_READING
    if any(s in ("flagged", "rejected") for s in states):
        return STOPPED_AT_REVIEW
    if any(s == "issued" for s in states):
        return REACHED_CUSTOMER
    return NOT_ISSUED


def _sample_documents(ctx: AppContext, *, clerk: str, period: str, outcome: BillingOutcome) -> None:
    """One issued bill of each customer class as a PDF 电费通知单, in the demo directory."""
    from sqlalchemy import func

    from meter2cash.billing.bill_model import Bill
    from meter2cash.billing.document_service import write_documents
    from meter2cash.platform.errors import NotFound
    from meter2cash.registry.model import Account

    with ctx.sessions() as session:
        accounts = list(
            session.scalars(
                select(func.min(Account.account_no))
                .join(Bill, Bill.account_id == Account.id)
                .where(Bill.period == period, Bill.state == "issued")
                .group_by(Account.category)
            )
        )
    out_dir = ctx.settings.data_dir / "demo" / "bills" / period
    for account_no in accounts:
        try:
            written = write_documents(
                ctx, actor=clerk, period=period, account_no=account_no, out_dir=out_dir, formats=("pdf",)
            )
        except NotFound as missing:  # no CJK font on this machine: say so, do not fail the demo
            outcome.documents_skipped = str(missing)
            return
        outcome.documents.extend(str(path) for path in written.files)
