"""Reading tasks (抄表任务) by period and route book, for the console. Read-only."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from meter2cash.reading.model import MeterReading, ReadingException, ReadingTask
from meter2cash.reading.plans import route_books
from meter2cash.registry.model import Account, Customer, Meter, RouteBook

TASKS_SHOWN = 1000


@dataclass
class BookProgress:
    """One route book's tasks of a period, counted by state."""

    code: str
    name: str
    reader: str | None
    reading_day: int
    states: Counter[str] = field(default_factory=Counter)

    @property
    def planned(self) -> int:
        return sum(self.states.values())

    @property
    def obtained(self) -> int:
        return self.states["read"] + self.states["done"] + self.states["estimated"]


@dataclass(frozen=True, slots=True)
class TaskRow:
    """One task with its account, meter and the reading behind it, if any."""

    id: int
    account_no: str | None
    customer_name: str | None
    meter_no: str
    due_on: date
    window_closes_on: date
    state: str
    attempts: int
    read_on: date | None
    total: Decimal | None
    quality: str | None
    open_exceptions: int


def task_periods(session: Session) -> list[str]:
    """Periods with reading tasks, newest first."""
    return list(session.scalars(select(ReadingTask.period).distinct().order_by(ReadingTask.period.desc())))


def book_progress(session: Session, *, period: str) -> list[BookProgress]:
    """Every route book with its task counts by state in ``period`` (books without tasks too)."""
    books = {b.id: BookProgress(b.code, b.name, b.reader, b.reading_day) for b in route_books(session, None)}
    for book_id, state, count in session.execute(
        select(ReadingTask.route_book_id, ReadingTask.state, func.count(ReadingTask.id))
        .where(ReadingTask.period == period)
        .group_by(ReadingTask.route_book_id, ReadingTask.state)
    ):
        books[book_id].states[state] += int(count)
    return list(books.values())


def book_tasks(session: Session, *, period: str, route_book: str) -> list[TaskRow]:
    """The tasks of one route book in ``period``, by account number (at most ``TASKS_SHOWN``)."""
    book = route_books(session, route_book)[0]
    open_by_task: dict[int, int] = defaultdict(int)
    for task_id, count in session.execute(
        select(ReadingException.task_id, func.count(ReadingException.id))
        .where(
            ReadingException.route_book_id == book.id,
            ReadingException.period == period,
            ReadingException.state.in_(("open", "edit_pending")),
        )
        .group_by(ReadingException.task_id)
    ):
        if task_id is not None:
            open_by_task[task_id] = int(count)
    rows = session.execute(
        select(ReadingTask, Account.account_no, Customer.name, Meter.meter_no, MeterReading)
        .join(Meter, Meter.id == ReadingTask.meter_id)
        .outerjoin(Account, Account.id == ReadingTask.account_id)
        .outerjoin(Customer, Customer.id == Account.customer_id)
        .outerjoin(MeterReading, MeterReading.id == ReadingTask.reading_id)
        .where(ReadingTask.period == period, ReadingTask.route_book_id == book.id)
        .order_by(Account.account_no, Meter.meter_no)
        .limit(TASKS_SHOWN)
    )
    return [
        TaskRow(
            id=task.id,
            account_no=account_no,
            customer_name=name,
            meter_no=meter_no,
            due_on=task.due_on,
            window_closes_on=task.window_closes_on,
            state=task.state,
            attempts=task.attempts,
            read_on=reading.read_on if reading else None,
            total=reading.total if reading else None,
            quality=reading.quality if reading else None,
            open_exceptions=open_by_task.get(task.id, 0),
        )
        for task, account_no, name, meter_no, reading in rows
    ]


def book_codes(session: Session) -> list[tuple[str, str]]:
    """(code, name) of every route book, by code."""
    return [
        (code, name)
        for code, name in session.execute(select(RouteBook.code, RouteBook.name).order_by(RouteBook.code))
    ]
