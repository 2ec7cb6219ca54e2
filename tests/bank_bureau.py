"""A bureau for the bank withholding and reconciliation tests: three accounts of the small archive
with posted bills, withholding agreements with ICBC for A0001 and A0002, and helpers to look at
the ledger. The test clock's business day is 2026-03-01."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from archive_factory import small_archive
from ledger_bureau import issue
from meter2cash.collection.ledger import account_balance, trial_balance
from meter2cash.collection.ledger_model import Payment
from meter2cash.collection.month_end import post_issued_bills
from meter2cash.collection.withholding_service import import_agreements
from meter2cash.platform.audit import AuditRecord, verify_chain
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.registry.model import Account

TODAY = date(2026, 3, 1)
AGREEMENTS = (
    "户号,银行,银行账号,户名,签约日期,解约日期\n"
    "A0001,ICBC,6222020602001234567,王建国,2026-01-05,\n"
    "A0002,ICBC,6217000602009876543,李秀英,2026-01-06,\n"
)


def bank_bureau(ctx: AppContext) -> AppContext:
    """Bills of 120.00 (A0001), 88.15 (A0002) and 50.00 (A0003) due 2026-03-10, posted; A0001 and
    A0002 withheld by ICBC."""
    small_archive(ctx, accounts=3)
    bills = (("A0001", "2025-11", "120.00"), ("A0002", "2025-12", "88.15"), ("A0003", "2026-01", "50.00"))
    for account_no, period, amount in bills:
        issue(ctx, account_no=account_no, period=period, amount=amount, due_on=date(2026, 3, 10))
    post_issued_bills(ctx, actor="billing_clerk")
    import_agreements(ctx, actor="cashier", data=AGREEMENTS.encode(), filename="agreements.csv")
    return ctx


def owed(ctx: AppContext, account_no: str) -> Decimal:
    with unit_of_work(ctx.sessions) as session:
        account_id = session.scalar(select(Account.id).where(Account.account_no == account_no))
        assert account_id is not None
        return account_balance(session, account_id=account_id).owed


def payments(ctx: AppContext) -> int:
    with unit_of_work(ctx.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(Payment)) or 0)


def assert_balanced(ctx: AppContext) -> None:
    """The ledger sums to zero and the audit chain is whole."""
    with unit_of_work(ctx.sessions) as session:
        assert sum(trial_balance(session).values(), Decimal(0)) == 0
        assert verify_chain(session).ok


def audited(ctx: AppContext, action: str) -> list[AuditRecord]:
    with unit_of_work(ctx.sessions) as session:
        return list(session.scalars(select(AuditRecord).where(AuditRecord.action == action)))
