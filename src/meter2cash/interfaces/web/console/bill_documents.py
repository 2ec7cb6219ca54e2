"""A bill's 电费通知单 in the browser: the HTML and the PDF (its Chinese font embedded), rendered
from the one template ``m2c bill document`` uses (billing.documents + billing.document_render).
Viewing writes no file, so it leaves no audit record; ``m2c bill document`` writes files and
records them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from meter2cash.billing.document_fonts import find_cjk_font
from meter2cash.billing.document_render import render_html, render_pdf
from meter2cash.billing.documents import BillDocument, Letterhead, load_document
from meter2cash.interfaces.web.auth import Principal, app_context, requires
from meter2cash.platform.clock import business_date
from meter2cash.platform.context import use_case
from meter2cash.platform.permissions import Action

router = APIRouter()


@router.get("/bills/{bill_id}/document.html")
def document_html(
    request: Request, bill_id: int, who: Annotated[Principal, Depends(requires(Action.BILL_DOCUMENT))]
) -> Response:
    """The bill document as HTML (the viewer's own Chinese fonts)."""
    return HTMLResponse(render_html(_document(request, who=who, bill_id=bill_id)))


@router.get("/bills/{bill_id}/document.pdf")
def document_pdf(
    request: Request, bill_id: int, who: Annotated[Principal, Depends(requires(Action.BILL_DOCUMENT))]
) -> Response:
    """The bill document as PDF, A4, with a subset of the CJK font embedded (404 without the font)."""
    font = find_cjk_font(app_context(request).settings)  # refused before anything is read
    document = _document(request, who=who, bill_id=bill_id)
    return Response(
        render_pdf(render_html(document, font=font)),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{document.file_stem}.pdf"'},
    )


def _document(request: Request, *, who: Principal, bill_id: int) -> BillDocument:
    ctx = app_context(request)
    with use_case(ctx, actor=who.username, action=Action.BILL_DOCUMENT) as (session, _who):
        return load_document(
            session,
            bill_id=bill_id,
            letterhead=Letterhead.from_settings(ctx.settings),
            printed_on=business_date(ctx.clock.now()),
        )
