"""The archive (档案) API: search accounts by number, customer name, address or meter number, a
page at a time; and the account look-up the other areas share. Read-only; every staff role may
(``archive.read``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from meter2cash.interfaces.web.api.deps import ArchiveReader, Ctx
from meter2cash.interfaces.web.api.schemas_archive import AccountSummaryOut
from meter2cash.interfaces.web.api.schemas_common import (
    CODE_PATTERN,
    LimitQuery,
    OffsetQuery,
    Page,
    page_of,
)
from meter2cash.platform.context import use_case
from meter2cash.platform.errors import NotFound
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action
from meter2cash.registry.model import (
    Account,
    Customer,
    Meter,
    MeterInstall,
    RouteBook,
    ServicePoint,
    TransformerArea,
)

router = APIRouter(tags=["archive"])
AccountNo = Annotated[str, Path(min_length=1, max_length=32, pattern=CODE_PATTERN, description="户号")]
SearchText = Annotated[str | None, Query(min_length=1, max_length=100, pattern=CODE_PATTERN)]


def text(value: Decimal | date | None) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


def find_account(session: Session, *, account_no: str) -> Account:
    """The account by number; `NotFound` naming it otherwise."""
    account = session.scalar(select(Account).where(Account.account_no == account_no))
    if account is None:
        raise NotFound(_("Unknown account: {account}").format(account=account_no))
    return account


def _search(
    *, account_no: str | None, name: str | None, address: str | None, meter_no: str | None
) -> Select[Account, Customer, str, str]:
    query = (
        select(Account, Customer, RouteBook.code, TransformerArea.code)
        .join(Customer, Customer.id == Account.customer_id)
        .join(RouteBook, RouteBook.id == Account.route_book_id)
        .join(TransformerArea, TransformerArea.id == Account.transformer_area_id)
    )
    if account_no:
        query = query.where(Account.account_no.startswith(account_no, autoescape=True))
    if name:
        query = query.where(Customer.name.contains(name, autoescape=True))
    if address:
        query = query.where(Customer.address.contains(address, autoescape=True))
    if meter_no:
        metered = (
            select(ServicePoint.account_id)
            .join(MeterInstall, MeterInstall.service_point_id == ServicePoint.id)
            .join(Meter, Meter.id == MeterInstall.meter_id)
            .where(Meter.meter_no.startswith(meter_no, autoescape=True))
        )
        query = query.where(Account.id.in_(metered))
    return query


@router.get("/accounts", response_model=Page[AccountSummaryOut], summary="Search accounts (档案查询)")
def search_accounts(
    who: ArchiveReader,
    ctx: Ctx,
    account_no: SearchText = None,
    name: SearchText = None,
    address: SearchText = None,
    meter_no: SearchText = None,
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    """Accounts whose number or a meter number (ever installed) starts with the text given, and
    whose customer name or address contains it; all filters together, by account number."""
    query = _search(account_no=account_no, name=name, address=address, meter_no=meter_no)
    with use_case(ctx, actor=who.username, action=Action.ARCHIVE_READ) as (session, _who):
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.execute(query.order_by(Account.account_no).limit(limit).offset(offset)).all()
        items = [
            {
                "account_no": account.account_no,
                "customer_code": customer.code,
                "customer_name": customer.name,
                "address": customer.address,
                "category": account.category,
                "status": account.status,
                "route_book": book,
                "transformer_area": area,
            }
            for account, customer, book, area in rows
        ]
    return page_of(items, total=int(total), limit=limit, offset=offset)
