"""The reading (抄表) API, reads: a route book's tasks of a period with the reading behind each,
and the exception queue (抄表异常) by route book and state. Working the queue is in
``reading_decisions``."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from meter2cash.interfaces.web.api.deps import ArchiveReader, Ctx
from meter2cash.interfaces.web.api.schemas_common import (
    LimitQuery,
    OffsetQuery,
    Page,
    PeriodQuery,
    RequiredRouteBookQuery,
    RouteBookQuery,
    page_of,
    sliced,
)
from meter2cash.interfaces.web.api.schemas_reading import ExceptionOut, TaskOut
from meter2cash.platform.context import use_case
from meter2cash.platform.permissions import Action
from meter2cash.reading.exceptions import exception_queue
from meter2cash.reading.model import EXCEPTION_STATES, MeterReading, ReadingTask
from meter2cash.reading.plans import route_books
from meter2cash.registry.model import Account, Meter

router = APIRouter(prefix="/reading", tags=["reading"])
ExceptionState = Literal["open", "confirmed", "reread_requested", "edit_pending", "resolved"]
assert set(ExceptionState.__args__) == set(EXCEPTION_STATES)  # type: ignore[attr-defined]


@router.get("/tasks", response_model=Page[TaskOut], summary="Reading tasks of a route book (抄表任务)")
def reading_tasks(
    who: ArchiveReader,
    ctx: Ctx,
    period: PeriodQuery,
    route_book: RequiredRouteBookQuery,
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    """The period's tasks of one route book with their state and the reading that fulfilled
    each, by account then meter."""
    with use_case(ctx, actor=who.username, action=Action.ARCHIVE_READ) as (session, _who):
        book = route_books(session, route_book)[0]
        where = (ReadingTask.route_book_id == book.id, ReadingTask.period == period)
        total = session.scalar(select(func.count(ReadingTask.id)).where(*where)) or 0
        rows = session.execute(
            select(ReadingTask, Account.account_no, Meter.meter_no, MeterReading)
            .join(Meter, Meter.id == ReadingTask.meter_id)
            .outerjoin(Account, Account.id == ReadingTask.account_id)
            .outerjoin(MeterReading, MeterReading.id == ReadingTask.reading_id)
            .where(*where)
            .order_by(Account.account_no, Meter.meter_no, ReadingTask.id)
            .limit(limit)
            .offset(offset)
        ).all()
        items = [
            {
                "id": task.id,
                "period": task.period,
                "route_book": book.code,
                "account_no": account_no,
                "meter_no": meter_no,
                "due_on": task.due_on.isoformat(),
                "window_closes_on": task.window_closes_on.isoformat(),
                "state": task.state,
                "attempts": task.attempts,
                "reading": None
                if reading is None
                else {
                    "id": reading.id,
                    "read_on": reading.read_on.isoformat(),
                    "source": reading.source,
                    "quality": reading.quality,
                    "status": reading.status,
                    "total": str(reading.total),
                },
            }
            for task, account_no, meter_no, reading in rows
        ]
    return page_of(items, total=int(total), limit=limit, offset=offset)


@router.get("/exceptions", response_model=Page[ExceptionOut], summary="The exception queue (抄表异常)")
def reading_exceptions(
    who: ArchiveReader,
    ctx: Ctx,
    route_book: RouteBookQuery = None,
    state: Annotated[list[ExceptionState] | None, Query(description="Repeat for several.")] = None,
    limit: LimitQuery = 100,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    """The queue by route book, as ``m2c read exceptions``: open and edit-pending exceptions
    unless ``state`` names others."""
    states = tuple(state) if state else ("open", "edit_pending")
    with use_case(ctx, actor=who.username, action=Action.ARCHIVE_READ) as (session, _who):
        if route_book is not None:
            route_books(session, route_book)  # an unknown book is refused, not an empty queue
        items = exception_queue(session, route_book=route_book, states=states)
    return sliced([asdict(i) for i in items], limit=limit, offset=offset)
