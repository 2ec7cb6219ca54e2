"""The KPIs of a period over the API: reading (抄表率, 实抄率, 一次抄表成功率, 差错率) and billing
(审核退回率, 审核异常占比, 发行及时率, 电费差错率) — the JSON of ``m2c read kpis --json`` and
``m2c bill kpis --json``."""

from __future__ import annotations

from fastapi import APIRouter

from meter2cash.billing.bill_kpis import bill_kpis
from meter2cash.interfaces.web.api.deps import ArchiveReader, BillReader, Ctx
from meter2cash.interfaces.web.api.schemas_billing import BillKpisOut
from meter2cash.interfaces.web.api.schemas_common import PeriodQuery
from meter2cash.interfaces.web.api.schemas_reading import ReadingKpisOut
from meter2cash.platform.clock import business_date
from meter2cash.platform.context import use_case
from meter2cash.platform.permissions import Action
from meter2cash.reading.kpis import reading_kpis

router = APIRouter(prefix="/kpis", tags=["kpis"])


@router.get("/reading", response_model=ReadingKpisOut, summary="Reading KPIs of a period (抄表指标)")
def reading(who: ArchiveReader, ctx: Ctx, period: PeriodQuery) -> dict[str, object]:
    """Planned tasks, the reading, actual-read, first-try and error rates, and the exceptions by
    code, state and age (days, to today in Beijing)."""
    with use_case(ctx, actor=who.username, action=Action.ARCHIVE_READ) as (session, _who):
        return reading_kpis(session, period=period, today=business_date(ctx.clock.now())).as_dict()


@router.get("/billing", response_model=BillKpisOut, summary="Billing KPIs of a period (核算指标)")
def billing(who: BillReader, ctx: Ctx, period: PeriodQuery) -> dict[str, object]:
    """Bills by state; review: flagged share by code, auto-approved, rejection rate; issue: on-time
    issue rate; corrections by reason and the billing error rate."""
    return bill_kpis(ctx, actor=who.username, period=period).as_json()
