"""Collection (收费) over the API: third-party collection (代收) by an agent with a scoped token, and
what an account owes today. Both call the services ``m2c collect pay`` and ``m2c collect account``
call; the payment service checks the role again and writes the ledger and the audit record.

A retried payment never posts twice: the agent's reference (``agent_ref``) is the payment's channel
reference, unique per agent, and an ``Idempotency-Key`` header, when sent, is a second guard. The
first post answers 201, a replay 200 with the first payment and ``"replayed": true``; the same
reference or key with another account or amount is a conflict (409) and posts nothing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header
from fastapi.responses import Response

from meter2cash.collection import gl
from meter2cash.collection.account_views import account_view
from meter2cash.collection.payment_service import take_payment
from meter2cash.collection.payments import DuplicatePayment, PaymentRequest
from meter2cash.interfaces.web.api.archive import AccountNo
from meter2cash.interfaces.web.api.deps import Ctx
from meter2cash.interfaces.web.api.schemas_common import day_of, problem_response
from meter2cash.interfaces.web.api.schemas_payments import (
    IDEMPOTENCY_KEY_PATTERN,
    AccountBalanceOut,
    AgentPaymentIn,
    PaymentOut,
)
from meter2cash.interfaces.web.auth import Principal, requires
from meter2cash.interfaces.web.problems import problem
from meter2cash.platform.clock import business_date
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.money import exact
from meter2cash.platform.permissions import Action

router = APIRouter(tags=["collection"])
PaymentTaker = Annotated[Principal, Depends(requires(Action.PAYMENT_TAKE))]
LedgerReader = Annotated[Principal, Depends(requires(Action.LEDGER_READ))]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Optional: a key of the agent's own; a request sent again with it posts nothing twice.",
    ),
]


def agent_key(*, agent: str, key: str | None) -> str | None:
    """An agent's idempotency key, kept apart from every other agent's and channel's keys."""
    return None if key is None else f"agent-{agent}-{key}"


@router.post(
    "/payments",
    response_model=PaymentOut,
    status_code=201,
    summary="Take a third-party collection payment (代收)",
    responses={
        200: {"model": PaymentOut, "description": "A replay: the payment the same request posted before."},
        409: problem_response("The reference or key was used for another account or amount; nothing posted."),
    },
)
def take_agent_payment(
    who: PaymentTaker,
    ctx: Ctx,
    body: AgentPaymentIn,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Post money an agent (a bank branch, the post office, a payment app) collected for an
    account: late fees accrue to the payment day, the oldest debt is settled first, the rest is
    prepayment. 201 the first time; 200 with ``replayed`` for the same ``agent`` and ``agent_ref``
    (or ``Idempotency-Key``) again; 409 when that reference or key was used for another account or
    amount; 404 for an unknown account; 422, with the reason, for an amount of zero or less or not in
    whole fen, an agent not in the collection policy, a day in the future or in a closed collection
    month, a closed account."""
    request = PaymentRequest(
        account_no=body.account_no,
        amount=exact(body.amount),
        channel=gl.Channel.AGENT,
        method=gl.Method.TRANSFER,
        source=body.agent,
        paid_on=day_of(body.paid_on) or business_date(ctx.clock.now()),
        idempotency_key=agent_key(agent=body.agent, key=idempotency_key),
        channel_ref=body.agent_ref,
    )
    try:
        result = take_payment(ctx, actor=who.username, request=request)
    except DuplicatePayment as conflict:
        return problem(409, _("Conflict: nothing was posted."), detail=conflict.summary)
    if result.replayed:
        response.status_code = 200
    return result.as_json()


@router.get(
    "/accounts/{account_no}/balance",
    response_model=AccountBalanceOut,
    summary="What an account owes today (欠费查询)",
)
def account_balance(who: LedgerReader, ctx: Ctx, account_no: AccountNo) -> dict[str, Any]:
    """As ``m2c collect account --json``: what the account owes (principal, late fees, less
    prepayment), bill by bill with the late fee it would pay today, its statement (对账单) and its
    latest payments. Reading writes nothing."""
    return account_view(ctx, actor=who.username, account_no=account_no).as_json()
