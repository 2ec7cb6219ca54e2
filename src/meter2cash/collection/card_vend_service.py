"""Selling electricity to an IC-card meter (售电, docs/prepaid.md "Services"; ../shared/docs/
domain-rules.md §3).

`vend_card` does, in one unit of work:

1. refuses, with the reason, an amount that is not more than 0 in whole fen, an account that is
   not a card-prepaid one (`payment_mode = card_prepaid`) or has no meter installed today;
2. **idempotency:** a vend whose idempotency key was seen before is not sold again — the first
   vend is returned (``replayed``); the same key for another account, card or amount is refused;
3. locks the account, so two vends on one account are numbered one after the other;
4. the purchase count (购电次数) is the meter's last one + 1 (1 for the first purchase, 首次购电,
   which alone may carry an opening kWh, 预置电量); a count given by the card reader is checked,
   and `card_meters.check_vend` refuses a duplicate, a gap, another card or a vend that sells
   nothing;
5. **kWh** for a meter that counts energy (``unit: kwh``): amount ÷ the price of the first kWh of
   the account's tariff in force today (tier 1 or the flat price, plus the funds the customer
   class pays), rounded half-up to ``kwh_decimals`` (`prepaid_settings`); a card meter keeps no
   tiers. A money meter (``yuan``) is loaded with the amount;
6. takes the money with the payment service's own step (`payments.record_payment`, counter
   channel, cash): with no open bills it becomes prepayment (预收) by the ledger's allocation;
7. writes the vend and its audit record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from meter2cash.billing.tariff import Tariff
from meter2cash.collection import gl
from meter2cash.collection.card_meters import CardUnit, VendRecord, check_vend
from meter2cash.collection.card_reports import vend_records
from meter2cash.collection.ledger import account_balance
from meter2cash.collection.ledger_model import Payment
from meter2cash.collection.payments import (
    DuplicatePayment,
    PaymentRefused,
    PaymentRequest,
    check_request,
    lock_account,
    record_payment,
)
from meter2cash.collection.policies import collection_policy, late_fee_policy
from meter2cash.collection.prepaid_archive import installed_meter, tariff_on
from meter2cash.collection.prepaid_model import CardVend
from meter2cash.collection.prepaid_settings import PrepaidSettings, bundled_prepaid_settings
from meter2cash.platform.audit import record_audit
from meter2cash.platform.clock import business_date
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.money import round_to
from meter2cash.platform.permissions import Action
from meter2cash.registry.model import Account, Meter

ZERO = Decimal(0)


class VendNotPossible(PaymentRefused):
    """A vend that cannot be made; nothing was written. The message says why."""


@dataclass
class VendResult:
    vend_id: int
    account_no: str
    meter_no: str
    card_no: str
    purchase_count: int
    first_purchase: bool
    unit: str
    amount: Decimal
    kwh: Decimal
    opening_kwh: Decimal
    price: Decimal | None
    tariff_version: str | None
    payment_id: int
    receipt_no: str | None
    vended_at: datetime
    vended_by: str
    replayed: bool = False
    balance_after: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "vend_id": self.vend_id,
            "account_no": self.account_no,
            "meter_no": self.meter_no,
            "card_no": self.card_no,
            "purchase_count": self.purchase_count,
            "first_purchase": self.first_purchase,
            "unit": self.unit,
            "amount": str(self.amount),
            "kwh": str(self.kwh),
            "opening_kwh": str(self.opening_kwh),
            "price": None if self.price is None else str(self.price),
            "tariff_version": self.tariff_version,
            "payment_id": self.payment_id,
            "receipt_no": self.receipt_no,
            "vended_at": self.vended_at.isoformat(),
            "vended_by": self.vended_by,
            "replayed": self.replayed,
            "balance_after": self.balance_after,
        }


@dataclass(frozen=True, slots=True)
class VendQuote:
    """What an amount buys on the account's card meter today (nothing written)."""

    account_no: str
    meter_no: str
    unit: str
    amount: Decimal
    kwh: Decimal
    price: Decimal | None
    tariff_version: str | None
    purchase_count: int

    def as_json(self) -> dict[str, Any]:
        return {
            "account_no": self.account_no,
            "meter_no": self.meter_no,
            "unit": self.unit,
            "amount": str(self.amount),
            "kwh": str(self.kwh),
            "price": None if self.price is None else str(self.price),
            "tariff_version": self.tariff_version,
            "purchase_count": self.purchase_count,
        }


