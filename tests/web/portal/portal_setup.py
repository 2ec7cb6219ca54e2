"""A small bureau with issued bills and enrolled portal customers, for the portal tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import select

from archive_factory import small_archive
from meter2cash.billing.bill_model import Bill
from meter2cash.billing.bill_run import run_bills
from meter2cash.billing.catalog import load_catalog
from meter2cash.billing.catalog_files import bundled_catalog_path
from meter2cash.billing.issue import issue_bills
from meter2cash.billing.review import review_bills
from meter2cash.platform.audit import AuditRecord
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.reading.model import BillingDeterminant
from meter2cash.registry.model import Account
from meter2cash.registry.portal_access import activate, issue_activation_code
from web_client import csrf_of, web_client

PERIOD = "2026-06"
KWH = {"A0001": "300", "A0002": "100", "A0003": "500"}


def issued_bureau(ctx: AppContext) -> dict[str, int]:
    """Accounts A0001–A0003 with one issued 2026-06 bill each (numbers 2026-000001…); their ids."""
    small_archive(ctx, accounts=3)
    load_catalog(ctx, actor="manager", path=bundled_catalog_path())
    with unit_of_work(ctx.sessions) as session:
        ids = {a.account_no: a.id for a in session.scalars(select(Account))}
        for number, kwh in KWH.items():
            session.add(
                BillingDeterminant(
                    account_id=ids[number],
                    period=PERIOD,
                    start_on=date(2026, 5, 15),
                    end_on=date(2026, 6, 15),
                    days=31,
                    kwh_total=Decimal(kwh),
                    quality="actual",
                    detail="[]",
                    computed_by="billing_clerk",
                )
            )
    run_bills(ctx, actor="billing_clerk", period=PERIOD)
    review_bills(ctx, actor="reviewer", period=PERIOD)
    issue_bills(ctx, actor="billing_clerk", period=PERIOD, route_book="RB01")
    return ids


def bill_numbers(ctx: AppContext) -> dict[str, str]:
    """account number → its issued bill's number."""
    with unit_of_work(ctx.sessions) as session:
        rows = session.execute(
            select(Account.account_no, Bill.bill_no).join(Bill, Bill.account_id == Account.id)
        )
        return {number: str(bill_no) for number, bill_no in rows}


def enrolled(ctx: AppContext, account_no: str, password: str | None = None) -> str:
    """Enrol and activate ``account_no``; its password (``secret-<account no>`` unless given)."""
    password = password or f"secret-{account_no}"
    issued = issue_activation_code(ctx, actor="cashier", account_no=account_no)
    assert activate(ctx, account_no=account_no, code=issued.code, password=password).account_id
    return password


def customer_client(ctx: AppContext, account_no: str, password: str) -> TestClient:
    """A client logged in to the portal; its default headers carry the session's CSRF token."""
    client = web_client(ctx)
    token = csrf_of(client, "/portal/login")
    answer = client.post(
        "/portal/login",
        data={"account_no": account_no, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    client.headers["X-CSRF-Token"] = csrf_of(client, "/portal/")
    return client


def audit_actions(ctx: AppContext, *, object_id: str | None = None) -> list[str]:
    with unit_of_work(ctx.sessions) as session:
        query = select(AuditRecord.action).order_by(AuditRecord.seq)
        if object_id is not None:
            query = query.where(AuditRecord.object_id == object_id)
        return list(session.scalars(query))
