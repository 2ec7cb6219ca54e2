"""The payment use case: `take_payment` for one payment on any channel (docs/payments.md)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from meter2cash.collection.payments import (
    PaymentRefused,
    PaymentRequest,
    PaymentResult,
    check_request,
    find_existing,
    lock_account,
    record_payment,
    replay_payment,
)
from meter2cash.collection.policies import collection_policy, late_fee_policy
from meter2cash.platform.clock import business_date
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action


def take_payment(ctx: AppContext, *, actor: str | None, request: PaymentRequest) -> PaymentResult:
    """Take one payment (收费) and allocate it; a retried request returns the first payment."""
    policy = collection_policy(ctx.settings)
    now = ctx.clock.now()
    today = business_date(now)
    check_request(request=request, policy=policy, today=today)
    try:
        with use_case(ctx, actor=actor, action=Action.PAYMENT_TAKE) as (session, who):
            return record_payment(
                session,
                request=request,
                policy=policy,
                late_fee_policy=late_fee_policy(ctx.settings),
                at=now,
                today=today,
                actor=who.username,
            )
    except IntegrityError:
        # Another request with the same key or reference committed between our check and insert.
        with use_case(ctx, actor=actor, action=Action.PAYMENT_TAKE) as (session, who):
            account = lock_account(session, account_no=request.account_no)
            existing = find_existing(session, request=request)
            if existing is None:
                raise PaymentRefused(_("The payment could not be posted; try again.")) from None
            return replay_payment(session, existing=existing, request=request, account=account)