def unit_price(*, tariff: Tariff, category: str) -> Decimal:
    """The price of a card meter's kWh: the first kWh's energy price plus the funds the class pays."""
    funds = sum((f.price for f in tariff.funds if category not in f.exempt), ZERO)
    return tariff.energy.base_price + funds


def vend_card(
    ctx: AppContext,
    *,
    actor: str | None,
    account_no: str,
    card_no: str,
    amount: Decimal,
    idempotency_key: str,
    purchase_count: int | None = None,
    opening_kwh: Decimal = ZERO,
    payer: str | None = None,
    settings: PrepaidSettings | None = None,
) -> VendResult:
    """Sell ``amount`` 元 to the account's card meter on ``card_no`` (module rules 1–7); a retried
    vend (same ``idempotency_key``) returns the first one and sells nothing twice."""
    config = settings or bundled_prepaid_settings()
    policy = collection_policy(ctx.settings)
    now = ctx.clock.now()
    today = business_date(now)
    if not card_no.strip():
        raise VendNotPossible(_("Enter the card number."))
    if not idempotency_key.strip():
        raise VendNotPossible(_("A vend needs an idempotency key."))
    request = PaymentRequest(
        account_no=account_no,
        amount=amount,
        channel=gl.Channel.COUNTER,
        method=gl.Method.CASH,
        source="counter",
        paid_on=today,
        idempotency_key=f"card-vend:{idempotency_key}",
        payer=payer,
    )
    check_request(request=request, policy=policy, today=today)
    try:
        with use_case(ctx, actor=actor, action=Action.PREPAID_VEND) as (session, who):
            existing = _replay(
                session, key=idempotency_key, account_no=account_no, card_no=card_no, amount=amount
            )
            if existing is not None:
                return existing
            account = lock_account(session, account_no=account_no)
            quote = _quote(session, account=account, amount=amount, config=config, on=today, now=now)
            previous = vend_records(session, meter_id=quote.meter_id, meter_no=quote.meter_no)
            count = purchase_count if purchase_count is not None else quote.purchase_count
            record = check_vend(
                vend=VendRecord(
                    card_no=card_no.strip(),
                    meter_no=quote.meter_no,
                    purchase_count=count,
                    amount=amount,
                    kwh=quote.kwh,
                    vended_at=now,
                    opening_kwh=opening_kwh,
                ),
                previous=previous,
            )
            paid = record_payment(
                session,
                request=request,
                policy=policy,
                late_fee_policy=late_fee_policy(ctx.settings),
                at=now,
                today=today,
                actor=who.username,
            )
            if paid.replayed:
                raise DuplicatePayment(_("The payment key of this vend was already used; nothing was sold."))
            vend = CardVend(
                account_id=account.id,
                meter_id=quote.meter_id,
                card_no=record.card_no,
                purchase_count=record.purchase_count,
                unit=quote.unit,
                amount=amount,
                kwh=record.kwh,
                opening_kwh=record.opening_kwh,
                price=quote.price,
                tariff_version=quote.tariff_version,
                first_purchase=record.purchase_count == 1,
                payment_id=paid.payment_id,
                idempotency_key=idempotency_key,
                vended_by=who.username,
                vended_at=now,
            )
            session.add(vend)
            session.flush()
            session.refresh(vend)  # the stored values, as a replay shows them
            result = _result(session, vend, account_no=account.account_no, meter_no=quote.meter_no)
            record_audit(
                session,
                at=now,
                actor=who.username,
                action=Action.PREPAID_VEND.value,
                object_type="card_vend",
                object_id=str(vend.id),
                after={**result.as_json(), "idempotency_key": idempotency_key},
            )
            return result
    except IntegrityError:
        # A concurrent vend with the same key (or the same purchase count) committed first.
        with use_case(ctx, actor=actor, action=Action.PREPAID_VEND) as (session, _who):
            existing = _replay(
                session, key=idempotency_key, account_no=account_no, card_no=card_no, amount=amount
            )
        if existing is None:
            raise VendNotPossible(_("The vend could not be recorded; try again.")) from None
        return existing


