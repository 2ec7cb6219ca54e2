"""Issued bills for collection tests, with amounts and due dates chosen by the test.

`issue` writes, for one account of `archive_factory.small_archive`, a bill as the issue step leaves
it (state issued, number, issue and due day) and its ``receivable`` row, the contract collection
posts from. No pricing: collection only reads the receivable.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import insert, select

from meter2cash.billing.bill_model import Bill, BillRun, Receivable
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.reading.model import BillingDeterminant
from meter2cash.registry.model import Account


def issue(
    ctx: AppContext, *, account_no: str, period: str, amount: str, due_on: date, issued_on: date | None = None
) -> str:
    """Issue one bill of ``amount`` due ``due_on``; returns its bill number (``T<period>-<account>``)."""
    issued = issued_on or due_on - timedelta(days=15)
    with unit_of_work(ctx.sessions) as session:
        account_id = session.scalar(select(Account.id).where(Account.account_no == account_no))
        assert account_id is not None, account_no
        run_id = session.scalar(
            insert(BillRun)
            .values(period=period, scope="*", state="done", started_by="billing_clerk", started_at="t")
            .returning(BillRun.id)
        )
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
    return bill_no
