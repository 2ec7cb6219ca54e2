"""The reading exception queue (抄表异常处理) by route book: a clerk confirms a reading, asks for a
re-read or proposes an edit; a second person approves or rejects the edit (四眼原则). Every action
calls the service ``m2c read confirm | reread | edit | approve | reject`` calls, and the row is
updated in place (HTMX) or, without JavaScript, the page is shown again. A refusal — the proposer
approving their own edit, a wrong state, a bad value — is shown in the row or on a page of its own,
and nothing is written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from meter2cash.interfaces.web.auth import Principal, app_context, requires
from meter2cash.interfaces.web.console.access import requires_any
from meter2cash.interfaces.web.console.exception_rows import (
    STATE_FILTERS,
    ExceptionRow,
    exception_row,
    queue_rows,
)
from meter2cash.interfaces.web.console.fields import ReasonForm, RouteBookQuery
from meter2cash.interfaces.web.console.pages import REFUSALS, is_htmx, page, refusal_lines, refusal_page
from meter2cash.interfaces.web.console.task_queries import book_codes
from meter2cash.platform.errors import InputRefused, NotFound, Problem
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.money import BadAmount, NotExact, exact
from meter2cash.platform.permissions import Action
from meter2cash.reading.exceptions import confirm_exception, decide_edit, propose_edit, request_reread

router = APIRouter()

EDITABLE = ("total", "sharp", "peak", "flat", "valley")
Register = Annotated[str, Form(max_length=30)]


@router.get("/exceptions")
def exceptions(
    request: Request,
    who: Annotated[Principal, Depends(requires_any(Action.READING_RESOLVE, Action.READING_APPROVE_EDIT))],
    route_book: RouteBookQuery = None,
    state: Annotated[str, Query(pattern="^(open|edit_pending|all)$")] = "open",
    done: Annotated[int | None, Query()] = None,
) -> Response:
    """The queue, filtered by route book and state."""
    ctx = app_context(request)
    book = route_book or None
    with ctx.sessions() as session:
        rows, total = queue_rows(session, route_book=book, states=STATE_FILTERS[state])
        books = book_codes(session)
        finished = _finished(session, done)
    return page(
        request,
        "console/exceptions.html",
        {
            "rows": rows,
            "total": total,
            "books": books,
            "route_book": book,
            "state": state,
            "finished": finished,
            **_may(who),
        },
    )


@router.post("/exceptions/{exception_id}/confirm")
def confirm(
    request: Request,
    exception_id: int,
    who: Annotated[Principal, Depends(requires(Action.READING_RESOLVE))],
    reason: ReasonForm = "",
) -> Response:
    """确认: the reading is right as it is (warnings only; the service says no to an error)."""

    def act() -> str:
        confirm_exception(
            app_context(request), actor=who.username, exception_id=exception_id, reason=_reason(reason)
        )
        return _("Confirmed.")

    return _answer(request, who, exception_id, act)


@router.post("/exceptions/{exception_id}/reread")
def reread(
    request: Request,
    exception_id: int,
    who: Annotated[Principal, Depends(requires(Action.READING_RESOLVE))],
    reason: ReasonForm = "",
) -> Response:
    """复抄: set the reading aside and send the task back to the field."""

    def act() -> str:
        request_reread(
            app_context(request), actor=who.username, exception_id=exception_id, reason=_reason(reason)
        )
        return _("Re-read requested: the task is back with the meter reader.")

    return _answer(request, who, exception_id, act)


@router.post("/exceptions/{exception_id}/edit")
def edit(
    request: Request,
    exception_id: int,
    who: Annotated[Principal, Depends(requires(Action.READING_RESOLVE))],
    reason: ReasonForm = "",
    total: Register = "",
    sharp: Register = "",
    peak: Register = "",
    flat: Register = "",
    valley: Register = "",
) -> Response:
    """修正: propose corrected register values; a change of billed energy waits for a second person."""
    given = {"total": total, "sharp": sharp, "peak": peak, "flat": flat, "valley": valley}

    def act() -> str:
        values = _registers(given)
        proposed = propose_edit(
            app_context(request), actor=who.username, exception_id=exception_id, values=values, reason=reason
        )
        if proposed.state == "pending":
            return _("Edit {edit} proposed: it waits for a second person to approve it.").format(
                edit=proposed.id
            )
        return _("Edit {edit} applied: no billed energy changed.").format(edit=proposed.id)

    return _answer(request, who, exception_id, act)


@router.post("/exceptions/{exception_id}/edits/{edit_id}/approve")
def approve(
    request: Request,
    exception_id: int,
    edit_id: int,
    who: Annotated[Principal, Depends(requires(Action.READING_APPROVE_EDIT))],
    reason: ReasonForm = "",
) -> Response:
    """四眼审批: approve someone else's edit; the edited value becomes the reading."""

    def act() -> str:
        decide_edit(
            app_context(request), actor=who.username, edit_id=edit_id, approve=True, reason=_reason(reason)
        )
        return _("Edit {edit} approved.").format(edit=edit_id)

    return _answer(request, who, exception_id, act)


