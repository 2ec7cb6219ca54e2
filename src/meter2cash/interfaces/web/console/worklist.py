"""Today's work on the dashboard: what waits for the user's roles, counted in the database, and the
latest periods the KPIs are shown for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from meter2cash.billing.bill_model import Bill
from meter2cash.interfaces.web.auth import Principal
from meter2cash.platform.i18n import N_
from meter2cash.platform.permissions import Action
from meter2cash.reading.model import ReadingEdit, ReadingException, ReadingTask


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One kind of waiting work: its label (a message id), how many, and where to do it."""

    key: str
    label: str
    count: int
    href: str


def todays_work(session: Session, *, who: Principal) -> list[WorkItem]:
    """The waiting work the user's roles may do, each with its count (zero included)."""
    items: list[WorkItem] = []
    if who.may(Action.READING_RESOLVE):
        items.append(
            WorkItem(
                "open_exceptions",
                N_("Open reading exceptions"),
                _count(
                    session, select(func.count(ReadingException.id)).where(ReadingException.state == "open")
                ),
                "/exceptions",
            )
        )
    if who.may(Action.READING_APPROVE_EDIT):
        items.append(
            WorkItem(
                "pending_edits",
                N_("Reading edits waiting for approval"),
                _count(session, select(func.count(ReadingEdit.id)).where(ReadingEdit.state == "pending")),
                "/exceptions?state=edit_pending",
            )
        )
    if who.may(Action.BILL_REVIEW):
        items.append(
            WorkItem(
                "flagged_bills",
                N_("Flagged bills waiting for review"),
                _count(session, select(func.count(Bill.id)).where(Bill.state == "flagged")),
                "/bills#queue",
            )
        )
    if who.may(Action.BILL_ISSUE):
        items.append(
            WorkItem(
                "approved_bills",
                N_("Approved bills not issued yet"),
                _count(session, select(func.count(Bill.id)).where(Bill.state == "approved")),
                "/bills#issue",
            )
        )
    return items


def latest_reading_period(session: Session) -> str | None:
    """The newest period with reading tasks."""
    return session.scalar(select(func.max(ReadingTask.period)))


def latest_bill_period(session: Session) -> str | None:
    """The newest period with regular bills."""
    return session.scalar(select(func.max(Bill.period)).where(Bill.kind == "regular"))


def _count(session: Session, query: Select[Any]) -> int:
    return int(session.scalar(query) or 0)
