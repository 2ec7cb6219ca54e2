"""Balance and online payment in the portal, on SQLite and PostgreSQL: the customer sees what they
owe today with the late fee, pays through the local test gateway and comes back owing nothing; the
payment is posted from the gateway's signed notification once, however often it comes; a tampered
notification is refused; and no customer reaches another customer's account or order."""

from __future__ import annotations

import dataclasses
import re
import threading
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from portal_setup import audit_actions, customer_client, enrolled
from sqlalchemy import select

from archive_factory import small_archive
from ledger_bureau import issue
from meter2cash.collection.gateways import ORDER_LIFETIME, LocalTestGateway
from meter2cash.collection.ledger import trial_balance
from meter2cash.collection.ledger_model import Payment
from meter2cash.collection.portal_payments import take_gateway_payment
from meter2cash.interfaces.web.app import session_secret
from meter2cash.platform.clock import FixedClock
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from web_client import web_client

OVERDUE_BILL = "T2026-01-A0001"  # 200.00 due 2026-02-10: 19 days late on 2026-03-01, 3.80 late fee
NOTIFY = "/portal/gateway/test/notify"


@pytest.fixture
def bureau(ctx: AppContext) -> AppContext:
    small_archive(ctx, accounts=3)
    issue(ctx, account_no="A0001", period="2026-01", amount="200.00", due_on=date(2026, 2, 10))
    issue(ctx, account_no="A0002", period="2026-02", amount="80.00", due_on=date(2026, 3, 20))
    return ctx


@pytest.fixture
def alice(bureau: AppContext) -> TestClient:
    """The customer of A0001, logged in to the portal."""
    return customer_client(bureau, "A0001", enrolled(bureau, "A0001"))


def payments(ctx: AppContext) -> list[Payment]:
    with unit_of_work(ctx.sessions) as session:
        found = list(session.scalars(select(Payment).order_by(Payment.id)))
        session.expunge_all()
        return found


