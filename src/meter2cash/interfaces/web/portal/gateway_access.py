"""The portal's payment gateways: those both built in (``collection.gateways``) and allowed by the
collection policy, keyed with the application's secret key; and the delivery of a gateway's
notification to the payment service (the notification endpoint and the test gateway's Pay button
both go through `deliver`)."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request

from meter2cash.collection.gateways import OrderSigner, PaymentGateway, make_gateway, usable_gateways
from meter2cash.collection.payments import PaymentResult
from meter2cash.collection.policies import collection_policy
from meter2cash.collection.portal_payments import take_gateway_payment
from meter2cash.interfaces.web.app import session_secret
from meter2cash.interfaces.web.auth import app_context
from meter2cash.platform.errors import NotFound
from meter2cash.platform.i18n import gettext as _

_SECRET = "portal_gateway_secret"


def app_secret(request: Request) -> str:
    """The application's secret key (``M2C_SECRET_KEY`` or the data directory's), read once."""
    secret = getattr(request.app.state, _SECRET, None)
    if secret is None:
        secret = session_secret(app_context(request))
        setattr(request.app.state, _SECRET, secret)
    return str(secret)


def gateway_names(request: Request) -> dict[str, str]:
    """code → name of the gateways a customer may pay through."""
    return usable_gateways(allowed=collection_policy(app_context(request).settings).gateways)


def gateway(request: Request, code: str) -> PaymentGateway:
    """The gateway ``code``; "not found" unless built in and allowed by the policy."""
    if code not in gateway_names(request):
        raise NotFound(_("No payment gateway {code}.").format(code=code))
    return make_gateway(code=code, secret=app_secret(request))


def orders(request: Request) -> OrderSigner:
    return OrderSigner(secret=app_secret(request))


def deliver(request: Request, *, code: str, fields: Mapping[str, str]) -> PaymentResult | None:
    """Verify a notification of gateway ``code`` and post the payment it confirms (once, however
    often it comes); None when it says the order was not paid. `GatewayRefused` when it does not
    verify."""
    notice = gateway(request, code).verify_notification(fields=fields)
    if not notice.paid:
        return None
    return take_gateway_payment(app_context(request), gateway=code, notice=notice)
