"""A small bureau for the console tests: three accounts of route book RB01 with priced 2026-06
bills (A0003's estimated, so review flags it) and a 2026-07 reading of A0001's meter below its
install reading (a ROLLBACK exception), plus the helpers to look at what was written."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import func, select

from archive_factory import small_archive
from meter2cash.billing.bill_model import Bill
from meter2cash.billing.bill_run import run_bills
from meter2cash.billing.catalog import load_catalog
from meter2cash.billing.catalog_files import bundled_catalog_path
from meter2cash.billing.review import review_bills
from meter2cash.platform.audit import AuditRecord
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.reading.entry import enter_readings
from meter2cash.reading.intake import IncomingReading
from meter2cash.reading.model import BillingDeterminant, ReadingEdit, ReadingException
from meter2cash.reading.plans import plan_period
from meter2cash.registry.model import Account, Customer

PERIOD = "2026-06"
BOOK = "RB01"
XSS = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
QUOTE_EXAMPLE = (
    '{"tariff": "MX-LI-10KV", "period": {"start": "2026-06-01", "end": "2026-07-01"}, '
    '"customer": {"category": "large_industry", "capacity_kva": 1000, "pf_standard": "0.90", '
    '"basic_charge_by": "contract_demand", "contract_demand_kw": 600}, '
    '"usage": {"kwh": {"total": "40000"}, "kvarh": "30000", "max_demand_kw": "650"}}'
)


def bureau(ctx: AppContext, *, computed_by: str = "billing_clerk", name: str | None = None) -> dict[str, int]:
    """The bureau; bills calculated by ``computed_by``; A0001's customer called ``name`` if given.
    Returns account number → bill id."""
    small_archive(ctx, accounts=3)
    load_catalog(ctx, actor="manager", path=bundled_catalog_path())
    with unit_of_work(ctx.sessions) as session:
        accounts = {a.account_no: a for a in session.scalars(select(Account))}
        if name is not None:
            customer = session.get(Customer, accounts["A0001"].customer_id)
            assert customer is not None
            customer.name, customer.address = name, f"{name}路1号"
        for number, kwh in (("A0001", "300"), ("A0002", "100"), ("A0003", "500")):
            session.add(
                BillingDeterminant(
                    account_id=accounts[number].id,
                    period=PERIOD,
                    start_on=date(2026, 5, 15),
                    end_on=date(2026, 6, 15),
                    days=31,
                    kwh_total=Decimal(kwh),
                    quality="estimated" if number == "A0003" else "actual",
                    detail="[]",
                    computed_by="billing_clerk",
                )
            )
    run_bills(ctx, actor=computed_by, period=PERIOD)
    review_bills(ctx, actor="reviewer", period=PERIOD)
    plan_period(ctx, actor="billing_clerk", period="2026-07")
    ctx.clock.instant = datetime(2026, 7, 16, 2, tzinfo=UTC)  # type: ignore[attr-defined]
    enter_readings(
        ctx,
        actor="meter_reader",
        readings=[IncomingReading(meter_no="M0001", read_at=datetime(2026, 7, 15, 10), total="99.00")],  # noqa: DTZ001 (Beijing wall time)
    )
    return bill_ids(ctx)


def bill_ids(ctx: AppContext) -> dict[str, int]:
    """account number → its bill's id."""
    with unit_of_work(ctx.sessions) as session:
        return dict(
            session.execute(
                select(Account.account_no, Bill.id).join(Bill, Bill.account_id == Account.id)
            ).all()
        )


def bill_states(ctx: AppContext) -> dict[str, str]:
    """account number → its bill's state."""
    with unit_of_work(ctx.sessions) as session:
        return dict(
            session.execute(
                select(Account.account_no, Bill.state).join(Bill, Bill.account_id == Account.id)
            ).all()
        )


def rollback_exception(ctx: AppContext) -> int:
    """The id of the ROLLBACK exception of A0001's meter."""
    with unit_of_work(ctx.sessions) as session:
        found = session.scalar(select(ReadingException.id).where(ReadingException.code == "ROLLBACK"))
    assert found is not None
    return found


def edits(ctx: AppContext) -> list[tuple[str, str, str | None]]:
    """(state, proposed by, decided by) of every reading edit."""
    with unit_of_work(ctx.sessions) as session:
        return [
            (e.state, e.proposed_by, e.decided_by)
            for e in session.scalars(select(ReadingEdit).order_by(ReadingEdit.id))
        ]


def edit_ids(ctx: AppContext) -> list[int]:
    with unit_of_work(ctx.sessions) as session:
        return list(session.scalars(select(ReadingEdit.id).order_by(ReadingEdit.id)))


def audit_count(ctx: AppContext) -> int:
    with unit_of_work(ctx.sessions) as session:
        return int(session.scalar(select(func.count(AuditRecord.seq))) or 0)


def text_of(html: str) -> str:
    """The page's text without tags or runs of blanks, for reading assertions."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
