"""Reading the archive for Customer 360 (客户全景): finding accounts by account number, name,
address or meter number, and everything about one account — the customer, the contract, its
service points, the meters installed on them over time, readings, determinants, bills and the
audit records about them. Read-only."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from meter2cash.billing.bill_model import Bill
from meter2cash.platform.audit import AuditRecord, history
from meter2cash.platform.errors import NotFound
from meter2cash.platform.i18n import gettext as _
from meter2cash.reading.model import BillingDeterminant, MeterReading, ReadingEdit, ReadingException
from meter2cash.registry.model import (
    Account,
    Customer,
    Meter,
    MeterInstall,
    RouteBook,
    ServicePoint,
    TariffAssignment,
    TransformerArea,
)

SEARCH_LIMIT = 50
READINGS_SHOWN = 36
DETERMINANTS_SHOWN = 13
EVENTS_SHOWN = 200


@dataclass(frozen=True, slots=True)
class AccountHit:
    """One account found by a search."""

    account_no: str
    customer_name: str
    address: str
    category: str
    status: str
    route_book: str
    meters: tuple[str, ...]


def search_accounts(
    session: Session, *, term: str, today: date, limit: int = SEARCH_LIMIT
) -> list[AccountHit]:
    """Accounts whose number, customer name, address or (any, past or present) meter number
    contains ``term`` (case-insensitive, taken literally), by account number."""
    text = term.strip()
    if not text:
        return []
    by_meter = exists(
        select(MeterInstall.id)
        .join(ServicePoint, ServicePoint.id == MeterInstall.service_point_id)
        .join(Meter, Meter.id == MeterInstall.meter_id)
        .where(ServicePoint.account_id == Account.id, Meter.meter_no.icontains(text, autoescape=True))
    )
    rows = session.execute(
        select(Account, Customer.name, Customer.address, RouteBook.code)
        .join(Customer, Customer.id == Account.customer_id)
        .join(RouteBook, RouteBook.id == Account.route_book_id)
        .where(
            or_(
                Account.account_no.icontains(text, autoescape=True),
                Customer.name.icontains(text, autoescape=True),
                Customer.address.icontains(text, autoescape=True),
                by_meter,
            )
        )
        .order_by(Account.account_no)
        .limit(limit)
    ).all()
    meters = current_meters(session, account_ids=[account.id for account, *_rest in rows], on=today)
    return [
        AccountHit(
            account_no=account.account_no,
            customer_name=name,
            address=address or "",
            category=account.category,
            status=account.status,
            route_book=book,
            meters=tuple(meters.get(account.id, ())),
        )
        for account, name, address, book in rows
    ]


def current_meters(session: Session, *, account_ids: list[int], on: date) -> dict[int, list[str]]:
    """account id → the numbers of the meters installed on its points on ``on``."""
    found: dict[int, list[str]] = defaultdict(list)
    if not account_ids:
        return found
    for account_id, meter_no in session.execute(
        select(ServicePoint.account_id, Meter.meter_no)
        .join(MeterInstall, MeterInstall.service_point_id == ServicePoint.id)
        .join(Meter, Meter.id == MeterInstall.meter_id)
        .where(
            ServicePoint.account_id.in_(account_ids),
            MeterInstall.installed_on <= on,
            (MeterInstall.removed_on.is_(None)) | (MeterInstall.removed_on > on),
        )
        .order_by(Meter.meter_no)
    ):
        if account_id is not None:
            found[account_id].append(meter_no)
    return found


@dataclass
class Customer360:
    """Everything the console shows about one account."""

    account: Account
    customer: Customer
    route_book: RouteBook
    area: TransformerArea
    master_account_no: str | None
    tariffs: list[TariffAssignment]
    points: list[ServicePoint]
    installs: list[tuple[MeterInstall, str, str]]  # install, meter number, service point code
    readings: list[tuple[MeterReading, str]]  # reading, meter number; newest first
    determinants: list[BillingDeterminant]  # oldest first
    bills: list[Bill]  # newest first
    exceptions: list[tuple[ReadingException, str]]  # exception, meter number; newest first
    events: list[AuditRecord] = field(default_factory=list)  # oldest first


def customer_360(session: Session, *, account_no: str, with_events: bool) -> Customer360:
    """The account ``account_no`` with its archive, meters, readings, bills and (when asked) the
    audit records of the account, its service points, bills and reading exceptions."""
    account = session.scalar(select(Account).where(Account.account_no == account_no))
    if account is None:
        raise NotFound(_("Unknown account: {code}").format(code=account_no))
    customer = session.get(Customer, account.customer_id)
    book = session.get(RouteBook, account.route_book_id)
    area = session.get(TransformerArea, account.transformer_area_id)
    assert customer is not None and book is not None and area is not None  # foreign keys
    master = session.get(Account, account.master_account_id) if account.master_account_id else None
    points = list(
        session.scalars(
            select(ServicePoint).where(ServicePoint.account_id == account.id).order_by(ServicePoint.code)
        )
    )
    point_ids = [p.id for p in points]
    installs = [
        (install, meter_no, code)
        for install, meter_no, code in session.execute(
            select(MeterInstall, Meter.meter_no, ServicePoint.code)
            .join(Meter, Meter.id == MeterInstall.meter_id)
            .join(ServicePoint, ServicePoint.id == MeterInstall.service_point_id)
            .where(MeterInstall.service_point_id.in_(point_ids))
            .order_by(ServicePoint.code, MeterInstall.installed_on)
        )
    ]
    readings = [
        (reading, meter_no)
        for reading, meter_no in session.execute(
            select(MeterReading, Meter.meter_no)
            .join(Meter, Meter.id == MeterReading.meter_id)
            .where(MeterReading.service_point_id.in_(point_ids))
            .order_by(MeterReading.read_on.desc(), MeterReading.id.desc())
            .limit(READINGS_SHOWN)
        )
    ]
    determinants = list(
        session.scalars(
            select(BillingDeterminant)
            .where(BillingDeterminant.account_id == account.id)
            .order_by(BillingDeterminant.period.desc())
            .limit(DETERMINANTS_SHOWN)
        )
    )[::-1]
    bills = list(
        session.scalars(
            select(Bill).where(Bill.account_id == account.id).order_by(Bill.period.desc(), Bill.id.desc())
        )
    )
    meter_ids = {install.meter_id for install, _no, _code in installs}
    exceptions = [
        (item, meter_no)
        for item, meter_no in session.execute(
            select(ReadingException, Meter.meter_no)
            .join(Meter, Meter.id == ReadingException.meter_id)
            .where(ReadingException.meter_id.in_(meter_ids))
            .order_by(ReadingException.id.desc())
            .limit(READINGS_SHOWN)
        )
    ]
    tariffs = list(
        session.scalars(
            select(TariffAssignment)
            .where(TariffAssignment.account_id == account.id)
            .order_by(TariffAssignment.effective_from)
        )
    )
    found = Customer360(
        account=account,
        customer=customer,
        route_book=book,
        area=area,
        master_account_no=master.account_no if master else None,
        tariffs=tariffs,
        points=points,
        installs=installs,
        readings=readings,
        determinants=determinants,
        bills=bills,
        exceptions=exceptions,
    )
    if with_events:
        found.events = account_events(session, found)
    return found


def account_events(session: Session, found: Customer360) -> list[AuditRecord]:
    """The audit records about the account, its service points, its bills, and the reading
    exceptions of its meters and their edits, oldest first (the newest ``EVENTS_SHOWN``)."""
    objects = [("account", found.account.account_no)]
    objects += [("service_point", p.code) for p in found.points]
    objects += [("bill", str(b.id)) for b in found.bills]
    exception_ids = [e.id for e, _no in found.exceptions]
    objects += [("reading_exception", str(i)) for i in exception_ids]
    edit_ids = session.scalars(select(ReadingEdit.id).where(ReadingEdit.exception_id.in_(exception_ids)))
    objects += [("reading_edit", str(i)) for i in edit_ids]
    records = {r.seq: r for kind, key in objects for r in history(session, object_type=kind, object_id=key)}
    return [records[seq] for seq in sorted(records)][-EVENTS_SHOWN:]
