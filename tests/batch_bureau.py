"""Issued bills for batch payment tests: like `ledger_bureau.issue`, but many bills of one period
for several accounts (one bill run per period, reused), in one unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import insert, select

from meter2cash.billing.bill_model import Bill, BillRun, Receivable
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.reading.model import BillingDeterminant
from meter2cash.registry.model import Account


def issue_bills(ctx: AppContext, bills: Sequence[tuple[str, str, str, date]]) -> list[str]:
    """Issue each (account number, period, amount, due day) — one bill per account and period;
    returns the bill numbers (``T<period>-<account>``)."""
    numbers: list[str] = []
    with unit_of_work(ctx.sessions) as session:
        for account_no, period, amount, due_on in bills:
            account_id = session.scalar(select(Account.id).where(Account.account_no == account_no))
            assert account_id is not None, account_no
            run_id = session.scalar(select(BillRun.id).where(BillRun.period == period, BillRun.scope == "*"))
            if run_id is None:
                run_id = session.scalar(
                    insert(BillRun)
                    .values(
                        period=period, scope="*", state="done", started_by="billing_clerk", started_at="t"
                    )
                    .returning(BillRun.id)
                )
            issued = due_on - timedelta(days=15)
            start = issued - timedelta(days=30)
            determinant_id = session.scalar(
                insert(BillingDeterminant)
                .values(
                    account_id=account_id,
                    period=period,
                    start_on=start,
                    end_on=issued,
                    days=30,
                    kwh_total=Decimal(100),
                    quality="actual",
                    detail="{}",
                    computed_by="billing_clerk",
                )
                .returning(BillingDeterminant.id)
            )
            bill_no = f"T{period}-{account_no}"
            bill_id = session.scalar(
                insert(Bill)
                .values(
                    account_id=account_id,
                    period=period,
                    kind="regular",
                    state="issued",
                    run_id=run_id,
                    determinant_id=determinant_id,
                    tariff_version="test",
                    start_on=start,
                    end_on=issued,
                    kwh=Decimal(100),
                    total=Decimal(amount),
                    quality="actual",
                    computed_by="billing_clerk",
                    computed_at="t",
                    bill_no=bill_no,
                    issued_on=issued,
                    issued_by="billing_clerk",
                    due_on=due_on,
                )
                .returning(Bill.id)
            )
            session.execute(
                insert(Receivable).values(
                    bill_id=bill_id,
                    account_id=account_id,
                    bill_no=bill_no,
                    period=period,
                    amount=Decimal(amount),
                    issued_on=issued,
                    due_on=due_on,
                )
            )
            numbers.append(bill_no)
    return numbers
