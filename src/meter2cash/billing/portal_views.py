"""What a customer sees in the portal (网上营业厅), read for one account only. Read-only.

- **Billed and due** (已发行应收): the sum of the account's receivables — one per issued bill,
  corrections (退补) included, a credit negative. No payments are recorded yet (collection comes
  later), so this is what was billed and is due, not a running balance, and it is labelled so.
- **Bills**: the account's issued bills, newest first, with the amount due and the due date. A
  bill not yet issued (draft, under review) is never shown; a bill's PDF is served only for the
  account's own issued bills — another account's bill number is "not found", like a made-up one.
- **Monthly usage**: the kWh and amount of the account's issued regular bills, the last
  ``MONTHS`` periods up to the newest one (the same figures as the bills themselves).
- **Daily usage**: from the meter readings stored for the account's meters (no interval data is
  kept in the database). The kWh between two consecutive valid readings of one meter install —
  across a register rollover, times the multiplier, as for a bill — is spread evenly over the
  days between them, so a meter read every day shows each day's use and a meter read monthly
  shows the month's average per day; each day says over how many days it was averaged. The
  window is the ``DAILY_DAYS`` days up to the newest reading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from meter2cash.billing.bill_model import Bill, Receivable
from meter2cash.billing.document_fonts import find_cjk_font
from meter2cash.billing.document_render import render_html, render_pdf
from meter2cash.billing.documents import Letterhead, chart_months, load_document
from meter2cash.platform.clock import business_date
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.platform.errors import NotFound
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.money import round_to
from meter2cash.reading.model import MeterReading
from meter2cash.reading.vee.register import BadRegister, RegisterSpec, advance, energy
from meter2cash.registry.model import Account, Customer, Meter, MeterInstall, ServicePoint

MONTHS = 12
DAILY_DAYS = 92


@dataclass(frozen=True, slots=True)
class PortalBill:
    bill_no: str
    period: str
    kind: str  # regular, or adj-<id> for a correction (退补)
    kwh: Decimal
    amount: Decimal  # the receivable: what the bill asks to pay (negative: a credit)
    issued_on: date
    due_on: date

    @property
    def adjustment(self) -> bool:
        return self.kind != "regular"


@dataclass(frozen=True, slots=True)
class BilledDue:
    """The sum of the issued bills' receivables; payments are not deducted (none are recorded yet)."""

    total: Decimal
    bills: int
    latest_due_on: date | None


@dataclass(frozen=True, slots=True)
class MonthUse:
    period: str
    kwh: Decimal | None  # None: no issued bill for that month
    amount: Decimal | None


@dataclass(frozen=True, slots=True)
class ReadingInterval:
    """kWh used between two reading days of one meter install, ``[start, end)``."""

    start: date
    end: date
    kwh: Decimal

    @property
    def days(self) -> int:
        return (self.end - self.start).days


@dataclass(frozen=True, slots=True)
class DayUse:
    day: date
    kwh: Decimal | None  # None: no two readings around this day
    averaged_over: int  # days of the reading interval it comes from (1 = read daily); 0 when None


@dataclass(frozen=True)
class PortalOverview:
    account_no: str
    customer_name: str
    billed_due: BilledDue
    bills: tuple[PortalBill, ...]
    months: tuple[MonthUse, ...]
    days: tuple[DayUse, ...]


@dataclass(frozen=True, slots=True)
class BillPdf:
    file_name: str
    content: bytes


def portal_overview(ctx: AppContext, *, account_id: int) -> PortalOverview:
    """Everything on the customer's home page, for their own account only."""
    with unit_of_work(ctx.sessions) as session:
        row = session.execute(
            select(Account.account_no, Customer.name)
            .join(Customer, Customer.id == Account.customer_id)
            .where(Account.id == account_id)
        ).first()
        if row is None:
            raise NotFound(_("No account with id {id}").format(id=account_id))
        bills = _bills(session, account_id=account_id)
        days = daily_use(_reading_intervals(session, account_id=account_id), days=DAILY_DAYS)
    due = BilledDue(
        total=sum((b.amount for b in bills), Decimal("0.00")),
        bills=len(bills),
        latest_due_on=max((b.due_on for b in bills), default=None),
    )
    return PortalOverview(
        account_no=row[0],
        customer_name=row[1],
        billed_due=due,
        bills=tuple(bills),
        months=tuple(monthly_use(bills, months=MONTHS)),
        days=tuple(days),
    )


def bill_pdf(ctx: AppContext, *, account_id: int, bill_no: str) -> BillPdf:
    """The 电费通知单 PDF of one of the account's own issued bills; `NotFound` for any other."""
    printed_on = business_date(ctx.clock.now())
    with unit_of_work(ctx.sessions) as session:
        bill_id = session.scalar(
            select(Bill.id).where(
                Bill.bill_no == bill_no, Bill.account_id == account_id, Bill.state == "issued"
            )
        )
        if bill_id is None:
            raise NotFound(_("No bill {bill_no} on this account").format(bill_no=bill_no))
        document = load_document(
            session, bill_id=bill_id, letterhead=Letterhead.from_settings(ctx.settings), printed_on=printed_on
        )
    font = find_cjk_font(ctx.settings)
    return BillPdf(
        file_name=f"{document.file_stem}.pdf", content=render_pdf(render_html(document, font=font))
    )


