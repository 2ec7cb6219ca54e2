"""The counter (坐收柜台): find an account, see what it owes bill by bill with today's late fee,
take a cash or card payment, and print its receipt. The payment calls the service ``m2c collect
pay`` calls (`collection.payment_service.take_payment`) with the logged-in cashier as the actor.

Every rendering of the payment form carries a new idempotency key, so a double click, a browser
retry or a form posted again replays the first payment instead of taking the money twice. A
refusal (zero, not whole fen, a closed account or month …) is shown on the form and nothing is
written. The form updates the account panel in place (HTMX); without JavaScript a payment
redirects to the account (303) and a refusal is the page again with status 422."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from meter2cash.collection import gl
from meter2cash.collection.account_views import AccountView, account_view
from meter2cash.collection.payment_service import take_payment
from meter2cash.collection.payments import PaymentRequest, PaymentResult
from meter2cash.interfaces.web.auth import Principal, app_context, requires
from meter2cash.interfaces.web.console.counter_queries import payment_states
from meter2cash.interfaces.web.console.counter_view import counter_helpers
from meter2cash.interfaces.web.console.customer_queries import search_accounts
from meter2cash.interfaces.web.console.pages import flash, is_htmx, page, refusal_lines, take_flash
from meter2cash.interfaces.web.console.receipt_queries import PaymentReceipt, payment_receipt
from meter2cash.platform.clock import business_date
from meter2cash.platform.errors import InputRefused, NotFound
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.money import BadAmount, NotExact, exact
from meter2cash.platform.permissions import Action

router = APIRouter()

STATEMENT_SHOWN = 20
AmountForm = Annotated[str, Form(max_length=30)]
MethodForm = Annotated[str, Form(pattern="^(cash|pos)$")]
PayerForm = Annotated[str, Form(max_length=100)]
KeyForm = Annotated[str, Form(pattern=r"^[A-Za-z0-9-]{8,100}$")]


@router.get("/counter")
def counter(
    request: Request,
    who: Annotated[Principal, Depends(requires(Action.LEDGER_READ))],
    q: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """The search; one account found (or its exact number typed) opens that account."""
    ctx = app_context(request)
    with ctx.sessions() as session:
        hits = search_accounts(session, term=q, today=business_date(ctx.clock.now()))
    chosen = [hit for hit in hits if hit.account_no == q.strip()] or (hits if len(hits) == 1 else [])
    if chosen:
        return RedirectResponse(account_path(chosen[0].account_no), status_code=303)
    return page(
        request,
        "console/counter.html",
        {"q": q, "hits": hits, "searched": bool(q.strip()), "flash": take_flash(request), **may(who)},
    )


@router.get("/counter/accounts/{account_no}")
def counter_account(
    request: Request,
    account_no: str,
    who: Annotated[Principal, Depends(requires(Action.LEDGER_READ))],
    paid: Annotated[int | None, Query()] = None,
) -> Response:
    """One account at the counter: what it owes today, the payment form, its payments and statement;
    with ``paid``, what that payment settled and its receipt."""
    context = panel(request, who=who, account_no=account_no, paid=paid, message=take_flash(request))
    return page(request, "console/counter.html", {"q": account_no, "hits": [], "searched": False, **context})


@router.post("/counter/accounts/{account_no}/pay")
def pay(
    request: Request,
    account_no: str,
    who: Annotated[Principal, Depends(requires(Action.PAYMENT_TAKE))],
    idempotency_key: KeyForm,
    amount: AmountForm = "",
    method: MethodForm = "cash",
    payer: PayerForm = "",
) -> Response:
    """坐收: take the payment; a form posted again with the same key replays the first payment."""
    ctx = app_context(request)
    entered = {"amount": amount, "method": method, "payer": payer}
    try:
        result = take_payment(
            ctx,
            actor=who.username,
            request=PaymentRequest(
                account_no=account_no,
                amount=_amount(amount),
                channel=gl.Channel.COUNTER,
                method=gl.Method(method),
                source="counter",
                paid_on=business_date(ctx.clock.now()),
                idempotency_key=idempotency_key,
                payer=payer.strip() or None,
            ),
        )
    except InputRefused as error:
        context = panel(
            request, who=who, account_no=account_no, refusal=refusal_lines(error), entered=entered
        )
        if is_htmx(request):
            return page(request, "console/counter_account.html", context)
        return page(
            request,
            "console/counter.html",
            {"q": account_no, "hits": [], "searched": False, **context},
            status=422,
        )
    message = _paid_message(result)
    target = f"{account_path(result.account_no)}?paid={result.payment_id}"
    if not is_htmx(request):
        flash(request, message)
        return RedirectResponse(target, status_code=303)
    context = panel(request, who=who, account_no=result.account_no, paid=result.payment_id, message=message)
    response = page(request, "console/counter_account.html", context)
    response.headers["HX-Push-Url"] = target
    return response


def panel(
    request: Request,
    *,
    who: Principal,
    account_no: str,
    paid: int | None = None,
    message: str | None = None,
    refusal: list[str] | None = None,
    entered: dict[str, str] | None = None,
) -> dict[str, Any]:
    """What the account panel (``counter_account.html``) shows."""
    ctx = app_context(request)
    view = account_view(ctx, actor=who.username, account_no=account_no, statement_lines=STATEMENT_SHOWN)
    with ctx.sessions() as session:
        states = payment_states(session, payment_ids=[int(str(p["payment_id"])) for p in view.payments])
        result = _result(session, paid=paid, account_no=view.account_no)
    return {
        "view": view,
        "states": states,
        "today": business_date(ctx.clock.now()),
        "result": result,
        "message": message,
        "refusal": refusal,
        "form": _form(view, entered),
        **may(who),
        **counter_helpers(),
    }


def may(who: Principal) -> dict[str, bool]:
    return {
        "may_pay": who.may(Action.PAYMENT_TAKE),
        "may_reverse": who.may(Action.PAYMENT_REVERSE_REQUEST),
        "may_approve": who.may(Action.PAYMENT_REVERSE_APPROVE),
    }


def account_path(account_no: str) -> str:
    return f"/counter/accounts/{quote(account_no, safe='')}"


def _form(view: AccountView, entered: dict[str, str] | None) -> dict[str, str]:
    """The payment form: what was entered (after a refusal) or the amount owed, and a new key."""
    owed = view.balance.owed
    values = entered or {"amount": str(owed) if owed > 0 else "", "method": "cash", "payer": ""}
    return {**values, "key": f"counter-{uuid.uuid4()}"}


def _result(session: Session, *, paid: int | None, account_no: str) -> PaymentReceipt | None:
    """The payment just taken, if it is this account's."""
    if paid is None:
        return None
    try:
        found = payment_receipt(session, payment_id=paid)
    except NotFound:
        return None
    return found if found.account_no == account_no else None


def _amount(text: str) -> Decimal:
    if not text.strip():
        raise InputRefused(_("Enter the amount received."))
    try:
        return exact(text)
    except (BadAmount, NotExact):
        raise InputRefused(
            _("The amount must be a number of yuan, e.g. 120.50: {text}").format(text=text)
        ) from None


def _paid_message(result: PaymentResult) -> str:
    receipt = result.receipt_no or "—"
    if result.replayed:
        return _(
            "This payment was already taken as payment {id} (receipt {receipt}); nothing was taken twice."
        ).format(id=result.payment_id, receipt=receipt)
    return _("Payment {id} taken: {amount} yuan, receipt {receipt}.").format(
        id=result.payment_id, amount=result.amount, receipt=receipt
    )
