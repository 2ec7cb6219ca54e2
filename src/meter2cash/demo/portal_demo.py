"""Demo customers for the portal (网上营业厅): a few accounts with issued bills, enrolled and
activated with known passwords, so a newcomer can log in at /portal/login.

The password of a demo customer is ``portal-<account no>``; it is for a demo only and printed on
purpose. Running it again issues new codes and sets the same passwords again (each step audited,
as at the counter).
"""

from __future__ import annotations

from sqlalchemy import select

from meter2cash.billing.bill_model import Receivable
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.registry.model import Account
from meter2cash.registry.portal_access import activate, issue_activation_code


def demo_password(account_no: str) -> str:
    return f"portal-{account_no}"


def enrol_demo_customers(ctx: AppContext, *, actor: str, count: int = 3) -> list[tuple[str, str]]:
    """Enrol and activate the first ``count`` accounts (by number) that have issued bills; their
    (account number, password) pairs. Fewer when fewer accounts have issued bills."""
    with unit_of_work(ctx.sessions) as session:
        numbers = list(
            session.scalars(
                select(Account.account_no)
                .where(select(Receivable.id).where(Receivable.account_id == Account.id).exists())
                .order_by(Account.account_no)
                .limit(count)
            )
        )
    enrolled = []
    for number in numbers:
        issued = issue_activation_code(ctx, actor=actor, account_no=number)
        password = demo_password(number)
        result = activate(ctx, account_no=number, code=issued.code, password=password)
        if result.account_id is None:
            raise RuntimeError(f"demo customer {number} could not be activated: {result.refusal}")
        enrolled.append((number, password))
    return enrolled
