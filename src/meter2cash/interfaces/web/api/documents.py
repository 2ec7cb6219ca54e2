"""Bill documents (电费通知单) over the API: one bill's PDF (A4, its Chinese font embedded) or
HTML, rendered in memory from the same template as ``m2c bill document``. Any staff user may
(``bill.document``); nothing is written to disk. A server without a CJK font answers 503 for the
PDF rather than send a PDF without Chinese text."""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from meter2cash.billing.document_fonts import CjkFontMissing, find_cjk_font
from meter2cash.billing.document_render import render_html, render_pdf
from meter2cash.billing.documents import BillDocument, Letterhead, load_document
from meter2cash.interfaces.web.api.deps import Ctx
from meter2cash.interfaces.web.api.schemas_common import id_path, problem_response
from meter2cash.interfaces.web.auth import Principal, requires
from meter2cash.interfaces.web.problems import problem
from meter2cash.platform.clock import business_date
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action

log = logging.getLogger("meter2cash.web")
router = APIRouter(prefix="/bills", tags=["bills"])
Printer = Annotated[Principal, Depends(requires(Action.BILL_DOCUMENT))]
BillId = Annotated[int, id_path("The bill's id.")]
NO_STORE = {"Cache-Control": "no-store"}


class PdfResponse(Response):
    media_type = "application/pdf"


def _document(ctx: AppContext, *, actor: str, bill_id: int) -> BillDocument:
    with use_case(ctx, actor=actor, action=Action.BILL_DOCUMENT) as (session, _who):
        return load_document(
            session,
            bill_id=bill_id,
            letterhead=Letterhead.from_settings(ctx.settings),
            printed_on=business_date(ctx.clock.now()),
        )


def _disposition(document: BillDocument, suffix: str) -> dict[str, str]:
    """Inline, named by the bill number (or account and period): an ASCII name for every client
    and the exact one (RFC 6266 ``filename*``) for those that read it."""
    name = f"{document.file_stem}.{suffix}"
    plain = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name)
    disposition = f"inline; filename=\"{plain}\"; filename*=UTF-8''{quote(name)}"
    return {**NO_STORE, "Content-Disposition": disposition}


@router.get(
    "/{bill_id}/document.pdf",
    response_class=PdfResponse,
    summary="A bill's 电费通知单 as PDF",
    responses={
        200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
        503: problem_response("No CJK font to embed on this server."),
    },
)
def bill_pdf(who: Printer, ctx: Ctx, bill_id: BillId) -> Response:
    """The bill's document as an A4 PDF with the Noto Sans CJK subset it uses embedded."""
    try:
        font = find_cjk_font(ctx.settings)  # refused before any work, as the CLI does
        document = _document(ctx, actor=who.username, bill_id=bill_id)
        pdf = render_pdf(render_html(document, font=font))
    except CjkFontMissing as missing:
        log.error("bill PDF refused: %s", missing)
        return problem(
            503,
            _("Bill PDFs cannot be made on this server"),
            detail=_("No CJK font is installed; the administrator can set M2C_CJK_FONT."),
        )
    return PdfResponse(pdf, headers=_disposition(document, "pdf"))


@router.get("/{bill_id}/document.html", response_class=HTMLResponse, summary="A bill's 电费通知单 as HTML")
def bill_html(who: Printer, ctx: Ctx, bill_id: BillId) -> HTMLResponse:
    """The bill's document as one HTML page (print CSS included), in the viewer's own fonts."""
    document = _document(ctx, actor=who.username, bill_id=bill_id)
    return HTMLResponse(render_html(document), headers=_disposition(document, "html"))
