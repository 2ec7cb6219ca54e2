"""The payment gateway's signatures: an order token and a notification survive the round trip, and
any change — to the amount, the account, the status, the signature or the key — is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from meter2cash.collection.gateways import (
    ORDER_LIFETIME,
    GatewayRefused,
    LocalTestGateway,
    OrderSigner,
    make_gateway,
    signature,
    usable_gateways,
)

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
SECRET = "a-test-secret-key"


@pytest.fixture
def gateway() -> LocalTestGateway:
    return LocalTestGateway(secret=SECRET)


def test_an_order_round_trips_through_its_signed_token(gateway: LocalTestGateway) -> None:
    created = gateway.create_order(account_no="A0001", amount=Decimal("203.80"), now=NOW)
    assert created.redirect_url == f"/portal/gateway/test/{created.token}"
    order = gateway.read_order(token=created.token)
    assert order == created.order
    assert (order.account_no, order.amount, order.gateway) == ("A0001", Decimal("203.80"), "test")
    assert order.expires_at == NOW + ORDER_LIFETIME
    assert not order.expired(now=NOW) and order.expired(now=NOW + ORDER_LIFETIME)


def test_an_order_made_at_any_instant_reads_back_equal(gateway: LocalTestGateway) -> None:
    created = gateway.create_order(
        account_no="A0001", amount=Decimal("1.00"), now=NOW.replace(microsecond=654321)
    )
    assert gateway.read_order(token=created.token) == created.order


def test_two_orders_for_the_same_amount_have_different_ids(gateway: LocalTestGateway) -> None:
    first = gateway.create_order(account_no="A0001", amount=Decimal("10.00"), now=NOW)
    second = gateway.create_order(account_no="A0001", amount=Decimal("10.00"), now=NOW)
    assert first.order.order_id != second.order.order_id and first.token != second.token


def test_an_order_token_changed_or_signed_with_another_key_is_refused(gateway: LocalTestGateway) -> None:
    token = gateway.create_order(account_no="A0001", amount=Decimal("10.00"), now=NOW).token
    payload, _dot, sign = token.rpartition(".")
    flipped = ("B" if sign[0] == "A" else "A") + sign[1:]  # the first character: no padding bits
    for bad in (payload + "x." + sign, payload + "." + flipped, "not-a-token", ""):
        with pytest.raises(GatewayRefused):
            gateway.read_order(token=bad)
    other = LocalTestGateway(secret="another-secret")
    with pytest.raises(GatewayRefused):
        other.read_order(token=token)


def test_a_paid_notification_verifies_and_names_the_order_amount_and_reference(
    gateway: LocalTestGateway,
) -> None:
    created = gateway.create_order(account_no="A0001", amount=Decimal("55.50"), now=NOW)
    fields = gateway.notify(token=created.token, paid=True, now=NOW)
    notice = gateway.verify_notification(fields=fields)
    assert notice.paid and notice.order_id == created.order.order_id
    assert (notice.account_no, notice.amount) == ("A0001", Decimal("55.50"))
    assert notice.gateway_ref == fields["trade_no"] and notice.gateway_ref.startswith("TG")
    assert len(notice.gateway_ref) <= 64


def test_the_same_order_paid_twice_has_one_transaction_reference(gateway: LocalTestGateway) -> None:
    token = gateway.create_order(account_no="A0001", amount=Decimal("55.50"), now=NOW).token
    first = gateway.notify(token=token, paid=True, now=NOW)
    again = gateway.notify(token=token, paid=True, now=NOW + timedelta(minutes=1))
    assert first == again


def test_a_cancelled_notification_verifies_as_not_paid(gateway: LocalTestGateway) -> None:
    token = gateway.create_order(account_no="A0001", amount=Decimal("55.50"), now=NOW).token
    notice = gateway.verify_notification(fields=gateway.notify(token=token, paid=False, now=NOW))
    assert not notice.paid


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", "0.01"),
        ("amount", "55.5"),
        ("status", "cancelled"),
        ("trade_no", "TG0000"),
        ("gateway", "alipay"),
        ("sign", "0" * 64),
    ],
)
def test_a_tampered_notification_is_refused(gateway: LocalTestGateway, field: str, value: str) -> None:
    token = gateway.create_order(account_no="A0001", amount=Decimal("55.50"), now=NOW).token
    fields = gateway.notify(token=token, paid=True, now=NOW) | {field: value}
    with pytest.raises(GatewayRefused):
        gateway.verify_notification(fields=fields)


def test_a_notification_for_another_order_or_with_fields_added_or_missing_is_refused(
    gateway: LocalTestGateway,
) -> None:
    mine = gateway.create_order(account_no="A0001", amount=Decimal("55.50"), now=NOW).token
    other = gateway.create_order(account_no="A0002", amount=Decimal("55.50"), now=NOW).token
    fields = gateway.notify(token=mine, paid=True, now=NOW)
    with pytest.raises(GatewayRefused):
        gateway.verify_notification(fields=fields | {"order": other})
    with pytest.raises(GatewayRefused):
        gateway.verify_notification(fields=fields | {"extra": "1"})
    with pytest.raises(GatewayRefused):
        gateway.verify_notification(fields={k: v for k, v in fields.items() if k != "sign"})


def test_a_notification_re_signed_with_another_key_is_refused(gateway: LocalTestGateway) -> None:
    token = gateway.create_order(account_no="A0001", amount=Decimal("55.50"), now=NOW).token
    fields = gateway.notify(token=token, paid=True, now=NOW) | {"amount": "0.01"}
    forged = fields | {"sign": signature(key=b"guessed", fields=fields)}
    with pytest.raises(GatewayRefused):
        gateway.verify_notification(fields=forged)


def test_an_expired_order_cannot_be_paid_but_its_notification_still_verifies(
    gateway: LocalTestGateway,
) -> None:
    token = gateway.create_order(account_no="A0001", amount=Decimal("9.99"), now=NOW).token
    fields = gateway.notify(token=token, paid=True, now=NOW + ORDER_LIFETIME - timedelta(seconds=1))
    with pytest.raises(GatewayRefused, match="expired"):
        gateway.notify(token=token, paid=True, now=NOW + ORDER_LIFETIME)
    assert gateway.verify_notification(fields=fields).paid  # the gateway took the money in time


def test_an_order_of_another_gateway_is_not_the_test_gateways(gateway: LocalTestGateway) -> None:
    _order, token = OrderSigner(secret=SECRET).make(
        gateway="alipay", account_no="A0001", amount=Decimal("1.00"), now=NOW
    )
    with pytest.raises(GatewayRefused):
        gateway.read_order(token=token)


def test_the_registry_knows_the_test_gateway_and_the_policy_decides_which_may_be_used() -> None:
    assert isinstance(make_gateway(code="test", secret=SECRET), LocalTestGateway)
    with pytest.raises(GatewayRefused):
        make_gateway(code="nowhere", secret=SECRET)
    assert usable_gateways(allowed={"test": "本地测试网关", "unionpay": "银联"}) == {"test": "本地测试网关"}
    assert usable_gateways(allowed={}) == {}
