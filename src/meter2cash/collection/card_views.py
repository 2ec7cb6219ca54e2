"""What the card vend screen shows of an account: its customer and meter, the ledger balance, the
vends (newest first), the meter's latest report and the open exceptions; and one vend's slip."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from meter2cash.collection.ledger import AccountBalance, account_balance
from meter2cash.collection.ledger_model import Payment
from meter2cash.collection.prepaid_archive import customer_of, find_account, installed_meter
from meter2cash.collection.prepaid_model import CardMeterReport, CardVend, PrepaidException
from meter2cash.platform.clock import business_date
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.errors import NotFound
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action
from meter2cash.registry.model import Account, Customer, Meter

HISTORY_SHOWN = 50


@dataclass(frozen=True)
class CardAccount:
    account_no: str
    customer_name: str
    address: str
    payment_mode: str
    meter_no: str | None
    balance: AccountBalance
    vends: list[dict[str, Any]]
    report: dict[str, Any] | None
    exceptions: list[dict[str, Any]]


@dataclass(frozen=True)
class VendSlip:
    vend_id: int
    account_no: str
    customer_name: str
    address: str
    meter_no: str
    card_no: str
    purchase_count: int
    first_purchase: bool
    unit: str
    amount: Decimal
    kwh: Decimal
    opening_kwh: Decimal
    price: Decimal | None
    receipt_no: str | None
    vended_by: str
    vended_at: datetime


def card_account(ctx: AppContext, *, actor: str | None, account_no: str) -> CardAccount:
    with use_case(ctx, actor=actor, action=Action.PREPAID_VEND) as (session, _who):
        account = find_account(session, account_no=account_no)
        customer = customer_of(session, account=account)
        meter = installed_meter(session, account_id=account.id, on=business_date(ctx.clock.now()))
        vends = session.execute(
            select(CardVend, Payment.receipt_no)
            .join(Payment, Payment.id == CardVend.payment_id)
            .where(CardVend.account_id == account.id)
            .order_by(CardVend.vended_at.desc(), CardVend.id.desc())
            .limit(HISTORY_SHOWN)
        ).all()
        report = None
        if meter is not None:
            latest = session.scalars(
                select(CardMeterReport)
                .where(CardMeterReport.meter_id == meter.meter_id)
                .order_by(CardMeterReport.reported_on.desc())
            ).first()
            if latest is not None:
                report = {
                    "reported_on": latest.reported_on,
                    "unit": latest.unit,
                    "purchase_count": latest.purchase_count,
                    "cumulative_purchase": latest.cumulative_purchase,
                    "remaining": latest.remaining,
                    "cumulative_used": latest.cumulative_used,
                }
        exceptions = session.scalars(
            select(PrepaidException)
            .where(PrepaidException.account_id == account.id, PrepaidException.state == "open")
            .order_by(PrepaidException.id)
        ).all()
        return CardAccount(
            account_no=account.account_no,
            customer_name=customer.name,
            address=customer.address or "",
            payment_mode=account.payment_mode,
            meter_no=None if meter is None else meter.meter_no,
            balance=account_balance(session, account_id=account.id),
            vends=[
                {
                    "id": v.id,
                    "card_no": v.card_no,
                    "purchase_count": v.purchase_count,
                    "first_purchase": v.first_purchase,
                    "amount": v.amount,
                    "kwh": v.kwh,
                    "unit": v.unit,
                    "receipt_no": receipt,
                    "vended_at": v.vended_at,
                    "vended_by": v.vended_by,
                }
                for v, receipt in vends
            ],
            report=report,
            exceptions=[
                {"kind": e.kind, "reported_on": e.reported_on, "reason": e.reason} for e in exceptions
            ],
        )


def vend_slip(ctx: AppContext, *, actor: str | None, vend_id: int) -> VendSlip:
    with use_case(ctx, actor=actor, action=Action.PREPAID_VEND) as (session, _who):
        found = session.execute(
            select(CardVend, Account, Customer, Meter.meter_no, Payment.receipt_no)
            .join(Account, Account.id == CardVend.account_id)
            .join(Customer, Customer.id == Account.customer_id)
            .join(Meter, Meter.id == CardVend.meter_id)
            .join(Payment, Payment.id == CardVend.payment_id)
            .where(CardVend.id == vend_id)
        ).first()
        if found is None:
            raise NotFound(_("No vend {id}.").format(id=vend_id))
        vend, account, customer, meter_no, receipt = found
        return VendSlip(
            vend_id=vend.id,
            account_no=account.account_no,
            customer_name=customer.name,
            address=customer.address or "",
            meter_no=meter_no,
            card_no=vend.card_no,
            purchase_count=vend.purchase_count,
            first_purchase=vend.first_purchase,
            unit=vend.unit,
            amount=vend.amount,
            kwh=vend.kwh,
            opening_kwh=vend.opening_kwh,
            price=vend.price,
            receipt_no=receipt,
            vended_by=vend.vended_by,
            vended_at=vend.vended_at,
        )
