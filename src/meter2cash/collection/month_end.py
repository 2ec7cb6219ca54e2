"""Month-end collection steps: post issued bills, accrue late fees, close the collection month.

- `post_issued_bills` posts every issued bill not yet in the ledger (``m2c collect post``).
- `accrue_month_end` accrues every overdue bill's late fee through a day, normally the month's
  last (``m2c collect accrue --through DAY``).
- `close_month` accrues through the month's last day and closes the month (``m2c collect close``):
  from then on no payment, accrual or reversal may be dated in it.
Each is one unit of work with its audit record; running one again changes nothing.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime

from sqlalchemy.orm import Session

from meter2cash.billing.review import check_period
from meter2cash.collection.accrual import AccrualReport, accrue_late_fees
from meter2cash.collection.ledger_model import CollectionClose
from meter2cash.collection.policies import collection_policy, late_fee_policy
from meter2cash.collection.posting import PostingReport, post_bills
from meter2cash.platform.audit import record_audit
from meter2cash.platform.clock import business_date
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.errors import InputRefused
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action
from meter2cash.reading.schedule import parse_period


class MonthClosed(InputRefused):
    pass


def post_issued_bills(
    ctx: AppContext, *, actor: str | None, issued_through: date | None = None
) -> PostingReport:
    """Post every issued bill not yet in the ledger (only those issued on or before
    ``issued_through`` if given), then apply each touched account's prepayment."""
    now = ctx.clock.now()
    with use_case(ctx, actor=actor, action=Action.LEDGER_POST) as (session, who):
        report = post_bills(
            session,
            at=now,
            today=business_date(now),
            actor=who.username,
            within_bill=collection_policy(ctx.settings).within_bill,
            issued_through=issued_through,
        )
        if report.bills:
            record_audit(
                session,
                at=now,
                actor=who.username,
                action="ledger.post_bills",
                object_type="ledger",
                object_id=business_date(now).isoformat(),
                after=report.as_json(),
            )
    return report


def accrue_month_end(ctx: AppContext, *, actor: str | None, through: date) -> AccrualReport:
    now = ctx.clock.now()
    if through > business_date(now):
        raise MonthClosed(_("Late fees cannot be accrued into the future ({day}).").format(day=through))
    with use_case(ctx, actor=actor, action=Action.LEDGER_POST) as (session, who):
        report = _accrue(session, ctx=ctx, who=who.username, through=through, now=now)
    return report


def close_month(ctx: AppContext, *, actor: str | None, period: str) -> AccrualReport:
    check_period(period)
    year, month = parse_period(period)
    last = date(year, month, calendar.monthrange(year, month)[1])
    now = ctx.clock.now()
    if last >= business_date(now):
        raise MonthClosed(_("The month {period} has not ended yet.").format(period=period))
    with use_case(ctx, actor=actor, action=Action.COLLECTION_CLOSE) as (session, who):
        if session.get(CollectionClose, period) is not None:
            raise MonthClosed(_("The collection month {period} is already closed.").format(period=period))
        report = _accrue(session, ctx=ctx, who=who.username, through=last, now=now)
        session.add(CollectionClose(period=period, closed_at=now, closed_by=who.username))
        record_audit(
            session,
            at=now,
            actor=who.username,
            action="collection.close",
            object_type="collection_month",
            object_id=period,
            after=report.as_json(),
        )
    return report


def _accrue(session: Session, *, ctx: AppContext, who: str, through: date, now: datetime) -> AccrualReport:
    if session.get(CollectionClose, f"{through.year:04d}-{through.month:02d}") is not None:
        raise MonthClosed(_("The collection month of {day} is closed.").format(day=through.isoformat()))
    post_bills(
        session,
        at=now,
        today=business_date(now),
        actor=who,
        within_bill=collection_policy(ctx.settings).within_bill,
    )
    report = accrue_late_fees(
        session, through=through, at=now, actor=who, policy=late_fee_policy(ctx.settings)
    )
    if report.bills:
        record_audit(
            session,
            at=now,
            actor=who,
            action="late_fee.accrue",
            object_type="ledger",
            object_id=through.isoformat(),
            after={**report.as_json(), "charges": report.charges},
        )
    return report
