"""The disconnection queue (停复电队列): the open cases by state with the account, its arrears, days
overdue, planned cut and method; one case with its steps and what the rules say of its next step;
and the buttons of each step — approve (a supervisor who did not propose it), serve the written
notice, the final notice, execute (trip by DL/T 645 1CH, or issue the field work order), confirm a
work order, cancel. Each write calls the service the matching ``m2c collect disconnect-*``
command calls (`collection.disconnection_service`) with the logged-in user as the actor; a refused
step shows the rules' reasons (in Chinese) on the case's page, and nothing is written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from meter2cash.collection.disconnection_rules import PATH
from meter2cash.collection.disconnection_service import (
    METHOD_LABELS,
    STATE_LABELS,
    approve_case,
    cancel_case,
    case_detail,
    confirm_work_order,
    disconnection_queue,
    execute_cut,
    send_final_notice,
    serve_notice,
)
from meter2cash.interfaces.web.auth import Principal, app_context, requires
from meter2cash.interfaces.web.console.pages import (
    REFUSALS,
    flash,
    page,
    refusal_lines,
    refusal_page,
    refusal_status,
    take_flash,
)
from meter2cash.platform.context import AppContext
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action

router = APIRouter()

QUEUE = "/disconnections"
NoteForm = Annotated[str, Form(max_length=300)]
DoneByForm = Annotated[str, Form(max_length=64)]


def _labels() -> dict[str, Any]:
    return {
        "state_labels": {s.value: label for s, label in STATE_LABELS.items()},
        "method_labels": {m.value: label for m, label in METHOD_LABELS.items()},
    }


def _may(who: Principal) -> dict[str, bool]:
    return {
        "may_propose": who.may(Action.DISCONNECT_PROPOSE),
        "may_approve": who.may(Action.DISCONNECT_APPROVE),
        "may_execute": who.may(Action.DISCONNECT_EXECUTE),
    }


@router.get("/disconnections")
def queue(request: Request, who: Annotated[Principal, Depends(requires(Action.LEDGER_READ))]) -> Response:
    """停复电队列: the open cases, grouped by state in the order of the procedure."""
    rows = disconnection_queue(app_context(request), actor=who.username)
    groups = [(state.value, [r for r in rows if r["state"] == state.value]) for state in PATH]
    return page(
        request,
        "console/disconnections.html",
        {
            "groups": [(state, cases) for state, cases in groups if cases],
            "count": len(rows),
            "flash": take_flash(request),
            "who": who.username,
            **_may(who),
            **_labels(),
        },
    )


def _case_context(request: Request, who: Principal, case_id: int) -> dict[str, Any]:
    return {
        "case": case_detail(app_context(request), actor=who.username, case_id=case_id),
        "who": who.username,
        **_may(who),
        **_labels(),
    }


@router.get("/disconnections/{case_id}")
def case_page(
    request: Request, case_id: int, who: Annotated[Principal, Depends(requires(Action.LEDGER_READ))]
) -> Response:
    """One case: its steps, the next step's check, the buttons."""
    try:
        context = _case_context(request, who, case_id)
    except REFUSALS as error:
        return refusal_page(request, error=error, back=QUEUE)
    context["flash"] = take_flash(request)
    return page(request, "console/disconnection_case.html", context)


def _step(
    request: Request,
    who: Principal,
    case_id: int,
    call: Callable[[AppContext], dict[str, Any]],
    done: Callable[[dict[str, Any]], str],
) -> Response:
    """Run one step; on refusal the case's page with every reason, nothing written."""
    try:
        result = call(app_context(request))
    except REFUSALS as error:
        try:
            context = _case_context(request, who, case_id)
        except REFUSALS:
            return refusal_page(request, error=error, back=QUEUE)
        context["refusal"] = refusal_lines(error)
        return page(request, "console/disconnection_case.html", context, status=refusal_status(error))
    flash(request, done(result))
    return RedirectResponse(f"/disconnections/{case_id}", status_code=303)


@router.post("/disconnections/{case_id}/approve")
def approve(
    request: Request, case_id: int, who: Annotated[Principal, Depends(requires(Action.DISCONNECT_APPROVE))]
) -> Response:
    """批准停电 (a supervisor who did not propose the case)."""
    return _step(
        request,
        who,
        case_id,
        lambda ctx: approve_case(ctx, actor=who.username, case_id=case_id),
        lambda _result: _("Case {case} approved: serve the written notice next.").format(case=case_id),
    )


@router.post("/disconnections/{case_id}/notice")
def notice(
    request: Request, case_id: int, who: Annotated[Principal, Depends(requires(Action.DISCONNECT_PROPOSE))]
) -> Response:
    """送达停电通知书."""
    return _step(
        request,
        who,
        case_id,
        lambda ctx: serve_notice(ctx, actor=who.username, case_id=case_id),
        lambda _result: _("Case {case}: the written notice is in the outbox.").format(case=case_id),
    )


@router.post("/disconnections/{case_id}/final-notice")
def final_notice(
    request: Request, case_id: int, who: Annotated[Principal, Depends(requires(Action.DISCONNECT_PROPOSE))]
) -> Response:
    """停电前再次通知."""
    return _step(
        request,
        who,
        case_id,
        lambda ctx: send_final_notice(ctx, actor=who.username, case_id=case_id),
        lambda _result: _("Case {case}: the final notice is in the outbox.").format(case=case_id),
    )


@router.post("/disconnections/{case_id}/execute")
def execute(
    request: Request, case_id: int, who: Annotated[Principal, Depends(requires(Action.DISCONNECT_EXECUTE))]
) -> Response:
    """停电: the 1CH trip, or the field work order."""
    return _step(
        request,
        who,
        case_id,
        lambda ctx: execute_cut(ctx, actor=who.username, case_id=case_id),
        _executed,
    )


@router.post("/disconnections/{case_id}/confirm")
def confirm(
    request: Request,
    case_id: int,
    who: Annotated[Principal, Depends(requires(Action.DISCONNECT_EXECUTE))],
    done_by: DoneByForm = "",
) -> Response:
    """工单回填: the field crew did the work order."""
    return _step(
        request,
        who,
        case_id,
        lambda ctx: confirm_work_order(ctx, actor=who.username, case_id=case_id, done_by=done_by),
        lambda _result: _("Case {case}: the work order is recorded as done.").format(case=case_id),
    )


@router.post("/disconnections/{case_id}/cancel")
def cancel(
    request: Request,
    case_id: int,
    who: Annotated[Principal, Depends(requires(Action.DISCONNECT_PROPOSE))],
    note: NoteForm = "",
) -> Response:
    """撤销停电 (before the cut), with a note."""
    return _step(
        request,
        who,
        case_id,
        lambda ctx: cancel_case(ctx, actor=who.username, case_id=case_id, note=note),
        lambda _result: _("Case {case} cancelled.").format(case=case_id),
    )


def _executed(result: dict[str, Any]) -> str:
    if result.get("reply"):
        return _("Case {case}: the meter acknowledged the trip ({reply}); the supply is cut.").format(
            case=result["id"], reply=result["reply"]
        )
    return _("Case {case}: field work order {number} issued; confirm it when the crew is done.").format(
        case=result["id"], number=result["work_order_no"]
    )