def start_order(client: TestClient, amount: str) -> str:
    """Ask to pay ``amount``; the test gateway page's path the portal sends the customer to."""
    answer = client.post(
        "/portal/pay", data={"amount": amount, "gateway_code": "test"}, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith("/portal/gateway/test/")
    return location


def press(client: TestClient, page: str, decision: str) -> str:
    """Press Pay (``paid``) or Cancel (``cancelled``) on the test gateway's page; where it goes."""
    answer = client.post(page, data={"decision": decision}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def notification(ctx: AppContext, page: str) -> dict[str, str]:
    """The notification the test gateway's server sends for the order of ``page``."""
    token = page.rsplit("/", 1)[1]
    return LocalTestGateway(secret=session_secret(ctx)).notify(token=token, paid=True, now=ctx.clock.now())


def test_the_balance_page_shows_what_is_owed_bill_by_bill_with_todays_late_fee(
    bureau: AppContext, alice: TestClient
) -> None:
    page = alice.get("/portal/balance")
    assert page.status_code == 200
    row = re.search(rf"<tr>\s*<td>{OVERDUE_BILL}</td>.*?</tr>", page.text, re.S)
    assert row is not None
    assert "已逾期" in row.group(0) and "200.00" in row.group(0) and "3.80" in row.group(0)
    assert "203.80" in row.group(0)
    assert re.search(r'class="kpi owed">203\.80 元', page.text)
    assert "T2026-02-A0002" not in page.text  # another customer's bill
    assert 'href="/portal/pay"' in page.text
    with unit_of_work(bureau.sessions) as session:
        assert trial_balance(session) == {}  # showing today's late fee wrote nothing


def test_the_home_page_shows_what_is_owed_and_links_to_the_balance_and_to_pay(alice: TestClient) -> None:
    page = alice.get("/portal/").text
    assert re.search(r'class="kpi owed">203\.80 元', page)
    assert 'href="/portal/balance"' in page and 'href="/portal/pay"' in page


def test_a_customer_pays_through_the_test_gateway_and_comes_back_owing_nothing(
    bureau: AppContext, alice: TestClient
) -> None:
    form = alice.get("/portal/pay").text
    assert 'name="amount" value="203.80"' in form  # what is owed, by default
    gateway_page = start_order(alice, "203.80")
    shown = alice.get(gateway_page)
    assert shown.status_code == 200
    assert "¥203.80" in shown.text and "A0001" in shown.text and "付款" in shown.text and "取消" in shown.text
    back = press(alice, gateway_page, "paid")
    assert back.startswith("/portal/pay/return?") and parse_qs(urlsplit(back).query)["status"] == ["paid"]
    result = alice.get(back)
    assert result.status_code == 200
    assert "已缴费 203.80 元" in result.text
    assert re.search(r'class="kpi owed">0\.00 元', result.text)
    [payment] = payments(bureau)
    assert (payment.channel, payment.method, payment.source) == ("portal", "online", "test")
    assert payment.actor == "gateway:test" and payment.channel_ref and payment.channel_ref.startswith("TG")
    assert "payment.take" in audit_actions(bureau, object_id=str(payment.id))
    balance = alice.get("/portal/balance").text
    assert re.search(r'class="kpi owed">0\.00 元', balance)
    assert re.search(r'<table class="payments">.*203\.80.*网上缴费.*</table>', balance, re.S)
    with unit_of_work(bureau.sessions) as session:
        balances = trial_balance(session)
    assert str(balances["gateway_clearing:test"]) == "203.80" and sum(balances.values()) == 0


def test_a_replayed_notification_or_a_second_press_of_pay_posts_once(
    bureau: AppContext, alice: TestClient
) -> None:
    gateway_page = start_order(alice, "203.80")
    fields = notification(bureau, gateway_page)
    server = web_client(bureau)  # the gateway's server: no session, no CSRF token
    for _attempt in range(3):
        answer = server.post(NOTIFY, data=fields)
        assert answer.status_code == 200 and answer.text == "success"
    press(alice, gateway_page, "paid")  # the customer presses Pay afterwards, and again
    press(alice, gateway_page, "paid")
    assert len(payments(bureau)) == 1


def test_a_tampered_notification_is_refused_and_posts_nothing(bureau: AppContext, alice: TestClient) -> None:
    fields = notification(bureau, start_order(alice, "203.80"))
    server = web_client(bureau)
    for tampered in (
        fields | {"amount": "0.01"},
        fields | {"sign": "0" * 64},
        fields | {"order": notification(bureau, start_order(alice, "1.00"))["order"]},
        {name: value for name, value in fields.items() if name != "sign"},
    ):
        answer = server.post(NOTIFY, data=tampered)
        assert answer.status_code == 400 and answer.text.startswith("fail")
    assert server.post("/portal/gateway/nowhere/notify", data=fields).status_code == 404
    assert payments(bureau) == []


def test_a_cancelled_payment_posts_nothing_and_says_so(bureau: AppContext, alice: TestClient) -> None:
    back = press(alice, start_order(alice, "203.80"), "cancelled")
    page = alice.get(back).text
    assert "已取消" in page and re.search(r'class="kpi owed">203\.80 元', page)
    assert payments(bureau) == []


def test_paying_more_than_is_owed_keeps_the_rest_as_prepayment(bureau: AppContext, alice: TestClient) -> None:
    result = alice.get(press(alice, start_order(alice, "300.00"), "paid")).text
    assert re.search(r'class="kpi owed">-96\.20 元', result) and "96.20" in result
    [payment] = payments(bureau)
    assert str(payment.amount) == "300.00"


@pytest.mark.parametrize(
    ("amount", "reason"),
    [("0", "0"), ("-5", "-5"), ("1.005", "1.005"), ("abc", "abc"), ("", ""), ("100000000", "99999999.99")],
)
def test_an_amount_that_cannot_be_paid_is_refused_on_the_form(
    bureau: AppContext, alice: TestClient, amount: str, reason: str
) -> None:
    answer = alice.post(
        "/portal/pay", data={"amount": amount, "gateway_code": "test"}, follow_redirects=False
    )
    assert answer.status_code == 422
    assert 'class="refusal"' in answer.text and reason in answer.text
    assert payments(bureau) == []


def test_another_customers_order_and_account_are_not_reachable(bureau: AppContext, alice: TestClient) -> None:
    back = press(alice, start_order(alice, "203.80"), "cancelled")
    bob = customer_client(bureau, "A0002", enrolled(bureau, "A0002"))
    assert bob.get(back).status_code == 404  # alice's order, seen from bob's session
    assert "A0001" not in bob.get("/portal/balance").text
    # the pay form has no account field: an account number slipped in is ignored
    page = start_order_with(bob, {"amount": "80.00", "gateway_code": "test", "account_no": "A0001"})
    assert "A0002" in bob.get(page).text and "A0001" not in bob.get(page).text
    press(bob, page, "paid")
    [payment] = payments(bureau)
    with unit_of_work(bureau.sessions) as session:
        assert trial_balance(session)["gateway_clearing:test"] == payment.amount
    assert bob.get("/portal/pay/return", params={"order": "forged-token"}).status_code == 404


def start_order_with(client: TestClient, data: dict[str, str]) -> str:
    answer = client.post("/portal/pay", data=data, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def test_the_balance_and_pay_pages_need_a_customer_session_and_forms_need_the_csrf_token(
    bureau: AppContext, alice: TestClient
) -> None:
    anonymous = web_client(bureau)
    for path in ("/portal/balance", "/portal/pay", "/portal/pay/return?order=x"):
        answer = anonymous.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/portal/login"
    gateway_page = start_order(alice, "10.00")
    del alice.headers["X-CSRF-Token"]
    assert alice.post("/portal/pay", data={"amount": "10.00"}).status_code == 403
    assert alice.post(gateway_page, data={"decision": "paid"}).status_code == 403
    assert payments(bureau) == []


def test_an_expired_order_cannot_be_paid_on_the_test_gateway(bureau: AppContext, alice: TestClient) -> None:
    gateway_page = start_order(alice, "10.00")
    assert isinstance(bureau.clock, FixedClock)
    bureau.clock.advance(ORDER_LIFETIME + timedelta(seconds=1))
    assert "已过期" in alice.get(gateway_page).text
    answer = alice.post(gateway_page, data={"decision": "paid"}, follow_redirects=False)
    assert answer.status_code == 422 and "已过期" in answer.text
    assert payments(bureau) == []


def test_without_the_test_gateway_in_the_policy_there_is_no_online_payment(
    bureau: AppContext, tmp_path: Path
) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "within_bill: late_fee_first\nagents: {wechat: 微信支付}\ngateways: {}\n", encoding="utf-8"
    )
    settings = bureau.settings.model_copy(update={"collection_policy": policy})
    strict = dataclasses.replace(bureau, settings=settings)
    client = customer_client(strict, "A0001", enrolled(strict, "A0001"))
    assert "请到供电营业厅缴费" in client.get("/portal/pay").text
    assert 'href="/portal/pay"' not in client.get("/portal/balance").text
    answer = client.post(
        "/portal/pay", data={"amount": "10.00", "gateway_code": "test"}, follow_redirects=False
    )
    assert answer.status_code == 422
    token = (
        LocalTestGateway(secret=session_secret(strict))
        .create_order(account_no="A0001", amount=Decimal("10.00"), now=strict.clock.now())
        .token
    )
    assert client.get(f"/portal/gateway/test/{token}").status_code == 404
    assert payments(strict) == []


def test_the_same_notification_delivered_four_times_at_once_posts_once(
    bureau: AppContext, alice: TestClient
) -> None:
    gateway = LocalTestGateway(secret=session_secret(bureau))
    notice = gateway.verify_notification(fields=notification(bureau, start_order(alice, "203.80")))
    results: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def deliver() -> None:
        try:
            start.wait()
            results.append(take_gateway_payment(bureau, gateway="test", notice=notice).payment_id)
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=deliver) for _n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(results)) == 1 and len(results) == 4
    assert len(payments(bureau)) == 1
