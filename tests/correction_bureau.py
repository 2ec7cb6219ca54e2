"""A small bureau with issued bills to correct: accounts A0001, A0002 (residential, MX-RES-1 of the
shipped catalog), bills for 2026-05 (04-15 … 05-15) and 2026-06 (05-15 … 06-15) priced by a bill
run and then marked issued (numbered, due), as the issue step leaves them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select, update

from archive_factory import small_archive
from meter2cash.billing.bill_model import Bill
from meter2cash.billing.bill_run import run_bills
from meter2cash.billing.catalog import load_catalog
from meter2cash.billing.catalog_files import bundled_catalog_path
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.reading.model import BillingDeterminant
from meter2cash.registry.model import Account

PERIODS = {
    "2026-05": (date(2026, 4, 15), date(2026, 5, 15)),
    "2026-06": (date(2026, 5, 15), date(2026, 6, 15)),
}
# kWh per account and period: June 300 kWh of A0001 bills 73.10 + 43.20 + 29.20 + fund 0.30 = 145.80.
USAGE = {"A0001": {"2026-05": "234", "2026-06": "300"}, "A0002": {"2026-05": "120", "2026-06": "100"}}


def issued_bills(
    ctx: AppContext, *, draft: frozenset[tuple[str, str]] = frozenset()
) -> dict[tuple[str, str], int]:
    """(account_no, period) → bill id; every bill issued but those in ``draft``."""
    small_archive(ctx, accounts=2)
    load_catalog(ctx, actor="manager", path=bundled_catalog_path())
    with unit_of_work(ctx.sessions) as session:
        for account in session.scalars(select(Account).order_by(Account.id)):
            for period, (start, end) in PERIODS.items():
                session.add(
                    BillingDeterminant(
                        account_id=account.id,
                        period=period,
                        start_on=start,
                        end_on=end,
                        days=(end - start).days,
                        kwh_total=Decimal(USAGE[account.account_no][period]),
                        quality="actual",
                        detail="{}",
                        computed_by="billing_clerk",
                    )
                )
    for period in PERIODS:
        run_bills(ctx, actor="billing_clerk", period=period)
    with unit_of_work(ctx.sessions) as session:
        rows = session.execute(
            select(Bill.id, Account.account_no, Bill.period)
            .join(Account, Account.id == Bill.account_id)
            .order_by(Bill.id)
        ).all()
        for seq, (bill_id, number, period) in enumerate(rows, start=1):
            if (number, period) not in draft:
                session.execute(
                    update(Bill)
                    .where(Bill.id == bill_id)
                    .values(
                        state="issued",
                        bill_no=f"T-{seq:06d}",  # not from the counter: no clash with real numbers
                        issued_on=PERIODS[period][1],
                        due_on=date.fromordinal(PERIODS[period][1].toordinal() + 15),
                        issued_by="billing_clerk",
                    )
                )
        return {(number, period): bill_id for bill_id, number, period in rows}
