"""Billing determinants (计费电量) of one account: what the reading cycle closed for billing, by
period — the same rows as ``m2c read determinants --account NO [--period P] --json``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from meter2cash.interfaces.web.api.archive import AccountNo, find_account
from meter2cash.interfaces.web.api.deps import BillReader, Ctx
from meter2cash.interfaces.web.api.schemas_common import OptionalPeriodQuery
from meter2cash.interfaces.web.api.schemas_reading import DeterminantOut
from meter2cash.platform.context import use_case
from meter2cash.platform.permissions import Action
from meter2cash.reading.model import BillingDeterminant

router = APIRouter(tags=["reading"])


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@router.get(
    "/accounts/{account_no}/determinants",
    response_model=list[DeterminantOut],
    summary="Billing determinants of an account (计费电量)",
)
def account_determinants(
    who: BillReader, ctx: Ctx, account_no: AccountNo, period: OptionalPeriodQuery = None
) -> list[dict[str, Any]]:
    """The account's determinants, oldest period first; only ``period``'s when given (an empty
    list when that period is not closed yet)."""
    with use_case(ctx, actor=who.username, action=Action.BILL_READ) as (session, _who):
        account = find_account(session, account_no=account_no)
        query = (
            select(BillingDeterminant)
            .where(BillingDeterminant.account_id == account.id)
            .order_by(BillingDeterminant.period)
        )
        if period is not None:
            query = query.where(BillingDeterminant.period == period)
        return [
            {
                "account_no": account.account_no,
                "period": d.period,
                "start_on": d.start_on.isoformat(),
                "end_on": d.end_on.isoformat(),
                "days": d.days,
                "kwh_total": str(d.kwh_total),
                "kwh_sharp": _text(d.kwh_sharp),
                "kwh_peak": _text(d.kwh_peak),
                "kwh_flat": _text(d.kwh_flat),
                "kwh_valley": _text(d.kwh_valley),
                "kvarh": _text(d.kvarh),
                "max_demand_kw": _text(d.max_demand_kw),
                "quality": d.quality,
            }
            for d in session.scalars(query)
        ]
