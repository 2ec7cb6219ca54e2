"""A small bureau for the counter's tests: issued bills with chosen amounts and due days, one of
them overdue on the test day (2026-03-01), so the counter shows a late fee."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from archive_factory import small_archive
from ledger_bureau import issue
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.registry.model import Account, Customer


def counter_bureau(ctx: AppContext, *, name: str | None = None) -> None:
    """Three accounts; A0001 owes a 200.00 bill due 2026-02-10, overdue on the test day 2026-03-01
    (residential 1‰ a day for 19 days: a 3.80 late fee); A0002 owes 80.00 not yet due. A0001's
    customer is called ``name`` if given."""
    small_archive(ctx, accounts=3)
    issue(ctx, account_no="A0001", period="2026-01", amount="200.00", due_on=date(2026, 2, 10))
    issue(ctx, account_no="A0002", period="2026-02", amount="80.00", due_on=date(2026, 3, 20))
    if name is not None:
        with unit_of_work(ctx.sessions) as session:
            account = session.scalar(select(Account).where(Account.account_no == "A0001"))
            assert account is not None
            customer = session.get(Customer, account.customer_id)
            assert customer is not None
            customer.name = name
