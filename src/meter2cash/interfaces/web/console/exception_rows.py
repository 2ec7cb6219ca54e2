"""The rows of the console's exception queue: each reading exception (抄表异常) as
``reading.exceptions.QueueItem`` with the account behind its meter and, while one waits, the
proposed edit (old and new register values, who proposed it and why). Read-only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from meter2cash.platform.errors import NotFound
from meter2cash.platform.i18n import gettext as _
from meter2cash.reading.exceptions import REGISTERS, QueueItem, exception_queue
from meter2cash.reading.model import EXCEPTION_STATES, MeterReading, ReadingEdit, ReadingException
from meter2cash.registry.model import Account, Meter, MeterInstall, RouteBook, ServicePoint

# The queue's filters: what the clerk works (the CLI's default), edits only, or everything.
STATE_FILTERS: dict[str, tuple[str, ...]] = {
    "open": ("open", "edit_pending"),
    "edit_pending": ("edit_pending",),
    "all": EXCEPTION_STATES,
}


ROWS_SHOWN = 300  # a page of forms a clerk can work; the route book filter narrows the rest


@dataclass(frozen=True, slots=True)
class PendingEdit:
    """An edit waiting for a second person, with the registers it changes."""

    id: int
    proposed_by: str
    reason: str
    changes: tuple[tuple[str, str | None, str | None], ...]  # register, old, new


@dataclass(frozen=True, slots=True)
class ExceptionRow:
    item: QueueItem
    account_no: str | None
    edit: PendingEdit | None


def queue_rows(
    session: Session, *, route_book: str | None, states: tuple[str, ...], limit: int = ROWS_SHOWN
) -> tuple[list[ExceptionRow], int]:
    """The first ``limit`` rows of the queue (``exception_queue``) of one route book or all, with
    accounts and pending edits, and how many the queue holds."""
    items = exception_queue(session, route_book=route_book, states=states)
    return _rows(session, items[:limit]), len(items)


def exception_row(session: Session, *, exception_id: int) -> ExceptionRow:
    """One exception in whatever state, as a queue row (after a clerk's action on it)."""
    found = session.execute(
        select(ReadingException, RouteBook.code, Meter.meter_no, MeterReading.total)
        .join(RouteBook, RouteBook.id == ReadingException.route_book_id)
        .join(Meter, Meter.id == ReadingException.meter_id)
        .outerjoin(MeterReading, MeterReading.id == ReadingException.reading_id)
        .where(ReadingException.id == exception_id)
    ).first()
    if found is None:
        raise NotFound(_("Unknown reading exception: {code}").format(code=exception_id))
    e, book, meter_no, total = found
    pending = session.scalar(
        select(ReadingEdit.id).where(ReadingEdit.exception_id == e.id, ReadingEdit.state == "pending")
    )
    item = QueueItem(
        id=e.id,
        route_book=book,
        period=e.period,
        meter_no=meter_no,
        code=e.code,
        severity=e.severity,
        reason=e.reason,
        state=e.state,
        opened_on=e.opened_on.isoformat(),
        reading_id=e.reading_id,
        reading_total=None if total is None else str(total),
        pending_edit_id=pending,
    )
    return _rows(session, [item])[0]


def _rows(session: Session, items: list[QueueItem]) -> list[ExceptionRow]:
    ids = [i.id for i in items]
    accounts: dict[int, str] = {}
    for start in range(0, len(ids), 5000):
        for exception_id, account_no in session.execute(
            select(ReadingException.id, Account.account_no)
            .join(MeterInstall, MeterInstall.meter_id == ReadingException.meter_id)
            .join(ServicePoint, ServicePoint.id == MeterInstall.service_point_id)
            .join(Account, Account.id == ServicePoint.account_id)
            .where(ReadingException.id.in_(ids[start : start + 5000]))
            .order_by(MeterInstall.installed_on)
        ):
            accounts[exception_id] = account_no  # the meter's latest account wins
    edit_ids = [i.pending_edit_id for i in items if i.pending_edit_id is not None]
    edits = {
        e.id: _pending(e) for e in session.scalars(select(ReadingEdit).where(ReadingEdit.id.in_(edit_ids)))
    }
    return [
        ExceptionRow(
            item=i,
            account_no=accounts.get(i.id),
            edit=edits.get(i.pending_edit_id) if i.pending_edit_id is not None else None,
        )
        for i in items
    ]


def _pending(edit: ReadingEdit) -> PendingEdit:
    old, new = json.loads(edit.old_values), json.loads(edit.new_values)
    changes = tuple(
        (name, old.get(name), new.get(name)) for name in REGISTERS if _differs(old.get(name), new.get(name))
    )
    return PendingEdit(id=edit.id, proposed_by=edit.proposed_by, reason=edit.reason, changes=changes)


def _differs(old: str | None, new: str | None) -> bool:
    if old is None or new is None:
        return old != new
    return Decimal(old) != Decimal(new)