@router.post("/exceptions/{exception_id}/edits/{edit_id}/reject")
def reject(
    request: Request,
    exception_id: int,
    edit_id: int,
    who: Annotated[Principal, Depends(requires(Action.READING_APPROVE_EDIT))],
    reason: ReasonForm = "",
) -> Response:
    """Reject someone else's edit; the exception opens again."""

    def act() -> str:
        decide_edit(
            app_context(request), actor=who.username, edit_id=edit_id, approve=False, reason=_reason(reason)
        )
        return _("Edit {edit} rejected: the exception is open again.").format(edit=edit_id)

    return _answer(request, who, exception_id, act)


def _answer(request: Request, who: Principal, exception_id: int, act: Callable[[], str]) -> Response:
    """Do the action; answer with the row (HTMX) or the queue page, or show the refusal."""
    try:
        message = act()
    except REFUSALS as error:
        if not is_htmx(request):
            return refusal_page(request, error=error, back="/exceptions")
        return _row(request, who, exception_id, refusal=refusal_lines(error))
    if not is_htmx(request):
        return RedirectResponse(f"/exceptions?done={exception_id}", status_code=303)
    return _row(request, who, exception_id, message=message)


def _row(
    request: Request,
    who: Principal,
    exception_id: int,
    *,
    message: str | None = None,
    refusal: list[str] | None = None,
) -> Response:
    with app_context(request).sessions() as session:
        row = exception_row(session, exception_id=exception_id)
    return page(
        request,
        "console/exception_row.html",
        {"row": row, "message": message, "refusal": refusal, **_may(who)},
    )


def _finished(session: Session, exception_id: int | None) -> ExceptionRow | None:
    """The exception a plain (no-JavaScript) form just acted on, to say what became of it."""
    if exception_id is None:
        return None
    try:
        return exception_row(session, exception_id=exception_id)
    except NotFound:
        return None


def _may(who: Principal) -> dict[str, bool]:
    return {
        "may_resolve": who.may(Action.READING_RESOLVE),
        "may_approve": who.may(Action.READING_APPROVE_EDIT),
        "may_audit": who.may(Action.AUDIT_READ),
    }


def _reason(reason: str) -> str:
    """The reason every decision needs (it goes into the audit trail), as the CLI's --reason."""
    if not reason.strip():
        raise InputRefused(_("Give a reason: it goes into the audit trail."))
    return reason.strip()


def _registers(given: dict[str, str]) -> dict[str, str]:
    """The register values filled in, each an exact decimal number; refused whole otherwise."""
    values = {name: text.strip() for name, text in given.items() if text.strip()}
    if not values:
        raise InputRefused(_("Give at least one corrected register value."))
    problems = []
    for name, text in values.items():
        try:
            exact(text)
        except (BadAmount, NotExact):
            problems.append(Problem(reason=_("not a decimal number"), column=name, value=text))
    if problems:
        raise InputRefused(_("The corrected values were refused"), problems)
    return values
