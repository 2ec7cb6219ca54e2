"""The counter (坐收柜台) with the test client, on SQLite and PostgreSQL: a cashier finds an account,
sees each bill with today's late fee, takes the payment and prints its receipt (with the amount in
大写); a form posted twice takes the money once; a refusal is shown on the form with nothing
written; a meter reader may look but not take money; a reversal is asked for by a cashier and
decided by another person; a hostile customer name is shown as text."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from console_setup import ESCAPED, XSS, audit_count, text_of
from counter_setup import counter_bureau
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from meter2cash.collection import gl
from meter2cash.collection.ledger import trial_balance
from meter2cash.collection.ledger_model import LedgerEntry, Payment, PaymentReversal
from meter2cash.collection.payment_service import take_payment
from meter2cash.collection.payments import PaymentRequest
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from web_client import staff_client, web_client

HTMX = {"HX-Request": "true"}
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def form_key(html: str) -> str:
    found = KEY.search(html)
    assert found is not None, "no payment form on the page"
    return found.group(1)


def pay(client: TestClient, account_no: str, amount: str, *, key: str, **extra: str) -> Response:
    data = {"amount": amount, "method": "cash", "idempotency_key": key, **extra}
    return client.post(f"/counter/accounts/{account_no}/pay", data=data, follow_redirects=False)


def payments(ctx: AppContext) -> int:
    with unit_of_work(ctx.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(Payment)) or 0)


def ledger_lines(ctx: AppContext) -> int:
    with unit_of_work(ctx.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(LedgerEntry)) or 0)


def cash_in_till(ctx: AppContext) -> Decimal:
    with unit_of_work(ctx.sessions) as session:
        balances = trial_balance(session)
    assert sum(balances.values(), Decimal(0)) == 0
    return balances.get(gl.CASH, Decimal("0.00"))


def test_a_cashier_finds_an_account_by_number_or_name_and_sees_each_bill_with_todays_late_fee(
    ctx: AppContext,
) -> None:
    counter_bureau(ctx)
    client = staff_client(ctx, "cashier")
    assert "收费柜台" in client.get("/").text  # in the menu
    several = client.get("/counter", params={"q": "A000"})
    assert several.status_code == 200 and "找到 3 个户号" in text_of(several.text)
    by_number = client.get("/counter", params={"q": "A0001"}, follow_redirects=False)
    assert (by_number.status_code, by_number.headers["location"]) == (303, "/counter/accounts/A0001")
    by_name = client.get("/counter", params={"q": "客户2"}, follow_redirects=False)
    assert by_name.headers["location"] == "/counter/accounts/A0002"
    assert "没有与 nobody 相符的户号" in text_of(client.get("/counter", params={"q": "nobody"}).text)
    account = client.get("/counter/accounts/A0001")
    shown = text_of(account.text)
    assert account.status_code == 200
    assert "T2026-01-A0001 2026-01 2026-02-10 已逾期 ¥200.00 ¥3.80 ¥203.80" in shown
    assert "应缴金额 ¥203.80" in shown
    assert 'name="amount" value="203.80"' in account.text  # the amount owed, by default
    assert ledger_lines(ctx) == 0  # looking wrote nothing: the late fee is a preview
    assert client.get("/counter/accounts/A9999").status_code == 404


def test_a_counter_payment_settles_the_bill_and_its_late_fee_and_prints_a_numbered_receipt(
    ctx: AppContext,
) -> None:
    counter_bureau(ctx)
    client = staff_client(ctx, "cashier")
    key = form_key(client.get("/counter/accounts/A0001").text)
    answer = pay(client, "A0001", "203.80", key=key, payer="张三")
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert re.fullmatch(r"/counter/accounts/A0001\?paid=\d+", location)
    after = text_of(client.get(location).text)
    assert "收据号 SJ2026-0000001" in after
    assert "T2026-01-A0001 2026-01 违约金 ¥3.80 T2026-01-A0001 2026-01 电费 ¥200.00" in after
    assert "应缴金额 ¥0.00" in after and "无欠费" in after
    assert "缴费 坐收 counter -¥203.80 ¥0.00" in after  # the statement's new line and balance
    payment_id = int(location.rsplit("=", 1)[1])
    receipt = client.get(f"/receipts/{payment_id}")
    printed = text_of(receipt.text)
    assert receipt.status_code == 200
    assert "示例供电公司" in printed and "电费收据" in printed
    assert "收据号 SJ2026-0000001" in printed and "户号 A0001" in printed and "客户 客户1" in printed
    assert "小写金额 ¥203.80" in printed and "大写金额 人民币 贰佰零叁元捌角整" in printed
    assert "交款人 张三" in printed and "坐收 · 现金" in printed and "收费员 cashier" in printed
    assert "@media print" in client.get("/static/app.css").text
    assert "<script>" not in receipt.text.split("<body", 1)[1]  # no inline script on the receipt
    assert payments(ctx) == 1 and cash_in_till(ctx) == Decimal("203.80")


def test_a_form_posted_twice_takes_the_money_once(ctx: AppContext) -> None:
    counter_bureau(ctx)
    client = staff_client(ctx, "cashier")
    key = form_key(client.get("/counter/accounts/A0001").text)
    first = pay(client, "A0001", "100.00", key=key)
    again = pay(client, "A0001", "100.00", key=key)  # a double click, or the browser retrying
    assert first.headers["location"] == again.headers["location"]
    replayed = text_of(client.get(again.headers["location"]).text)
    assert "没有重复收费" in replayed
    assert payments(ctx) == 1 and cash_in_till(ctx) == Decimal("100.00")
    htmx = client.post(
        "/counter/accounts/A0001/pay",
        data={"amount": "100.00", "method": "cash", "idempotency_key": key},
        headers=HTMX,
    )
    assert htmx.status_code == 200 and htmx.text.lstrip().startswith('<section id="counter-account"')
    assert htmx.headers["HX-Push-Url"] == first.headers["location"]
    assert "没有重复收费" in htmx.text and payments(ctx) == 1
    fresh = form_key(htmx.text)
    assert fresh != key  # the next payment gets a key of its own
    second = client.post(
        "/counter/accounts/A0001/pay",
        data={"amount": "103.80", "method": "pos", "idempotency_key": fresh},
        headers=HTMX,
    )
    assert "SJ2026-0000002" in second.text and "应缴金额 ¥0.00" in text_of(second.text)
    assert payments(ctx) == 2 and cash_in_till(ctx) == Decimal("100.00")  # the card payment is not cash


def test_a_refused_payment_is_shown_on_the_form_and_nothing_is_written(ctx: AppContext) -> None:
    counter_bureau(ctx)
    client = staff_client(ctx, "cashier")
    key = form_key(client.get("/counter/accounts/A0001").text)
    records = audit_count(ctx)
    inline = client.post(
        "/counter/accounts/A0001/pay", data={"amount": "0", "idempotency_key": key}, headers=HTMX
    )
    assert inline.status_code == 200 and 'class="refusal"' in inline.text  # in place, for HTMX to swap
    assert "金额必须大于零，收到的是 0" in inline.text
    client.get("/counter/accounts/A0001?lang=en")  # each reason, in the message ids' words
    for amount, reason in (("0", "more than zero"), ("12.345", "whole fen"), ("abc", "120.50"), ("", "")):
        answer = pay(client, "A0001", amount, key=key)
        assert answer.status_code == 422, amount
        body = answer.text
        assert 'class="refusal"' in body and reason in body and 'class="pay-form"' in body, amount
        assert f'name="amount" value="{amount}"' in body  # what was entered, to correct
    assert pay(client, "A0001", "10.00", key="bad key!").status_code == 422
    assert pay(client, "A0001", "10.00", key=key, method="cheque").status_code == 422
    assert payments(ctx) == 0 and ledger_lines(ctx) == 0 and audit_count(ctx) == records


def test_a_meter_reader_may_look_at_the_counter_but_not_take_money(ctx: AppContext) -> None:
    counter_bureau(ctx)
    reader = staff_client(ctx, "meter_reader")
    assert "收费柜台" not in text_of(reader.get("/").text.split("<main>")[0])  # not in their menu
    account = reader.get("/counter/accounts/A0001")
    assert account.status_code == 200 and 'class="pay-form"' not in account.text
    refused = pay(reader, "A0001", "10.00", key="counter-0000-reader")
    assert refused.status_code == 403
    anonymous = web_client(ctx)
    for path in ("/counter", "/counter/accounts/A0001", "/counter/reversals", "/receipts/1"):
        answer = anonymous.get(path, follow_redirects=False)
        assert (answer.status_code, answer.headers.get("location")) == (303, "/login"), path
    cashier = staff_client(ctx, "cashier")
    del cashier.headers["X-CSRF-Token"]
    assert pay(cashier, "A0001", "10.00", key="counter-0000-nocsrf").status_code == 403
    assert payments(ctx) == 0


def test_a_form_carrying_its_csrf_token_posts_without_the_htmx_header(ctx: AppContext) -> None:
    counter_bureau(ctx)
    client = staff_client(ctx, "cashier")
    page = client.get("/counter/accounts/A0001").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    del client.headers["X-CSRF-Token"]
    answer = pay(client, "A0001", "50.00", key=form_key(page), csrf_token=token.group(1))
    assert answer.status_code == 303 and payments(ctx) == 1


def test_a_cashier_asks_for_a_reversal_and_only_another_supervisor_approves_it(ctx: AppContext) -> None:
    counter_bureau(ctx)
    cashier, manager, admin = (staff_client(ctx, user) for user in ("cashier", "manager", "admin"))
    answer = pay(cashier, "A0001", "203.80", key=form_key(cashier.get("/counter/accounts/A0001").text))
    payment_id = int(answer.headers["location"].rsplit("=", 1)[1])
    assert pay(cashier, "A0001", "1.00", key="x" * 20).status_code == 303
    no_reason = cashier.post(f"/counter/payments/{payment_id}/reversal", data={"reason": " "})
    assert no_reason.status_code == 422 and "请填写原因" in no_reason.text
    asked = cashier.post(
        f"/counter/payments/{payment_id}/reversal", data={"reason": "收错户号"}, follow_redirects=False
    )
    assert (asked.status_code, asked.headers["location"]) == (303, "/counter/accounts/A0001")
    assert "等待主管审批" in text_of(cashier.get("/counter/accounts/A0001").text)
    waiting = cashier.get("/counter/reversals")
    assert waiting.status_code == 200 and "收错户号" in waiting.text and "/approve" not in waiting.text
    assert cashier.post("/counter/reversals/1/approve", data={"reason": "ok"}).status_code == 403
    listed = text_of(manager.get("/counter/reversals").text)
    assert "SJ2026-0000001" in listed and "A0001" in listed and "¥203.80" in listed
    approved = manager.post(
        "/counter/reversals/1/approve", data={"reason": "核实无误"}, follow_redirects=False
    )
    assert approved.status_code == 303
    assert "冲正申请 1 已审批" in text_of(manager.get("/counter/reversals").text)
    after = text_of(cashier.get("/counter/accounts/A0001").text)
    assert "应缴金额 ¥202.80" in after  # the bill and its late fee are owed again, less the 1.00 paid
    assert "已冲正" in text_of(cashier.get(f"/receipts/{payment_id}").text)
    assert cash_in_till(ctx) == Decimal("1.00")

    second = int(pay(manager, "A0001", "5.00", key="y" * 20).headers["location"].rsplit("=", 1)[1])
    manager.post(f"/counter/payments/{second}/reversal", data={"reason": "试一下"})
    own = manager.post("/counter/reversals/2/approve", data={"reason": "mine"})
    assert own.status_code == 422 and "冲正申请人不能审批自己的申请（四眼原则）" in own.text
    assert "另一位主管审批" in text_of(manager.get("/counter/reversals").text)
    refused = admin.post("/counter/reversals/2/reject", data={"reason": "不必冲正"}, follow_redirects=False)
    assert refused.status_code == 303
    with unit_of_work(ctx.sessions) as session:
        states = list(session.scalars(select(PaymentReversal.state).order_by(PaymentReversal.id)))
    assert states == ["approved", "rejected"]


def test_a_hostile_customer_name_is_shown_as_text_on_the_counter_and_the_receipt(ctx: AppContext) -> None:
    counter_bureau(ctx, name=XSS)
    client = staff_client(ctx, "cashier")
    found = client.get("/counter", params={"q": "script"}, follow_redirects=True)
    key = form_key(found.text)
    answer = pay(client, "A0001", "10.00", key=key, payer=XSS)
    payment_id = int(answer.headers["location"].rsplit("=", 1)[1])
    for path in (
        "/counter?q=A000",
        "/counter/accounts/A0001",
        f"/counter/accounts/A0001?paid={payment_id}",
        f"/receipts/{payment_id}",
        "/counter/accounts/A0001?lang=en",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        assert XSS not in page.text and ESCAPED in page.text, path
    client.post(f"/counter/payments/{payment_id}/reversal", data={"reason": XSS})
    reversals = staff_client(ctx, "manager").get("/counter/reversals").text
    assert XSS not in reversals and ESCAPED in reversals
    searched = client.get("/counter", params={"q": XSS}).text
    assert XSS not in searched


def test_the_counter_speaks_english_with_lang_en(ctx: AppContext) -> None:
    counter_bureau(ctx)
    client = staff_client(ctx, "cashier")
    shown = text_of(client.get("/counter/accounts/A0001?lang=en").text)
    assert "Counter" in shown and "To pay now ¥203.80" in shown and "Late fee today" in shown
    key = form_key(client.get("/counter/accounts/A0001").text)
    payment_id = int(pay(client, "A0001", "203.80", key=key).headers["location"].rsplit("=", 1)[1])
    receipt = text_of(client.get(f"/receipts/{payment_id}").text)
    assert "Electricity payment receipt" in receipt and "RMB 贰佰零叁元捌角整" in receipt


def test_only_a_payment_taken_today_offers_a_reversal_and_a_bank_payment_has_a_receipt_page_too(
    ctx: AppContext,
) -> None:
    counter_bureau(ctx)
    client = staff_client(ctx, "cashier")
    answer = pay(client, "A0001", "203.80", key=form_key(client.get("/counter/accounts/A0001").text))
    payment_id = int(answer.headers["location"].rsplit("=", 1)[1])
    assert f'action="/counter/payments/{payment_id}/reversal"' in client.get("/counter/accounts/A0001").text
    bank = take_payment(
        ctx,
        actor="cashier",
        request=PaymentRequest(
            account_no="A0002",
            amount=Decimal("80.00"),
            channel=gl.Channel.BANK_WITHHOLDING,
            method=gl.Method.DEBIT,
            source="ICBC",
            paid_on=date(2026, 3, 1),
            channel_ref="ICBC-0001",
        ),
    )
    printed = text_of(client.get(f"/receipts/{bank.payment_id}").text)
    assert "收据号 无（非坐收缴费）" in printed and "银行代扣 · 代扣" in printed and "¥80.00" in printed
    ctx.clock.advance(timedelta(days=1))  # type: ignore[attr-defined]
    tomorrow = client.get("/counter/accounts/A0001").text
    assert f'action="/counter/payments/{payment_id}/reversal"' not in tomorrow
    late = client.post(f"/counter/payments/{payment_id}/reversal", data={"reason": "收错"})
    assert late.status_code == 422 and "只有当日收取的缴费才能冲正" in late.text
    assert client.get("/receipts/999").status_code == 404
