"""Payment gateways of the customer portal (网上缴费): the protocol every gateway meets, the registry
of the gateways this build knows, and the local test gateway (docs/payments.md). No database.

A portal payment goes: the customer asks to pay an amount → the gateway makes an **order** and
gives the address of its payment page → the customer pays there → the gateway sends a signed
**notification** → we verify it and post the payment with the gateway's transaction reference as
the channel reference, so a notification sent again posts nothing twice.

**Orders need no table.** An order is a token signed with the application's secret key
(itsdangerous, ``ORDER_SALT``) that carries the account, the amount, the gateway, a random order id
and an expiry. Nobody can change the amount or the account of an order without the key, and the
order id (the nonce) names the payment: one order is posted at most once.

`LocalTestGateway` is a stand-in for a real gateway, for tests and the demo: its payment page is
served by our own application, its "transaction reference" is derived from the order, and its
notifications are signed with HMAC-SHA256 under a key derived from the same secret. A bureau that
takes real money removes ``test`` from the ``gateways`` of its collection policy.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Protocol

from itsdangerous import BadData, URLSafeSerializer

ORDER_SALT = "m2c.portal.order"
ORDER_LIFETIME = timedelta(minutes=30)
PAID, CANCELLED = "paid", "cancelled"
TEST_GATEWAY = "test"


class GatewayRefused(ValueError):
    """An order or notification that fails verification (bad signature, tampered, expired,
    malformed): nothing is posted."""


@dataclass(frozen=True, slots=True)
class Order:
    """What the customer asked to pay, as the signed order token carries it."""

    order_id: str
    gateway: str
    account_no: str
    amount: Decimal
    expires_at: datetime

    def expired(self, *, now: datetime) -> bool:
        return now >= self.expires_at


@dataclass(frozen=True, slots=True)
class CreatedOrder:
    """A new order: its id, its signed token and the gateway page the customer is sent to."""

    order: Order
    token: str
    redirect_url: str


@dataclass(frozen=True, slots=True)
class Notification:
    """A verified notification: the order it settles, the amount paid, the gateway's own
    transaction reference and whether the money was taken (``paid``) or not (cancelled)."""

    order_id: str
    account_no: str
    amount: Decimal
    gateway_ref: str
    paid: bool


class PaymentGateway(Protocol):
    """What the portal needs of a payment gateway."""

    code: str

    def create_order(self, *, account_no: str, amount: Decimal, now: datetime) -> CreatedOrder:
        """Make an order for ``amount`` on ``account_no``; the customer is sent to its page."""
        ...

    def verify_notification(self, *, fields: Mapping[str, str]) -> Notification:
        """Check a notification's signature and contents; `GatewayRefused` when they do not hold."""
        ...


class OrderSigner:
    """Signs orders into URL-safe tokens and reads them back (refusing any change)."""

    def __init__(self, *, secret: str) -> None:
        self._serializer = URLSafeSerializer(secret, salt=ORDER_SALT)

    def make(self, *, gateway: str, account_no: str, amount: Decimal, now: datetime) -> tuple[Order, str]:
        expires = int((now + ORDER_LIFETIME).timestamp())  # whole seconds, as the token carries it
        order = Order(
            order_id=secrets.token_hex(8),
            gateway=gateway,
            account_no=account_no,
            amount=amount,
            expires_at=datetime.fromtimestamp(expires, tz=UTC),
        )
        payload = {
            "o": order.order_id,
            "g": gateway,
            "a": account_no,
            "m": str(amount),
            "x": expires,
        }
        return order, str(self._serializer.dumps(payload))

    def read(self, token: str) -> Order:
        """The order a token carries; its expiry is for the caller to judge."""
        try:
            payload = self._serializer.loads(token)
            return Order(
                order_id=str(payload["o"]),
                gateway=str(payload["g"]),
                account_no=str(payload["a"]),
                amount=Decimal(str(payload["m"])),
                expires_at=datetime.fromtimestamp(int(payload["x"]), tz=UTC),
            )
        except (BadData, KeyError, TypeError, ValueError, InvalidOperation, OverflowError, OSError):
            raise GatewayRefused("the order is not one of ours (bad signature or malformed)") from None


