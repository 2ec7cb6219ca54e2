"""The card vend screen (IC卡售电): find an account, see its card history and balance, sell (card
number and amount → the kWh shown → confirm), and print the vend slip. The sale calls the service
``m2c collect card-vend`` calls (`collection.card_vend_service.vend_card`) with the logged-in
cashier as the actor. The confirm form carries a new idempotency key, so a double click or a form
posted again returns the first vend and sells nothing twice. A refusal is shown on the page with
status 422 and nothing is written."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from meter2cash.collection.card_vend_service import quote_vend, vend_card
from meter2cash.collection.card_views import card_account, vend_slip
from meter2cash.interfaces.web.auth import Principal, app_context, requires
from meter2cash.interfaces.web.console.counter_view import counter_helpers
from meter2cash.interfaces.web.console.customer_queries import search_accounts
from meter2cash.interfaces.web.console.pages import page, refusal_lines, refusal_page
from meter2cash.platform.clock import business_date
from meter2cash.platform.errors import InputRefused, NotFound
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.money import BadAmount, NotExact, exact
from meter2cash.platform.permissions import Action

router = APIRouter()

AmountForm = Annotated[str, Form(max_length=30)]
CardForm = Annotated[str, Form(max_length=40)]
KeyForm = Annotated[str, Form(pattern=r"^[A-Za-z0-9-]{8,100}$")]


@router.get("/card-vend")
def card_vend_search(
    request: Request,
    who: Annotated[Principal, Depends(requires(Action.PREPAID_VEND))],
    q: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """The search; one account found (or its exact number typed) opens that account."""
    ctx = app_context(request)
    with ctx.sessions() as session:
        hits = search_accounts(session, term=q, today=business_date(ctx.clock.now()))
    chosen = [hit for hit in hits if hit.account_no == q.strip()] or (hits if len(hits) == 1 else [])
    if chosen:
        return RedirectResponse(account_path(chosen[0].account_no), status_code=303)
    return page(request, "console/card_vend.html", {"q": q, "hits": hits, "searched": bool(q.strip())})


@router.get("/card-vend/accounts/{account_no}")
def card_vend_account(
    request: Request, account_no: str, who: Annotated[Principal, Depends(requires(Action.PREPAID_VEND))]
) -> Response:
    """One account: card history, balance, the latest meter report, open exceptions, the sell form."""
    try:
        context = _panel(request, who=who, account_no=account_no)
    except NotFound as error:
        return refusal_page(request, error=error, back="/card-vend")
    return page(request, "console/card_vend.html", context)


@router.post("/card-vend/accounts/{account_no}/quote")
def card_vend_quote(
    request: Request,
    account_no: str,
    who: Annotated[Principal, Depends(requires(Action.PREPAID_VEND))],
    card_no: CardForm = "",
    amount: AmountForm = "",
) -> Response:
    """Step 2: what the amount buys; the confirm form with a new idempotency key. Nothing is written."""
    ctx = app_context(request)
    entered = {"card_no": card_no, "amount": amount}
    try:
        if not card_no.strip():
            raise InputRefused(_("Enter the card number."))
        found = quote_vend(ctx, actor=who.username, account_no=account_no, amount=_amount(amount))
    except (InputRefused, NotFound) as error:
        context = _panel(
            request, who=who, account_no=account_no, refusal=refusal_lines(error), entered=entered
        )
        return page(request, "console/card_vend.html", context, status=422)
    context = _panel(request, who=who, account_no=account_no, entered=entered)
    context["quote"] = found
    context["key"] = f"vend-{uuid.uuid4()}"
    return page(request, "console/card_vend.html", context)


@router.post("/card-vend/accounts/{account_no}/sell")
def card_vend_sell(
    request: Request,
    account_no: str,
    who: Annotated[Principal, Depends(requires(Action.PREPAID_VEND))],
    idempotency_key: KeyForm,
    card_no: CardForm = "",
    amount: AmountForm = "",
) -> Response:
    """Step 3: sell; a form posted again with the same key returns the first vend's slip."""
    ctx = app_context(request)
    try:
        result = vend_card(
            ctx,
            actor=who.username,
            account_no=account_no,
            card_no=card_no,
            amount=_amount(amount),
            idempotency_key=idempotency_key,
        )
    except (InputRefused, NotFound) as error:
        entered = {"card_no": card_no, "amount": amount}
        context = _panel(
            request, who=who, account_no=account_no, refusal=refusal_lines(error), entered=entered
        )
        return page(request, "console/card_vend.html", context, status=422)
    return RedirectResponse(f"/card-vend/slips/{result.vend_id}", status_code=303)


@router.get("/card-vend/slips/{vend_id}")
def card_vend_slip(
    request: Request, vend_id: int, who: Annotated[Principal, Depends(requires(Action.PREPAID_VEND))]
) -> Response:
    """The printable vend slip (售电凭条)."""
    ctx = app_context(request)
    try:
        slip = vend_slip(ctx, actor=who.username, vend_id=vend_id)
    except NotFound as error:
        return refusal_page(request, error=error, back="/card-vend")
    return page(
        request,
        "console/card_vend_slip.html",
        {"s": slip, "bureau": ctx.settings.bureau_name, **counter_helpers()},
    )


def account_path(account_no: str) -> str:
    return f"/card-vend/accounts/{quote(account_no, safe='')}"


def _panel(
    request: Request,
    *,
    who: Principal,
    account_no: str,
    refusal: list[str] | None = None,
    entered: dict[str, str] | None = None,
) -> dict[str, Any]:
    view = card_account(app_context(request), actor=who.username, account_no=account_no)
    return {
        "q": account_no,
        "hits": [],
        "searched": False,
        "view": view,
        "refusal": refusal,
        "form": entered or {"card_no": view.vends[0]["card_no"] if view.vends else "", "amount": ""},
        "quote": None,
        **counter_helpers(),
    }


def _amount(text: str) -> Decimal:
    if not text.strip():
        raise InputRefused(_("Enter the amount received."))
    try:
        return exact(text)
    except (BadAmount, NotExact):
        raise InputRefused(
            _("The amount must be a number of yuan, e.g. 120.50: {text}").format(text=text)
        ) from None