def quote_vend(
    ctx: AppContext,
    *,
    actor: str | None,
    account_no: str,
    amount: Decimal,
    settings: PrepaidSettings | None = None,
) -> VendQuote:
    """What ``amount`` buys on the account's card meter today (rule 5); nothing is written."""
    config = settings or bundled_prepaid_settings()
    now = ctx.clock.now()
    check_request(
        request=PaymentRequest(
            account_no=account_no,
            amount=amount,
            channel=gl.Channel.COUNTER,
            method=gl.Method.CASH,
            source="counter",
            paid_on=business_date(now),
            idempotency_key="quote",
        ),
        policy=collection_policy(ctx.settings),
        today=business_date(now),
    )
    with use_case(ctx, actor=actor, action=Action.PREPAID_VEND) as (session, _who):
        account = lock_account(session, account_no=account_no)
        found = _quote(session, account=account, amount=amount, config=config, on=business_date(now), now=now)
        return VendQuote(
            account_no=account.account_no,
            meter_no=found.meter_no,
            unit=found.unit,
            amount=amount,
            kwh=found.kwh,
            price=found.price,
            tariff_version=found.tariff_version,
            purchase_count=found.purchase_count,
        )


@dataclass(frozen=True, slots=True)
class _Quote:
    meter_id: int
    meter_no: str
    unit: str
    kwh: Decimal
    price: Decimal | None
    tariff_version: str | None
    purchase_count: int


def _quote(
    session: Session, *, account: Account, amount: Decimal, config: PrepaidSettings, on: Any, now: datetime
) -> _Quote:
    if account.payment_mode != "card_prepaid":
        raise VendNotPossible(
            _("Account {account_no} is not a card-meter account; it buys no electricity by card.").format(
                account_no=account.account_no
            )
        )
    meter = installed_meter(session, account_id=account.id, on=on)
    if meter is None:
        raise VendNotPossible(
            _("Account {account_no} has no meter installed today.").format(account_no=account.account_no)
        )
    last = session.scalars(
        select(CardVend).where(CardVend.meter_id == meter.meter_id).order_by(CardVend.purchase_count.desc())
    ).first()
    unit = last.unit if last is not None else config.card_unit.value
    if unit == CardUnit.YUAN.value:
        return _Quote(
            meter.meter_id, meter.meter_no, unit, ZERO, None, None, (last.purchase_count if last else 0) + 1
        )
    tariff = tariff_on(session, account=account, on=on)
    price = unit_price(tariff=tariff, category=account.category)
    kwh = round_to(amount / price, places=config.kwh_decimals)
    count = (last.purchase_count if last else 0) + 1
    return _Quote(meter.meter_id, meter.meter_no, unit, kwh, price, tariff.version, count)


def _replay(
    session: Session, *, key: str, account_no: str, card_no: str, amount: Decimal
) -> VendResult | None:
    vend = session.scalar(select(CardVend).where(CardVend.idempotency_key == key))
    if vend is None:
        return None
    account = session.get(Account, vend.account_id)
    meter = session.get(Meter, vend.meter_id)
    assert account is not None and meter is not None
    if account.account_no != account_no or vend.card_no != card_no.strip() or vend.amount != amount:
        raise DuplicatePayment(
            _(
                "Duplicate vend: the key was already used by vend {id} ({amount} yuan on card {card}) "
                "with a different account, card or amount; nothing was sold."
            ).format(id=vend.id, amount=vend.amount, card=vend.card_no)
        )
    result = _result(session, vend, account_no=account.account_no, meter_no=meter.meter_no)
    result.replayed = True
    return result


def _result(session: Session, vend: CardVend, *, account_no: str, meter_no: str) -> VendResult:
    receipt = session.scalar(select(Payment.receipt_no).where(Payment.id == vend.payment_id))
    return VendResult(
        vend_id=vend.id,
        account_no=account_no,
        meter_no=meter_no,
        card_no=vend.card_no,
        purchase_count=vend.purchase_count,
        first_purchase=vend.first_purchase,
        unit=vend.unit,
        amount=vend.amount,
        kwh=vend.kwh,
        opening_kwh=vend.opening_kwh,
        price=vend.price,
        tariff_version=vend.tariff_version,
        payment_id=vend.payment_id,
        receipt_no=receipt,
        vended_at=vend.vended_at,
        vended_by=vend.vended_by,
        balance_after=account_balance(session, account_id=vend.account_id).as_json(),
    )
