"""What the counter screen needs beyond `collection.account_views`: which of an account's payments
may still be reversed today (and which already have a request), and the payments behind the
reversal requests waiting for a supervisor. Read-only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from meter2cash.collection.ledger_model import Payment, PaymentReversal
from meter2cash.registry.model import Account, Customer


@dataclass(frozen=True, slots=True)
class PaymentState:
    """A payment's day at the till and its reversal request's state (None: none asked)."""

    received_on: date
    reversal: str | None


def payment_states(session: Session, *, payment_ids: list[int]) -> dict[int, PaymentState]:
    """payment id → the day it was taken and its reversal request's state."""
    if not payment_ids:
        return {}
    rows = session.execute(
        select(Payment.id, Payment.received_on, PaymentReversal.state)
        .outerjoin(PaymentReversal, PaymentReversal.payment_id == Payment.id)
        .where(Payment.id.in_(payment_ids))
    ).all()
    return {payment_id: PaymentState(received_on=day, reversal=state) for payment_id, day, state in rows}


@dataclass(frozen=True, slots=True)
class ReversalRow:
    """A reversal request waiting for a supervisor, with the payment it would reverse."""

    id: int
    payment_id: int
    reason: str
    requested_by: str
    requested_at: datetime
    account_no: str
    customer_name: str
    amount: Decimal
    receipt_no: str | None
    received_on: date
    cashier: str


def pending_reversal_rows(session: Session, *, reversal_ids: list[int]) -> list[ReversalRow]:
    """The reversal requests ``reversal_ids`` (as `collection.reversals.pending_reversals` lists
    them) with their payments, oldest request first."""
    if not reversal_ids:
        return []
    rows = session.execute(
        select(PaymentReversal, Payment, Account.account_no, Customer.name)
        .join(Payment, Payment.id == PaymentReversal.payment_id)
        .join(Account, Account.id == Payment.account_id)
        .join(Customer, Customer.id == Account.customer_id)
        .where(PaymentReversal.id.in_(reversal_ids))
        .order_by(PaymentReversal.id)
    ).all()
    return [
        ReversalRow(
            id=request.id,
            payment_id=paid.id,
            reason=request.reason,
            requested_by=request.requested_by,
            requested_at=request.requested_at,
            account_no=account_no,
            customer_name=name,
            amount=paid.amount,
            receipt_no=paid.receipt_no,
            received_on=paid.received_on,
            cashier=paid.actor,
        )
        for request, paid, account_no, name in rows
    ]
