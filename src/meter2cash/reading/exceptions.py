"""The reading exception queue (抄表异常处理) and four-eyes edits.

A clerk works each open exception of a route book:

- **confirm** (确认): the reading is right as it is — allowed for warnings (a real spike, a
  genuine rollover). An error cannot be waved through; it is edited or re-read.
- **re-read** (复抄): the reading is set aside and the task goes back to the field.
- **edit** (修正): the clerk proposes corrected register values with a reason. An edit that
  changes billed energy waits for a second person (审核员) to approve it — never the proposer;
  both people and both values stay in the audit trail. The approved value becomes a new reading
  with quality ``edited`` that supersedes the old one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from meter2cash.platform.audit import record_audit
from meter2cash.platform.clock import business_date
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.errors import InputRefused, NotFound
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.money import exact
from meter2cash.platform.permissions import Action
from meter2cash.platform.users import PermissionDenied
from meter2cash.reading.model import MeterReading, ReadingEdit, ReadingException, ReadingTask
from meter2cash.reading.vee.codes import QualityFlag
from meter2cash.registry.model import Meter, RouteBook

# Every value an edit may change is billed, so any change needs the second person.
REGISTERS = ("total", "sharp", "peak", "flat", "valley", "reactive", "max_demand_kw")


class FourEyesViolation(PermissionDenied):
    """The person who proposed an edit tried to approve it."""


class WrongState(InputRefused):
    pass


@dataclass(frozen=True, slots=True)
class QueueItem:
    id: int
    route_book: str
    period: str
    meter_no: str
    code: str
    severity: str
    reason: str
    state: str
    opened_on: str
    reading_id: int | None
    reading_total: str | None
    pending_edit_id: int | None


def exception_queue(
    session: Session, *, route_book: str | None = None, states: tuple[str, ...] = ("open", "edit_pending")
) -> list[QueueItem]:
    query = (
        select(ReadingException, RouteBook.code, Meter.meter_no, MeterReading.total)
        .join(RouteBook, RouteBook.id == ReadingException.route_book_id)
        .join(Meter, Meter.id == ReadingException.meter_id)
        .outerjoin(MeterReading, MeterReading.id == ReadingException.reading_id)
        .where(ReadingException.state.in_(states))
        .order_by(RouteBook.code, ReadingException.id)
    )
    if route_book:
        query = query.where(RouteBook.code == route_book)
    pending = {
        exception_id: edit_id
        for exception_id, edit_id in session.execute(
            select(ReadingEdit.exception_id, ReadingEdit.id).where(ReadingEdit.state == "pending")
        )
    }
    return [
        QueueItem(
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
            pending_edit_id=pending.get(e.id),
        )
        for e, book, meter_no, total in session.execute(query)
    ]


def _exception(session: Session, exception_id: int) -> ReadingException:
    found = session.get(ReadingException, exception_id)
    if found is None:
        raise NotFound(_("Unknown reading exception: {code}").format(code=exception_id))
    return found


def _snapshot(e: ReadingException) -> dict[str, object]:
    return {
        "code": e.code,
        "severity": e.severity,
        "state": e.state,
        "reading_id": e.reading_id,
        "resolution": e.resolution,
    }


def confirm_exception(ctx: AppContext, *, actor: str, exception_id: int, reason: str) -> None:
    with use_case(ctx, actor=actor, action=Action.READING_RESOLVE) as (session, who):
        item = _exception(session, exception_id)
        if item.state != "open":
            raise WrongState(
                _("Only an open exception can be confirmed; this one is {state}.").format(state=item.state)
            )
        if item.severity == "error":
            raise WrongState(
                _("An error cannot be confirmed as it is: edit the reading or request a re-read.")
            )
        before = _snapshot(item)
        item.state, item.resolution, item.resolved_by = "resolved", f"confirmed: {reason}", who.username
        item.resolved_on = business_date(ctx.clock.now())
        record_audit(
            session,
            at=ctx.clock.now(),
            actor=who.username,
            action="reading_exception.confirm",
            object_type="reading_exception",
            object_id=str(item.id),
            before=before,
            after=_snapshot(item),
            reason=reason,
        )


def request_reread(ctx: AppContext, *, actor: str, exception_id: int, reason: str) -> None:
    with use_case(ctx, actor=actor, action=Action.READING_RESOLVE) as (session, who):
        item = _exception(session, exception_id)
        if item.state not in ("open", "confirmed"):
            raise WrongState(
                _("A re-read can only be requested for an open exception; this one is {state}.").format(
                    state=item.state
                )
            )
        before = _snapshot(item)
        item.state, item.resolved_by = "reread_requested", who.username
        item.resolution = f"re-read requested: {reason}"
        if item.reading_id is not None:
            reading = session.get(MeterReading, item.reading_id)
            if reading is not None:
                reading.status = "rejected"
        if item.task_id is not None:
            task = session.get(ReadingTask, item.task_id)
            if task is not None:
                task.state, task.reading_id = "reread_requested", None
        record_audit(
            session,
            at=ctx.clock.now(),
            actor=who.username,
            action="reading_exception.reread",
            object_type="reading_exception",
            object_id=str(item.id),
            before=before,
            after=_snapshot(item),
            reason=reason,
        )


def _values(reading: MeterReading) -> dict[str, str | None]:
    return {
        name: None if getattr(reading, name) is None else str(getattr(reading, name)) for name in REGISTERS
    }


def propose_edit(
    ctx: AppContext, *, actor: str, exception_id: int, values: Mapping[str, str], reason: str
) -> ReadingEdit:
    """Propose corrected register values for the exception's reading.

    When nothing that is billed changes, the edit applies at once; otherwise it waits for a
    second person's approval.
    """
    if not reason.strip():
        raise InputRefused(_("An edit needs a reason."))
    unknown = set(values) - set(REGISTERS)
    if unknown:
        raise InputRefused(_("Unknown registers: {names}").format(names=", ".join(sorted(unknown))))
    with use_case(ctx, actor=actor, action=Action.READING_RESOLVE) as (session, who):
        item = _exception(session, exception_id)
        if item.state != "open" or item.reading_id is None:
            raise WrongState(_("Only an open exception on a stored reading can be edited."))
        reading = session.get(MeterReading, item.reading_id)
        assert reading is not None
        old = _values(reading)
        new = dict(old) | {k: str(exact(v)) for k, v in values.items()}
        changes = any(_differs(old[k], new[k]) for k in REGISTERS)
        edit = ReadingEdit(
            exception_id=item.id,
            reading_id=reading.id,
            old_values=json.dumps(old),
            new_values=json.dumps(new),
            reason=reason,
            changes_energy=changes,
            state="pending",
            proposed_by=who.username,
        )
        session.add(edit)
        item.state = "edit_pending"
        session.flush()
        record_audit(
            session,
            at=ctx.clock.now(),
            actor=who.username,
            action="reading_edit.propose",
            object_type="reading_edit",
            object_id=str(edit.id),
            before=old,
            after=new,
            reason=reason,
        )
        if not changes:
            _apply(session, edit=edit, item=item, reading=reading, decided_by=who.username, ctx=ctx)
        return edit


def decide_edit(ctx: AppContext, *, actor: str, edit_id: int, approve: bool, reason: str) -> None:
    """Approve or reject a pending edit. The proposer may not decide their own edit (四眼原则)."""
    with use_case(ctx, actor=actor, action=Action.READING_APPROVE_EDIT) as (session, who):
        edit = session.get(ReadingEdit, edit_id)
        if edit is None:
            raise NotFound(_("Unknown reading edit: {code}").format(code=edit_id))
        if edit.state != "pending":
            raise WrongState(_("This edit was already {state}.").format(state=edit.state))
        if edit.proposed_by == who.username:
            raise FourEyesViolation(
                _(
                    "Four eyes: {user} proposed this edit and may not approve or reject it; "
                    "another reviewer must."
                ).format(user=who.username)
            )
        item = session.get(ReadingException, edit.exception_id) if edit.exception_id else None
        reading = session.get(MeterReading, edit.reading_id)
        assert reading is not None
        if approve:
            _apply(
                session,
                edit=edit,
                item=item,
                reading=reading,
                decided_by=who.username,
                ctx=ctx,
                decision_reason=reason,
            )
            return
        edit.state, edit.decided_by, edit.decision_reason = "rejected", who.username, reason
        if item is not None:
            item.state = "open"
        record_audit(
            session,
            at=ctx.clock.now(),
            actor=who.username,
            action="reading_edit.reject",
            object_type="reading_edit",
            object_id=str(edit.id),
            before=json.loads(edit.old_values),
            after=json.loads(edit.new_values),
            reason=reason,
        )


def _apply(
    session: Session,
    *,
    edit: ReadingEdit,
    item: ReadingException | None,
    reading: MeterReading,
    decided_by: str,
    ctx: AppContext,
    decision_reason: str | None = None,
) -> None:
    new_values = json.loads(edit.new_values)
    replacement = MeterReading(
        meter_id=reading.meter_id,
        service_point_id=reading.service_point_id,
        read_on=reading.read_on,
        read_at=reading.read_at,
        source="edit",
        quality=QualityFlag.EDITED.value,
        status="valid",
        meter_clock=reading.meter_clock,
        task_id=reading.task_id,
        batch_id=reading.batch_id,
        supersedes_id=reading.id,
        entered_by=edit.proposed_by,
        **{name: None if new_values[name] is None else Decimal(new_values[name]) for name in REGISTERS},
    )
    session.add(replacement)
    reading.status = "superseded"
    session.flush()
    edit.state, edit.decided_by, edit.decision_reason = "approved", decided_by, decision_reason
    edit.new_reading_id = replacement.id
    if item is not None:
        item.state, item.resolved_by = "resolved", decided_by
        item.resolution = f"edited: {edit.reason}"
        item.resolved_on = business_date(ctx.clock.now())
        others = session.scalars(
            select(ReadingException).where(
                ReadingException.reading_id == reading.id,
                ReadingException.id != item.id,
                ReadingException.state == "open",
            )
        )
        for other in others:  # the edit answers every finding on the superseded reading
            other.state, other.resolved_by, other.resolution = (
                "resolved",
                decided_by,
                f"superseded by edit {edit.id}",
            )
            other.resolved_on = item.resolved_on
    if reading.task_id is not None:
        task = session.get(ReadingTask, reading.task_id)
        if task is not None and task.reading_id in (None, reading.id):
            task.reading_id, task.state = replacement.id, "read"
    record_audit(
        session,
        at=ctx.clock.now(),
        actor=decided_by,
        action="reading_edit.approve",
        object_type="reading_edit",
        object_id=str(edit.id),
        before=json.loads(edit.old_values),
        after={
            **json.loads(edit.new_values),
            "proposed_by": edit.proposed_by,
            "approved_by": decided_by,
            "new_reading_id": replacement.id,
        },
        reason=decision_reason or edit.reason,
    )


def _differs(old: str | None, new: str | None) -> bool:
    if old is None or new is None:
        return old != new
    return Decimal(old) != Decimal(new)
