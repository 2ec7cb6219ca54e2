"""Reading plans (抄表计划): one task per active meter of a route book for a period, due on the
book's reading day. Planning twice creates nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from meter2cash.platform.audit import record_audit
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.errors import NotFound
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action
from meter2cash.reading.model import ReadingTask
from meter2cash.reading.schedule import DEFAULT_SCHEDULE, SchedulePolicy, acceptance_window, due_date
from meter2cash.registry.model import Account, MeterInstall, RouteBook, ServicePoint


@dataclass(frozen=True, slots=True)
class PlanReport:
    period: str
    books: int
    created: int
    existing: int


def route_books(session: Session, code: str | None) -> list[RouteBook]:
    """One route book by code (refused when unknown), or all of them."""
    query = select(RouteBook).order_by(RouteBook.code)
    if code is not None:
        query = query.where(RouteBook.code == code)
    books = list(session.scalars(query))
    if code is not None and not books:
        raise NotFound(_("Unknown route book: {code}").format(code=code))
    return books


def active_installs(session: Session, *, book_id: int, on: date) -> list[tuple[int, int, int]]:
    """(account id, service point id, meter id) of every meter installed on ``on`` on an active
    account of the book."""
    query = (
        select(Account.id, ServicePoint.id, MeterInstall.meter_id)
        .join(ServicePoint, ServicePoint.account_id == Account.id)
        .join(MeterInstall, MeterInstall.service_point_id == ServicePoint.id)
        .where(
            Account.route_book_id == book_id,
            Account.status == "active",
            MeterInstall.installed_on <= on,
            (MeterInstall.removed_on.is_(None)) | (MeterInstall.removed_on > on),
        )
        .order_by(Account.id)
    )
    return [(a, p, m) for a, p, m in session.execute(query)]


def plan_period(
    ctx: AppContext,
    *,
    actor: str,
    period: str,
    route_book: str | None = None,
    policy: SchedulePolicy = DEFAULT_SCHEDULE,
) -> PlanReport:
    """Create the period's reading tasks for one route book, or for all."""
    created = existing = 0
    with use_case(ctx, actor=actor, action=Action.READING_PLAN) as (session, who):
        books = route_books(session, route_book)
        for book in books:
            due = due_date(period=period, reading_day=book.reading_day)
            window = acceptance_window(due_on=due, policy=policy)
            assert window.end is not None
            known = {
                (point, meter)
                for point, meter in session.execute(
                    select(ReadingTask.service_point_id, ReadingTask.meter_id).where(
                        ReadingTask.period == period, ReadingTask.route_book_id == book.id
                    )
                )
            }
            rows = []
            for account_id, point_id, meter_id in active_installs(session, book_id=book.id, on=due):
                if (point_id, meter_id) in known:
                    existing += 1
                    continue
                rows.append(
                    ReadingTask(
                        period=period,
                        route_book_id=book.id,
                        account_id=account_id,
                        service_point_id=point_id,
                        meter_id=meter_id,
                        due_on=due,
                        window_closes_on=date.fromordinal(window.end.toordinal() - 1),
                        state="pending",
                        attempts=0,
                    )
                )
            session.add_all(rows)
            created += len(rows)
        record_audit(
            session,
            at=ctx.clock.now(),
            actor=who.username,
            action="reading.plan",
            object_type="reading_period",
            object_id=period,
            after={
                "route_book": route_book or "*",
                "books": len(books),
                "created": created,
                "existing": existing,
            },
        )
    return PlanReport(period=period, books=len(books), created=created, existing=existing)
