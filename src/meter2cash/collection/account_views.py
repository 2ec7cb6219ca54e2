"""What a cashier (or the customer) sees of an account: what it owes today, bill by bill with the
late fee it would pay today, its statement (对账单) and its payments. Read-only.

The late fees shown are those the ledger *would* charge if the account paid today: the same
posting and accrual code runs in a transaction that is then rolled back, so the counter shows
exactly what the payment will charge and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from meter2cash.billing.bill_model import Receivable
from meter2cash.collection import gl
from meter2cash.collection.accrual import accrue_late_fees
from meter2cash.collection.allocation import ItemKind, WithinBill, settlement_order
from meter2cash.collection.ledger import AccountBalance, account_balance, open_items
from meter2cash.collection.ledger_model import LedgerEntry, LedgerTxn, Payment, PaymentReversal
from meter2cash.collection.policies import collection_policy, late_fee_policy
from meter2cash.collection.posting import post_bills
from meter2cash.platform.clock import business_date
from meter2cash.platform.context import AppContext
from meter2cash.platform.errors import NotFound
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action
from meter2cash.platform.users import require, resolve_actor
from meter2cash.registry.model import Account, Customer

CUSTOMER_GL = (gl.RECEIVABLE, gl.LATE_FEE_RECEIVABLE, gl.PREPAYMENT)


@dataclass
class AccountView:
    account_no: str
    customer_name: str
    category: str
    status: str
    as_of: date
    balance: AccountBalance
    bills: list[dict[str, str]] = field(default_factory=list)  # bill_no, period, due_on, principal, late_fee
    statement: list[dict[str, str]] = field(default_factory=list)
    payments: list[dict[str, object]] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "account_no": self.account_no,
            "customer_name": self.customer_name,
            "category": self.category,
            "status": self.status,
            "as_of": self.as_of.isoformat(),
            "balance": self.balance.as_json(),
            "bills": self.bills,
            "statement": self.statement,
            "payments": self.payments,
        }


def account_view(
    ctx: AppContext,
    *,
    actor: str | None,
    account_no: str,
    statement_lines: int = 50,
    customer_ok: bool = False,
) -> AccountView:
    """The account as of today. ``customer_ok`` lets the portal show a customer their own account
    (the portal checks who they are); otherwise the actor needs ``ledger.read``."""
    now = ctx.clock.now()
    today = business_date(now)
    with ctx.sessions() as session:
        session.begin()
        try:
            if not customer_ok:
                require(resolve_actor(session, username=actor), Action.LEDGER_READ)
            account = session.scalar(select(Account).where(Account.account_no == account_no))
            if account is None:
                raise NotFound(_("No account {account_no}.").format(account_no=account_no))
            customer = session.get(Customer, account.customer_id)
            post_bills(
                session,
                at=now,
                today=today,
                actor="preview",
                within_bill=collection_policy(ctx.settings).within_bill,
                account_id=account.id,
            )
            accrue_late_fees(
                session,
                through=today,
                at=now,
                actor="preview",
                policy=late_fee_policy(ctx.settings),
                account_id=account.id,
            )
            view = AccountView(
                account_no=account.account_no,
                customer_name=customer.name if customer else "",
                category=account.category,
                status=account.status,
                as_of=today,
                balance=account_balance(session, account_id=account.id),
                bills=_bills(session, account_id=account.id),
                statement=statement(session, account_id=account.id, limit=statement_lines),
                payments=_payments(session, account_id=account.id),
            )
        finally:
            session.rollback()
    return view


def _bills(session: Session, *, account_id: int) -> list[dict[str, str]]:
    by_bill: dict[int, dict[str, str]] = {}
    items = open_items(session, account_id=account_id)
    for item in settlement_order(items=items, within_bill=WithinBill.PRINCIPAL_FIRST):
        row = by_bill.setdefault(
            item.receivable_id,
            {
                "bill_no": item.bill_no,
                "due_on": item.due_on.isoformat(),
                "principal": "0.00",
                "late_fee": "0.00",
            },
        )
        key = "principal" if item.kind is ItemKind.PRINCIPAL else "late_fee"
        row[key] = str(item.amount)
    periods = dict(
        session.execute(
            select(Receivable.id, Receivable.period).where(Receivable.id.in_(list(by_bill)))
        ).all()
    )
    for receivable_id, row in by_bill.items():
        row["period"] = periods.get(receivable_id, "")
        row["total"] = str(Decimal(row["principal"]) + Decimal(row["late_fee"]))
    return list(by_bill.values())


def statement(session: Session, *, account_id: int, limit: int = 50) -> list[dict[str, str]]:
    """The customer's statement (对账单): every movement of what they owe, with the running balance
    (positive: owed; negative: paid ahead), the latest ``limit`` lines."""
    rows = session.execute(
        select(
            LedgerTxn.business_day,
            LedgerTxn.kind,
            LedgerTxn.memo,
            LedgerTxn.source,
            LedgerEntry.gl,
            LedgerEntry.amount,
        )
        .join(LedgerTxn, LedgerTxn.id == LedgerEntry.txn_id)
        .where(LedgerEntry.account_id == account_id, LedgerEntry.gl.in_(CUSTOMER_GL))
        .order_by(LedgerTxn.business_day, LedgerTxn.id, LedgerEntry.id)
    ).all()
    running = Decimal("0.00")
    merged: list[dict[str, str]] = []
    last_source = None
    for day, kind, memo, source, _code, amount in rows:
        running += amount
        if source == last_source:
            merged[-1]["amount"] = str(Decimal(merged[-1]["amount"]) + amount)
            merged[-1]["balance"] = str(running)
            continue
        last_source = source
        merged.append(
            {
                "day": day.isoformat(),
                "kind": kind,
                "memo": memo or "",
                "source": source,
                "amount": str(amount),
                "balance": str(running),
            }
        )
    return [line for line in merged if Decimal(line["amount"]) != 0][-limit:]


def _payments(session: Session, *, account_id: int, limit: int = 20) -> list[dict[str, object]]:
    reversed_ids = set(
        session.scalars(
            select(PaymentReversal.payment_id)
            .join(Payment, Payment.id == PaymentReversal.payment_id)
            .where(Payment.account_id == account_id, PaymentReversal.state == "approved")
        )
    )
    rows = session.scalars(
        select(Payment).where(Payment.account_id == account_id).order_by(Payment.id.desc()).limit(limit)
    )
    return [
        {
            "payment_id": row.id,
            "paid_on": row.paid_on.isoformat(),
            "amount": str(row.amount),
            "channel": row.channel,
            "source": row.source,
            "receipt_no": row.receipt_no,
            "reversed": row.id in reversed_ids,
        }
        for row in rows
    ]
