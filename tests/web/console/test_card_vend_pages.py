"""The card vend screen (IC卡售电) with the test client: a cashier finds a card account, enters the
card and amount, sees the kWh, confirms, and prints the slip; a confirm posted twice sells once;
a refusal is shown with nothing written; a meter reader may not sell."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from meter2cash.collection.prepaid_model import CardVend
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from prepaid_bureau import prepaid_bureau
from web_client import staff_client

KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def vends(ctx: AppContext) -> int:
    with unit_of_work(ctx.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(CardVend)) or 0)


def quote(client: TestClient, amount: str, card: str = "C-1") -> str:
    answer = client.post("/card-vend/accounts/A0001/quote", data={"card_no": card, "amount": amount})
    assert answer.status_code == 200, answer.text
    return str(answer.text)


def test_a_cashier_sees_the_kwh_confirms_and_prints_the_slip_once(ctx: AppContext) -> None:
    prepaid_bureau(ctx, card=["A0001"])
    client = staff_client(ctx, "cashier")
    found = client.get("/card-vend", params={"q": "A0001"}, follow_redirects=False)
    assert found.status_code == 303 and found.headers["location"] == "/card-vend/accounts/A0001"
    account = client.get("/card-vend/accounts/A0001")
    assert "售电" in account.text or "Card vend" in account.text
    shown = quote(client, "43.10")
    assert "100 kWh" in shown
    key = KEY.search(shown)
    assert key is not None
    data = {"card_no": "C-1", "amount": "43.10", "idempotency_key": key.group(1)}
    sold = client.post("/card-vend/accounts/A0001/sell", data=data, follow_redirects=False)
    assert sold.status_code == 303
    again = client.post("/card-vend/accounts/A0001/sell", data=data, follow_redirects=False)
    assert again.headers["location"] == sold.headers["location"]
    assert vends(ctx) == 1
    slip = client.get(sold.headers["location"])
    assert slip.status_code == 200
    assert "C-1" in slip.text and "100 kWh" in slip.text and "SJ2026-0000001" in slip.text
    history = client.get("/card-vend/accounts/A0001")
    assert sold.headers["location"] in history.text


def test_a_refused_amount_is_shown_and_nothing_is_sold(ctx: AppContext) -> None:
    prepaid_bureau(ctx, card=["A0001"])
    client = staff_client(ctx, "cashier")
    answer = client.post("/card-vend/accounts/A0001/quote", data={"card_no": "C-1", "amount": "-5"})
    assert answer.status_code == 422
    assert vends(ctx) == 0


def test_a_meter_reader_may_not_open_the_card_vend_screen(ctx: AppContext) -> None:
    prepaid_bureau(ctx, card=["A0001"])
    client = staff_client(ctx, "meter_reader")
    assert client.get("/card-vend/accounts/A0001").status_code == 403
