"""Reading tasks by route book (抄表任务): choose a period and a route book and see how far reading
has come — every book's tasks by state, and one book's tasks with their readings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from meter2cash.interfaces.web.auth import Principal, app_context, requires
from meter2cash.interfaces.web.console.fields import PeriodQuery, RouteBookQuery
from meter2cash.interfaces.web.console.pages import page
from meter2cash.interfaces.web.console.task_queries import book_codes, book_progress, book_tasks, task_periods
from meter2cash.platform.permissions import Action
from meter2cash.reading.model import TASK_STATES

router = APIRouter()


@router.get("/reading")
def reading_tasks(
    request: Request,
    who: Annotated[Principal, Depends(requires(Action.ARCHIVE_READ))],
    period: PeriodQuery = None,
    route_book: RouteBookQuery = None,
) -> Response:
    """The period's progress by route book, and the chosen book's tasks."""
    ctx = app_context(request)
    book = route_book or None
    with ctx.sessions() as session:
        periods = task_periods(session)
        chosen = period or (periods[0] if periods else None)
        books = book_codes(session)
        progress = book_progress(session, period=chosen) if chosen else []
        tasks = book_tasks(session, period=chosen, route_book=book) if chosen and book else []
    return page(
        request,
        "console/reading.html",
        {
            "periods": periods,
            "period": chosen,
            "books": books,
            "route_book": book,
            "progress": progress,
            "tasks": tasks,
            "states": TASK_STATES,
        },
    )
