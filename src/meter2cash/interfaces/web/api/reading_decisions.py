"""Working the reading exception queue over the API: confirm a warning (确认), request a re-read
(复抄), propose an edit (修正), and decide someone else's edit (四眼审批). Each calls the reading
service, which checks the role and four eyes again and writes the audit record; the answer is
the exception's or the edit's state afterwards."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from meter2cash.interfaces.web.api.deps import Ctx
from meter2cash.interfaces.web.api.schemas_common import ReasonIn, id_path
from meter2cash.interfaces.web.api.schemas_reading import EditIn, EditOut, ExceptionStateOut
from meter2cash.interfaces.web.auth import Principal, requires
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.errors import NotFound
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action
from meter2cash.reading.exceptions import confirm_exception, decide_edit, propose_edit, request_reread
from meter2cash.reading.model import ReadingEdit, ReadingException

router = APIRouter(prefix="/reading", tags=["reading"])
Resolver = Annotated[Principal, Depends(requires(Action.READING_RESOLVE))]
EditDecider = Annotated[Principal, Depends(requires(Action.READING_APPROVE_EDIT))]
ExceptionId = Annotated[int, id_path("The reading exception's id.")]
EditId = Annotated[int, id_path("The reading edit's id.")]


def _exception_state(ctx: AppContext, *, actor: str, exception_id: int) -> dict[str, Any]:
    with use_case(ctx, actor=actor, action=Action.ARCHIVE_READ) as (session, _who):
        found = session.get(ReadingException, exception_id)
        if found is None:
            raise NotFound(_("Unknown reading exception: {code}").format(code=exception_id))
        return {"exception_id": found.id, "state": found.state, "resolution": found.resolution}


@router.post(
    "/exceptions/{exception_id}/confirm", response_model=ExceptionStateOut, summary="Confirm a warning (确认)"
)
def confirm(who: Resolver, ctx: Ctx, exception_id: ExceptionId, body: ReasonIn) -> dict[str, Any]:
    """The reading is right as it is. Only an open warning can be confirmed; an error is edited or
    re-read."""
    confirm_exception(ctx, actor=who.username, exception_id=exception_id, reason=body.reason)
    return _exception_state(ctx, actor=who.username, exception_id=exception_id)


@router.post(
    "/exceptions/{exception_id}/reread", response_model=ExceptionStateOut, summary="Request a re-read (复抄)"
)
def reread(who: Resolver, ctx: Ctx, exception_id: ExceptionId, body: ReasonIn) -> dict[str, Any]:
    """Set the reading aside and send the task back to the field."""
    request_reread(ctx, actor=who.username, exception_id=exception_id, reason=body.reason)
    return _exception_state(ctx, actor=who.username, exception_id=exception_id)


@router.post(
    "/exceptions/{exception_id}/edits",
    response_model=EditOut,
    status_code=201,
    summary="Propose an edit (修正)",
)
def propose(who: Resolver, ctx: Ctx, exception_id: ExceptionId, body: EditIn) -> dict[str, Any]:
    """Propose corrected register values. An edit that changes billed energy waits for a second
    person (``pending``); one that changes nothing billed applies at once."""
    edit = propose_edit(
        ctx, actor=who.username, exception_id=exception_id, values=body.values.given(), reason=body.reason
    )
    return _edit(ctx, actor=who.username, edit_id=edit.id)


def _edit(ctx: AppContext, *, actor: str, edit_id: int) -> dict[str, Any]:
    with use_case(ctx, actor=actor, action=Action.ARCHIVE_READ) as (session, _who):
        edit = session.get(ReadingEdit, edit_id)
        if edit is None:
            raise NotFound(_("Unknown reading edit: {code}").format(code=edit_id))
        return {
            "edit_id": edit.id,
            "exception_id": edit.exception_id,
            "state": edit.state,
            "changes_energy": edit.changes_energy,
            "proposed_by": edit.proposed_by,
            "decided_by": edit.decided_by,
        }


@router.post("/edits/{edit_id}/approve", response_model=EditOut, summary="Approve an edit (四眼审批)")
def approve_edit(who: EditDecider, ctx: Ctx, edit_id: EditId, body: ReasonIn) -> dict[str, Any]:
    """Approve someone else's pending edit: it becomes a new reading of quality ``edited``. The
    proposer may not (403)."""
    decide_edit(ctx, actor=who.username, edit_id=edit_id, approve=True, reason=body.reason)
    return _edit(ctx, actor=who.username, edit_id=edit_id)


@router.post("/edits/{edit_id}/reject", response_model=EditOut, summary="Reject an edit")
def reject_edit(who: EditDecider, ctx: Ctx, edit_id: EditId, body: ReasonIn) -> dict[str, Any]:
    """Reject someone else's pending edit; the exception opens again. The proposer may not (403)."""
    decide_edit(ctx, actor=who.username, edit_id=edit_id, approve=False, reason=body.reason)
    return _edit(ctx, actor=who.username, edit_id=edit_id)
