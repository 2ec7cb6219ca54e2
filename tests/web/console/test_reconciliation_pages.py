"""The reconciliation screen (银行对账) with the test client: a cashier uploads a statement and sees
what matched and each difference; a supervisor resolves a difference with a note; a bad file is
shown refused with nothing stored; a cashier may not resolve; a meter reader may not open it."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from bank_bureau import audited, bank_bureau
from meter2cash.collection import gl
from meter2cash.collection.bank_model import ReconciliationRun
from meter2cash.collection.payment_service import take_payment
from meter2cash.collection.payments import PaymentRequest
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from web_client import staff_client

STATEMENT = (
    "交易日期,金额,银行流水号,户号,付款人,摘要,类型,批次号\r\n"
    "2026-03-01,20.00,T1,A0003,张伟,电费,单笔,\r\n"
    "2026-03-01,7.00,T9,A0003,张伟,电费,单笔,\r\n"
).encode()


def runs(ctx: AppContext) -> int:
    with unit_of_work(ctx.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(ReconciliationRun)) or 0)


def prepared(ctx: AppContext) -> AppContext:
    bank_bureau(ctx)
    request = PaymentRequest(
        account_no="A0003",
        amount=Decimal("20.00"),
        channel=gl.Channel.BANK_WITHHOLDING,
        method=gl.Method.TRANSFER,
        source="ICBC",
        paid_on=ctx.clock.now().date(),
        channel_ref="T1",
    )
    take_payment(ctx, actor="cashier", request=request)
    return ctx


def upload(client, data: bytes, name: str = "statement.csv"):  # type: ignore[no-untyped-def]
    return client.post(
        "/reconciliation",
        data={"kind": "statement", "bank": "ICBC"},
        files={"file": (name, data, "text/csv")},
        follow_redirects=False,
    )


def test_a_cashier_uploads_a_statement_and_sees_the_matches_and_differences(ctx: AppContext) -> None:
    prepared(ctx)
    client = staff_client(ctx, "cashier")
    page = client.get("/reconciliation")
    assert page.status_code == 200 and "银行对账" in page.text
    sent = upload(client, STATEMENT)
    assert sent.status_code == 303, sent.text
    report = client.get(sent.headers["location"])
    assert report.status_code == 200
    assert "1 笔，20.00 元" in report.text
    assert "银行有、账上无" in report.text and "T9" in report.text
    assert "/resolve" not in report.text  # a cashier does not resolve
    again = upload(client, STATEMENT, name="again.csv")
    assert again.headers["location"] == sent.headers["location"] and runs(ctx) == 1


def test_a_supervisor_resolves_a_difference_with_a_note(ctx: AppContext) -> None:
    prepared(ctx)
    client = staff_client(ctx, "manager")
    location = upload(client, STATEMENT).headers["location"]
    run_id = location.rsplit("/", 1)[1]
    report = client.get(location)
    assert 'action="/reconciliation/items/1/resolve"' in report.text
    refused = client.post(
        "/reconciliation/items/1/resolve",
        data={"run_id": run_id, "resolution": "accept_with_note", "note": ""},
    )
    assert refused.status_code == 422
    done = client.post(
        "/reconciliation/items/1/resolve",
        data={"run_id": run_id, "resolution": "accept_with_note", "note": "次日到账"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    shown = client.get(location)
    assert "次日到账" in shown.text and "附说明接受" in shown.text
    assert len(audited(ctx, "reconciliation.resolve")) == 1


def test_a_statement_with_a_bad_row_is_refused_on_the_page_and_nothing_is_stored(ctx: AppContext) -> None:
    prepared(ctx)
    client = staff_client(ctx, "cashier")
    bad = STATEMENT.replace(b"7.00", b"7.001")
    answer = upload(client, bad)
    assert answer.status_code == 422
    assert "整个文件被拒绝" in answer.text
    assert runs(ctx) == 0


def test_a_cashier_may_not_resolve_and_a_meter_reader_may_not_open_the_screen(ctx: AppContext) -> None:
    prepared(ctx)
    cashier = staff_client(ctx, "cashier")
    location = upload(cashier, STATEMENT).headers["location"]
    run_id = location.rsplit("/", 1)[1]
    denied = cashier.post(
        "/reconciliation/items/1/resolve",
        data={"run_id": run_id, "resolution": "accept_with_note", "note": "x"},
    )
    assert denied.status_code == 403
    assert staff_client(ctx, "meter_reader").get("/reconciliation").status_code == 403
