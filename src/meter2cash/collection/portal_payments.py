"""Portal payments (网上缴费): posting what a payment gateway confirmed, and what the customer sees
of their own account and of an order (docs/payments.md).

A gateway's verified notification is the authority for a portal payment — no staff user takes
it — so `take_gateway_payment` runs the steps of `payment_service.take_payment` (the same checks,
allocation, ledger transaction and audit record) with the actor ``gateway:<code>``. The payment's
channel is ``portal``, its source the gateway's code, its channel reference the gateway's
transaction reference and its idempotency key the order: a notification sent again, or the same
order paid twice, posts once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from meter2cash.collection import gl
from meter2cash.collection.account_views import AccountView, account_view
from meter2cash.collection.gateways import Notification
from meter2cash.collection.ledger_model import Payment
from meter2cash.collection.payments import (
    PaymentRefused,
    PaymentRequest,
    PaymentResult,
    check_request,
    find_existing,
    lock_account,
    record_payment,
    replay_payment,
)
from meter2cash.collection.policies import collection_policy, late_fee_policy
from meter2cash.platform.clock import business_date
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.platform.errors import NotFound
from meter2cash.platform.i18n import gettext as _
from meter2cash.registry.model import Account


def gateway_actor(code: str) -> str:
    """Who a portal payment is posted by in the ledger and the audit trail."""
    return f"gateway:{code}"


def order_key(*, gateway: str, order_id: str) -> str:
    """The idempotency key of an order's payment: one order, one payment."""
    return f"portal-{gateway}-{order_id}"


def gateway_request(*, gateway: str, notice: Notification, today: date) -> PaymentRequest:
    return PaymentRequest(
        account_no=notice.account_no,
        amount=notice.amount,
        channel=gl.Channel.PORTAL,
        method=gl.Method.ONLINE,
        source=gateway,
        paid_on=today,
        idempotency_key=order_key(gateway=gateway, order_id=notice.order_id),
        channel_ref=notice.gateway_ref,
    )


def take_gateway_payment(ctx: AppContext, *, gateway: str, notice: Notification) -> PaymentResult:
    """Post the payment a verified notification confirms; a repeated one returns the first."""
    if not notice.paid:
        raise PaymentRefused(_("The gateway says the order was not paid; nothing was posted."))
    policy = collection_policy(ctx.settings)
    now = ctx.clock.now()
    today = business_date(now)
    request = gateway_request(gateway=gateway, notice=notice, today=today)
    check_request(request=request, policy=policy, today=today)
    try:
        with unit_of_work(ctx.sessions) as session:
            return record_payment(
                session,
                request=request,
                policy=policy,
                late_fee_policy=late_fee_policy(ctx.settings),
                at=now,
                today=today,
                actor=gateway_actor(gateway),
            )
    except IntegrityError:
        # The same notification, delivered twice at once, committed between our check and insert.
        with unit_of_work(ctx.sessions) as session:
            account = lock_account(session, account_no=request.account_no)
            existing = find_existing(session, request=request)
            if existing is None:
                raise PaymentRefused(_("The payment could not be posted; try again.")) from None
            return replay_payment(session, existing=existing, request=request, account=account)


MAX_ORDER = Decimal("99999999.99")  # one online payment; a larger sum is paid at the counter or by bank


def check_order(ctx: AppContext, *, gateway: str, account_no: str, amount: Decimal) -> Decimal:
    """The amount of a new order in fen, or the reason it is refused, before the customer is sent
    to the gateway: the rules of any payment, and an account that takes payments."""
    policy = collection_policy(ctx.settings)
    today = business_date(ctx.clock.now())
    probe = gateway_request(
        gateway=gateway,
        notice=Notification(order_id="new", account_no=account_no, amount=amount, gateway_ref="", paid=True),
        today=today,
    )
    check_request(request=probe, policy=policy, today=today)
    if amount > MAX_ORDER:
        raise PaymentRefused(
            _("One online payment is at most {limit} yuan; pay more at the service hall.").format(
                limit=MAX_ORDER
            )
        )
    with ctx.sessions() as session:
        status = session.scalar(select(Account.status).where(Account.account_no == account_no))
    if status is None:
        raise NotFound(_("No account {account_no}.").format(account_no=account_no))
    if status != "active":
        raise PaymentRefused(
            _("Account {account_no} is {status}; it takes no payments.").format(
                account_no=account_no, status=status
            )
        )
    return amount.quantize(Decimal("0.01"))


def customer_account_no(ctx: AppContext, *, account_id: int) -> str:
    """The account number of a portal session's account."""
    with ctx.sessions() as session:
        number = session.scalar(select(Account.account_no).where(Account.id == account_id))
    if number is None:
        raise NotFound(_("No account {account_no}.").format(account_no=account_id))
    return number


def customer_account_view(ctx: AppContext, *, account_id: int) -> AccountView:
    """The portal customer's own account as of today (owed, bills with today's late fee,
    statement, payments); the portal session says whose it is."""
    number = customer_account_no(ctx, account_id=account_id)
    return account_view(ctx, actor=None, account_no=number, customer_ok=True)


@dataclass(frozen=True, slots=True)
class OrderPayment:
    """The payment an order became, as the customer sees it coming back from the gateway."""

    payment_id: int
    amount: Decimal
    paid_on: date
    gateway_ref: str | None


def order_payment(ctx: AppContext, *, account_id: int, gateway: str, order_id: str) -> OrderPayment | None:
    """The customer's payment of an order, or None when the gateway has not confirmed it (yet)."""
    with ctx.sessions() as session:
        found = session.scalar(
            select(Payment).where(
                Payment.idempotency_key == order_key(gateway=gateway, order_id=order_id),
                Payment.account_id == account_id,
            )
        )
        if found is None:
            return None
        return OrderPayment(
            payment_id=found.id, amount=found.amount, paid_on=found.paid_on, gateway_ref=found.channel_ref
        )