def signature(*, key: bytes, fields: Mapping[str, str]) -> str:
    """HMAC-SHA256 (hex) over the fields but ``sign``, sorted by name: ``k1=v1&k2=v2…``."""
    text = "&".join(f"{name}={fields[name]}" for name in sorted(fields) if name != "sign")
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


class LocalTestGateway:
    """A gateway that takes no real money: its payment page is ours (``/portal/gateway/test/…``),
    and pressing Pay makes a notification signed as a real gateway would sign it."""

    code = TEST_GATEWAY

    def __init__(self, *, secret: str, page_path: str = "/portal/gateway/test") -> None:
        self._orders = OrderSigner(secret=secret)
        self._key = hmac.new(secret.encode("utf-8"), b"m2c local test gateway", hashlib.sha256).digest()
        self._page_path = page_path.rstrip("/")

    def create_order(self, *, account_no: str, amount: Decimal, now: datetime) -> CreatedOrder:
        order, token = self._orders.make(gateway=self.code, account_no=account_no, amount=amount, now=now)
        return CreatedOrder(order=order, token=token, redirect_url=f"{self._page_path}/{token}")

    def read_order(self, *, token: str) -> Order:
        order = self._orders.read(token)
        if order.gateway != self.code:
            raise GatewayRefused("the order is for another gateway")
        return order

    def transaction_ref(self, *, order: Order) -> str:
        """The gateway's own reference of an order's payment: one per order, so paying the same
        order twice (a double click, a retry) is one transaction."""
        digest = hmac.new(self._key, order.order_id.encode("ascii"), hashlib.sha256).hexdigest()
        return f"TG{digest[:20].upper()}"

    def notify(self, *, token: str, paid: bool, now: datetime) -> dict[str, str]:
        """The gateway's side: the signed notification of an order paid or cancelled on its page.
        An expired order cannot be paid any more."""
        order = self.read_order(token=token)
        if paid and order.expired(now=now):
            raise GatewayRefused("the order has expired; start the payment again")
        fields = {
            "gateway": self.code,
            "order": token,
            "amount": str(order.amount),
            "trade_no": self.transaction_ref(order=order),
            "status": PAID if paid else CANCELLED,
        }
        return {**fields, "sign": signature(key=self._key, fields=fields)}

    def verify_notification(self, *, fields: Mapping[str, str]) -> Notification:
        expected_names = {"gateway", "order", "amount", "trade_no", "status", "sign"}
        if set(fields) != expected_names:
            raise GatewayRefused("the notification's fields are not the gateway's")
        if not hmac.compare_digest(signature(key=self._key, fields=fields), str(fields["sign"])):
            raise GatewayRefused("the notification's signature does not verify")
        order = self.read_order(token=fields["order"])
        if fields["gateway"] != self.code or fields["status"] not in (PAID, CANCELLED):
            raise GatewayRefused("the notification names another gateway or an unknown status")
        if fields["amount"] != str(order.amount):
            raise GatewayRefused("the notification's amount is not the order's")
        if fields["trade_no"] != self.transaction_ref(order=order):
            raise GatewayRefused("the notification's transaction reference is not the order's")
        return Notification(
            order_id=order.order_id,
            account_no=order.account_no,
            amount=order.amount,
            gateway_ref=fields["trade_no"],
            paid=fields["status"] == PAID,
        )


GATEWAYS: dict[str, Callable[[str], PaymentGateway]] = {
    TEST_GATEWAY: lambda secret: LocalTestGateway(secret=secret),
}


def make_gateway(*, code: str, secret: str) -> PaymentGateway:
    """The gateway of this build named ``code``, keyed with the application's secret."""
    factory = GATEWAYS.get(code)
    if factory is None:
        raise GatewayRefused(f"no payment gateway {code!r} in this build")
    return factory(secret)


def usable_gateways(*, allowed: Mapping[str, str]) -> dict[str, str]:
    """The gateways both built in and allowed by the collection policy: code → name."""
    return {code: name for code, name in allowed.items() if code in GATEWAYS}
