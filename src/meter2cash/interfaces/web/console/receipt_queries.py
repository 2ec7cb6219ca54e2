"""Reading one payment for its receipt (收据) and the counter's result: the payment, its customer,
the cashier, and what its ledger transaction settled — each bill's electricity charge (电费) and
late fee (违约金), and what went to prepayment (预收). Read-only; only the payment's own
transaction (kind ``payment``) counts, never the reversal that may have followed it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from meter2cash.billing.bill_model import Receivable
from meter2cash.collection import gl
from meter2cash.collection.ledger_model import LedgerEntry, LedgerTxn, Payment, PaymentReversal
from meter2cash.platform.errors import NotFound
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.users import User
from meter2cash.registry.model import Account, Customer

SETTLED_KIND = {gl.RECEIVABLE: "principal", gl.LATE_FEE_RECEIVABLE: "late_fee", gl.PREPAYMENT: "prepayment"}


@dataclass(frozen=True, slots=True)
class SettledLine:
    """What part of the payment went where: a bill's principal or late fee, or prepayment."""

    kind: str  # principal | late_fee | prepayment
    amount: Decimal
    bill_no: str | None = None
    period: str | None = None
    due_on: date | None = None


@dataclass(frozen=True, slots=True)
class PaymentReceipt:
    payment_id: int
    receipt_no: str | None
    account_no: str
    customer_name: str
    address: str
    amount: Decimal
    paid_on: date
    received_at: datetime
    received_on: date
    channel: str
    method: str
    source: str
    cashier: str
    cashier_name: str
    payer: str | None
    lines: tuple[SettledLine, ...]
    reversal: str | None  # the reversal request's state: pending, approved, rejected; None without one


def payment_receipt(session: Session, *, payment_id: int) -> PaymentReceipt:
    """The payment ``payment_id`` as its receipt shows it; NotFound if there is none."""
    row = session.execute(
        select(Payment, Account.account_no, Customer.name, Customer.address)
        .join(Account, Account.id == Payment.account_id)
        .join(Customer, Customer.id == Account.customer_id)
        .where(Payment.id == payment_id)
    ).first()
    if row is None:
        raise NotFound(_("No payment {id}.").format(id=payment_id))
    paid, account_no, customer_name, address = row
    cashier_name = session.scalar(select(User.display_name).where(User.username == paid.actor))
    reversal = session.scalar(select(PaymentReversal.state).where(PaymentReversal.payment_id == paid.id))
    return PaymentReceipt(
        payment_id=paid.id,
        receipt_no=paid.receipt_no,
        account_no=account_no,
        customer_name=customer_name,
        address=address or "",
        amount=paid.amount,
        paid_on=paid.paid_on,
        received_at=paid.received_at,
        received_on=paid.received_on,
        channel=paid.channel,
        method=paid.method,
        source=paid.source,
        cashier=paid.actor,
        cashier_name=cashier_name or paid.actor,
        payer=paid.payer,
        lines=settled_lines(session, payment_id=paid.id),
        reversal=reversal,
    )


def settled_lines(session: Session, *, payment_id: int) -> tuple[SettledLine, ...]:
    """The payment transaction's customer lines (credits), oldest bill first, each bill's late fee
    and principal in the order the ledger wrote them, prepayment last."""
    rows = session.execute(
        select(LedgerEntry.gl, LedgerEntry.amount, Receivable.bill_no, Receivable.period, Receivable.due_on)
        .join(LedgerTxn, LedgerTxn.id == LedgerEntry.txn_id)
        .outerjoin(Receivable, Receivable.id == LedgerEntry.receivable_id)
        .where(
            LedgerEntry.payment_id == payment_id,
            LedgerTxn.kind == "payment",
            LedgerEntry.gl.in_(tuple(SETTLED_KIND)),
        )
        .order_by(LedgerEntry.id)
    ).all()
    return tuple(
        SettledLine(kind=SETTLED_KIND[code], amount=-amount, bill_no=bill_no, period=period, due_on=due_on)
        for code, amount, bill_no, period, due_on in rows
    )