def monthly_use(bills: Sequence[PortalBill], *, months: int) -> list[MonthUse]:
    """The regular bills' kWh and amount for the ``months`` periods up to the newest one. Pure."""
    regular = {b.period: b for b in bills if not b.adjustment}
    if not regular:
        return []
    return [
        MonthUse(
            period=p,
            kwh=regular[p].kwh if p in regular else None,
            amount=regular[p].amount if p in regular else None,
        )
        for p in chart_months(max(regular), months)
    ]


def daily_use(intervals: Sequence[ReadingInterval], *, days: int) -> list[DayUse]:
    """Each of the ``days`` days up to the newest reading day (exclusive) with the kWh of the
    reading intervals covering it, each spread evenly over its days; 0.01 kWh half-up. Pure.

    Intervals of different meters (a meter change, several service points) add up on a day.
    """
    usable = [i for i in intervals if i.days > 0]
    if not usable:
        return []
    end = max(i.end for i in usable)
    result = []
    for offset in range(days, 0, -1):
        day = end - timedelta(days=offset)
        covering = [i for i in usable if i.start <= day < i.end]
        if not covering:
            result.append(DayUse(day=day, kwh=None, averaged_over=0))
            continue
        kwh = sum((i.kwh / i.days for i in covering), Decimal(0))
        result.append(
            DayUse(day=day, kwh=round_to(kwh, places=2), averaged_over=max(i.days for i in covering))
        )
    return result


def _bills(session: Session, *, account_id: int) -> list[PortalBill]:
    rows = session.execute(
        select(Bill, Receivable.amount)
        .join(Receivable, Receivable.bill_id == Bill.id)
        .where(Bill.account_id == account_id, Bill.state == "issued")
        .order_by(Bill.issued_on.desc(), Bill.bill_no.desc())
    ).all()
    return [
        PortalBill(
            bill_no=bill.bill_no or "",
            period=bill.period,
            kind=bill.kind,
            kwh=bill.kwh,
            amount=amount,
            issued_on=_issued_day(bill.issued_on),
            due_on=_issued_day(bill.due_on),
        )
        for bill, amount in rows
    ]


def _issued_day(value: date | None) -> date:
    if value is None:  # the database refuses an issued bill without its dates
        raise ValueError("an issued bill has its issue and due dates")
    return value


def _reading_intervals(session: Session, *, account_id: int) -> list[ReadingInterval]:
    """The intervals between consecutive valid readings (and the install's start and end
    registers) of each meter installed on the account's service points, from the newest reading
    back to ``DAILY_DAYS`` before it — plus the reading before that, to open the first interval."""
    installs = session.execute(
        select(MeterInstall, Meter)
        .join(Meter, Meter.id == MeterInstall.meter_id)
        .join(ServicePoint, ServicePoint.id == MeterInstall.service_point_id)
        .where(ServicePoint.account_id == account_id)
    ).all()
    if not installs:
        return []
    newest = session.scalar(
        select(func.max(MeterReading.read_on)).where(
            MeterReading.service_point_id.in_(sorted({i.service_point_id for i, _m in installs})),
            MeterReading.status == "valid",
        )
    )
    if newest is None:
        return []
    cutoff = newest - timedelta(days=DAILY_DAYS)
    intervals: list[ReadingInterval] = []
    for install, meter in installs:
        marks = _marks(session, install=install, cutoff=cutoff)
        try:
            spec = RegisterSpec(integer_digits=meter.integer_digits, decimal_digits=meter.decimal_digits)
            for (start, opening), (end, closing) in pairwise(marks):
                moved = advance(previous=opening, current=closing, spec=spec)
                intervals.append(
                    ReadingInterval(
                        start=start, end=end, kwh=energy(moved=moved, multiplier=install.multiplier)
                    )
                )
        except BadRegister:
            continue  # a register the meter cannot show: the checks deal with it, the chart skips it
    return intervals


def _marks(session: Session, *, install: MeterInstall, cutoff: date) -> list[tuple[date, Decimal]]:
    """(day, total register) of the install from the reading before ``cutoff`` on, last of a day."""
    of_install = (
        MeterReading.meter_id == install.meter_id,
        MeterReading.service_point_id == install.service_point_id,
        MeterReading.status == "valid",
        MeterReading.read_on >= install.installed_on,
        *(() if install.removed_on is None else (MeterReading.read_on <= install.removed_on,)),
    )
    order = (MeterReading.read_on, MeterReading.read_at, MeterReading.id)
    opening = session.execute(
        select(MeterReading.read_on, MeterReading.total)
        .where(*of_install, MeterReading.read_on < cutoff)
        .order_by(*(c.desc() for c in order))
        .limit(1)
    ).first()
    marks: dict[date, Decimal] = {}
    if opening is None:
        marks[install.installed_on] = install.start_total
    else:
        marks[opening[0]] = opening[1]
    for day, total in session.execute(
        select(MeterReading.read_on, MeterReading.total)
        .where(*of_install, MeterReading.read_on >= cutoff)
        .order_by(*order)
    ):
        marks[day] = total
    if install.removed_on is not None and install.end_total is not None:
        marks[install.removed_on] = install.end_total
    return sorted(marks.items())
