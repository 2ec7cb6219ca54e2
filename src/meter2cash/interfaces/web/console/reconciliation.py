"""The reconciliation screen (银行对账): upload a bank statement or an agent's settlement file, see
what matched and each difference, and resolve a difference with a note. The upload calls the
service ``m2c collect reconcile`` calls (`collection.reconciliation_service.reconcile_file`), the
resolution the one ``m2c collect reconcile-resolve`` calls (`resolve_difference`), with the
logged-in user as the actor. A refused file (any bad row) or a refused resolution is shown on the
page with status 422 and nothing is written; the same file uploaded again shows its first run."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from meter2cash.collection.policies import collection_policy
from meter2cash.collection.reconciliation_service import (
    RunView,
    reconcile_file,
    reconciliation_run,
    reconciliation_runs,
    resolve_difference,
)
from meter2cash.interfaces.web.auth import Principal, app_context, requires
from meter2cash.interfaces.web.console.pages import (
    REFUSALS,
    flash,
    page,
    refusal_lines,
    refusal_page,
    take_flash,
)
from meter2cash.platform.errors import InputRefused
from meter2cash.platform.i18n import N_
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action

router = APIRouter()

MAX_UPLOAD = 20 * 1024 * 1024
KindForm = Annotated[str, Form(pattern="^(|statement|agent_settlement)$")]
BankForm = Annotated[str, Form(max_length=40)]
NoteForm = Annotated[str, Form(max_length=300)]
ResolutionForm = Annotated[str, Form(max_length=30)]

DIFFERENCES = {
    "missing_in_bank": N_("Missing in the bank"),
    "missing_in_ledger": N_("Missing in the ledger"),
    "duplicate": N_("Duplicate"),
    "amount_mismatch": N_("Amount mismatch"),
}
RESOLUTIONS = {
    "post_missing_payment": N_("Post the missing payment"),
    "reverse_payment": N_("Reverse the payment"),
    "reverse_duplicate": N_("Reverse the duplicate payment"),
    "mark_bank_error": N_("Bank error"),
    "accept_with_note": N_("Accept with a note"),
}
FILE_KINDS = {"statement": N_("Bank statement"), "agent_settlement": N_("Agent settlement file")}


def _labels() -> dict[str, Any]:
    return {"differences": DIFFERENCES, "resolutions": RESOLUTIONS, "file_kinds": FILE_KINDS}


def _list_context(request: Request, who: Principal) -> dict[str, Any]:
    ctx = app_context(request)
    return {
        "runs": reconciliation_runs(ctx, actor=who.username, limit=30),
        "banks": collection_policy(ctx.settings).banks,
        "flash": take_flash(request),
        **_labels(),
    }


@router.get("/reconciliation")
def reconciliation_list(
    request: Request, who: Annotated[Principal, Depends(requires(Action.BANK_FILE))]
) -> Response:
    """The upload form and the latest runs."""
    return page(request, "console/reconciliation.html", _list_context(request, who))


@router.post("/reconciliation")
async def reconciliation_upload(
    request: Request,
    who: Annotated[Principal, Depends(requires(Action.BANK_FILE))],
    file: Annotated[UploadFile, File()],
    kind: KindForm = "",
    bank: BankForm = "",
) -> Response:
    """对账: reconcile the uploaded file and show its run."""
    data = await file.read(MAX_UPLOAD + 1)
    try:
        if not data:
            raise InputRefused(_("Choose a statement or settlement file to upload."))
        if len(data) > MAX_UPLOAD:
            raise InputRefused(_("The file is larger than 20 MB; split it by day."))
        view = reconcile_file(
            app_context(request),
            actor=who.username,
            data=data,
            filename=file.filename or "upload.csv",
            kind=kind or None,
            bank=bank.strip() or None,
        )
    except REFUSALS as error:
        context = _list_context(request, who)
        context["refusal"] = refusal_lines(error)
        return page(request, "console/reconciliation.html", context, status=422)
    if view.already_imported:
        flash(request, _("This file was reconciled before; its run is shown."))
    return RedirectResponse(f"/reconciliation/runs/{view.id}", status_code=303)


def _run_context(request: Request, who: Principal, view: RunView) -> dict[str, Any]:
    return {"view": view, "may_resolve": who.may(Action.RECONCILE_RESOLVE), **_labels()}


@router.get("/reconciliation/runs/{run_id}")
def reconciliation_report(
    request: Request, run_id: int, who: Annotated[Principal, Depends(requires(Action.BANK_FILE))]
) -> Response:
    """One run: what matched, and each difference with its resolution or the form to resolve it."""
    try:
        view = reconciliation_run(app_context(request), actor=who.username, run_id=run_id)
    except REFUSALS as error:
        return refusal_page(request, error=error, back="/reconciliation")
    context = _run_context(request, who, view)
    context["flash"] = take_flash(request)
    return page(request, "console/reconciliation_run.html", context)


@router.post("/reconciliation/items/{item_id}/resolve")
def reconciliation_resolve(
    request: Request,
    item_id: int,
    who: Annotated[Principal, Depends(requires(Action.RECONCILE_RESOLVE))],
    run_id: Annotated[int, Form()],
    resolution: ResolutionForm = "",
    note: NoteForm = "",
) -> Response:
    """差异处理: resolve one difference with a note; the run's page again."""
    ctx = app_context(request)
    try:
        done = resolve_difference(ctx, actor=who.username, item_id=item_id, resolution=resolution, note=note)
    except REFUSALS as error:
        try:
            view = reconciliation_run(ctx, actor=who.username, run_id=run_id)
        except REFUSALS:
            return refusal_page(request, error=error, back="/reconciliation")
        context = _run_context(request, who, view)
        context.update(
            refusal=refusal_lines(error),
            refused_item=item_id,
            entered={"resolution": resolution, "note": note},
        )
        return page(request, "console/reconciliation_run.html", context, status=422)
    flash(request, _("Difference {id} resolved.").format(id=done.id))
    return RedirectResponse(f"/reconciliation/runs/{done.run_id}#item-{done.id}", status_code=303)
