"""Third-party collection (代收) over the API on SQLite and PostgreSQL: an agent's token scoped for
``payment.take`` posts a payment (201), a retried request returns the first payment (200) and
posts nothing twice, every refusal is a problem detail with its reason, and the balance route
shows what an account owes today with its late fee."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from archive_factory import small_archive
from ledger_bureau import issue
from meter2cash.collection.ledger import trial_balance
from meter2cash.collection.ledger_model import LedgerEntry, Payment
from meter2cash.collection.month_end import close_month
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.platform.permissions import Action
from web_client import token_client


@pytest.fixture
def bureau(ctx: AppContext) -> AppContext:
    """A0001 owes 200.00 due 2026-02-10 (overdue on the test day 2026-03-01: a 3.80 late fee);
    A0002 owes 80.00 due 2026-03-20."""
    small_archive(ctx, accounts=3)
    issue(ctx, account_no="A0001", period="2026-01", amount="200.00", due_on=date(2026, 2, 10))
    issue(ctx, account_no="A0002", period="2026-02", amount="80.00", due_on=date(2026, 3, 20))
    return ctx


def agent_client(ctx: AppContext, *scopes: Action) -> TestClient:
    """An agent's integration: the cashier user behind a token with ``scopes``, English answers."""
    client = token_client(ctx, "cashier", set(scopes or (Action.PAYMENT_TAKE,)))
    client.cookies.set("m2c_lang", "en")
    return client


def pay(client: TestClient, key: str | None = None, **body: Any) -> Response:
    sent = {"account_no": "A0001", "amount": "203.80", "agent": "wechat", "agent_ref": "WX-0001"} | body
    headers = {"Idempotency-Key": key} if key else {}
    return client.post("/api/v1/payments", json=sent, headers=headers)


def payments(ctx: AppContext) -> int:
    with unit_of_work(ctx.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(Payment)) or 0)


def problem_of(answer: Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = answer.json()
    assert body["status"] == status and body["title"] and "Traceback" not in answer.text
    return body


def test_an_agent_token_scoped_for_payment_take_posts_the_payment_with_201(bureau: AppContext) -> None:
    answer = pay(agent_client(bureau))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["replayed"] is False and body["channel"] == "agent" and body["receipt_no"] is None
    assert body["amount"] == "203.80" and body["late_fees_charged"] == "3.80"
    assert body["applied"] == [
        {"bill_no": "T2026-01-A0001", "kind": "late_fee", "amount": "3.80"},
        {"bill_no": "T2026-01-A0001", "kind": "principal", "amount": "200.00"},
    ]
    assert body["balance_after"] == {
        "principal": "0.00",
        "late_fees": "0.00",
        "prepayment": "0.00",
        "owed": "0.00",
    }
    with unit_of_work(bureau.sessions) as session:
        payment = session.scalars(select(Payment)).one()
        assert (payment.source, payment.channel_ref, payment.actor) == ("wechat", "WX-0001", "cashier")
        balances = trial_balance(session)
    assert balances["agent_clearing:wechat"] == payment.amount
    assert sum(balances.values()) == 0


def test_a_token_without_payment_take_gets_403_and_nothing_is_posted(bureau: AppContext) -> None:
    body = problem_of(pay(agent_client(bureau, Action.LEDGER_READ)), 403)
    assert "payment.take" in body["detail"]
    assert payments(bureau) == 0


def test_a_user_whose_roles_lack_payment_take_gets_403_even_with_the_scope(bureau: AppContext) -> None:
    client = token_client(bureau, "meter_reader", {Action.PAYMENT_TAKE})
    problem_of(pay(client), 403)
    assert payments(bureau) == 0


def test_a_retried_request_returns_the_same_payment_with_200_and_posts_once(bureau: AppContext) -> None:
    client = agent_client(bureau)
    first = pay(client, key="retry-1")
    again = pay(client, key="retry-1")
    by_reference = pay(client)  # the agent's reference alone names the payment too
    assert first.status_code == 201 and again.status_code == 200 and by_reference.status_code == 200
    assert again.json()["replayed"] is True and by_reference.json()["replayed"] is True
    assert first.json()["payment_id"] == again.json()["payment_id"] == by_reference.json()["payment_id"]
    assert again.json()["balance_after"]["owed"] == "0.00"
    assert payments(bureau) == 1
    with unit_of_work(bureau.sessions) as session:
        assert trial_balance(session)["agent_clearing:wechat"] == Decimal("203.80")


def test_the_same_reference_from_another_agent_is_another_payment(bureau: AppContext) -> None:
    client = agent_client(bureau)
    assert pay(client, amount="100.00").status_code == 201
    assert pay(client, amount="100.00", agent="alipay").status_code == 201
    assert payments(bureau) == 2


def test_one_agents_idempotency_key_does_not_replay_another_agents_payment(bureau: AppContext) -> None:
    client = agent_client(bureau)
    first = pay(client, key="same-key", amount="10.00")
    other = pay(client, key="same-key", amount="10.00", agent="alipay", agent_ref="ALI-1")
    assert first.status_code == other.status_code == 201
    assert first.json()["payment_id"] != other.json()["payment_id"]


def test_a_reference_used_again_with_another_amount_or_account_is_a_409_conflict(bureau: AppContext) -> None:
    client = agent_client(bureau)
    assert pay(client, amount="50.00").status_code == 201
    body = problem_of(pay(client, amount="51.00"), 409)
    assert "Duplicate" in body["detail"]
    problem_of(pay(client, amount="50.00", account_no="A0002"), 409)
    assert payments(bureau) == 1


@pytest.mark.parametrize(
    ("change", "status", "reason"),
    [
        ({"account_no": "A9999"}, 404, "No account A9999"),
        ({"amount": "0"}, 422, "more than zero"),
        ({"amount": "-5.00"}, 422, "more than zero"),
        ({"amount": "1.005"}, 422, "whole fen"),
        ({"agent": "nobody"}, 422, "not a known source"),
        ({"paid_on": "2026-03-02"}, 422, "future"),
        ({"paid_on": "2026-02-30"}, 422, "No such day"),
    ],
)
def test_a_refused_payment_is_a_problem_detail_with_the_reason(
    bureau: AppContext, change: dict[str, str], status: int, reason: str
) -> None:
    body = problem_of(pay(agent_client(bureau), **change), status)
    assert reason in body["detail"]
    assert payments(bureau) == 0


def test_a_payment_dated_in_a_closed_collection_month_is_refused_with_422(bureau: AppContext) -> None:
    close_month(bureau, actor="manager", period="2026-02")
    body = problem_of(pay(agent_client(bureau), paid_on="2026-02-27"), 422)
    assert "closed" in body["detail"]
    assert payments(bureau) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"amount": 203.8},  # a JSON number: money travels as decimal strings
        {"amount": "1e3"},
        {"agent_ref": ""},
        {"agent_ref": "has a blank"},
        {"account_no": ""},
        {"unknown": "key"},
    ],
)
def test_a_malformed_body_is_refused_with_422_before_anything_is_looked_up(
    bureau: AppContext, body: dict[str, Any]
) -> None:
    problem_of(pay(agent_client(bureau), **body), 422)
    assert payments(bureau) == 0


def test_an_idempotency_key_that_is_too_long_is_refused(bureau: AppContext) -> None:
    problem_of(pay(agent_client(bureau), key="k" * 49), 422)
    assert payments(bureau) == 0


def test_the_balance_shows_what_is_owed_today_with_the_late_fee_and_the_payments(bureau: AppContext) -> None:
    reader = agent_client(bureau, Action.LEDGER_READ)
    before = reader.get("/api/v1/accounts/A0001/balance")
    assert before.status_code == 200, before.text
    body = before.json()
    assert body["account_no"] == "A0001" and body["as_of"] == "2026-03-01"
    assert body["balance"]["owed"] == "203.80" and body["balance"]["late_fees"] == "3.80"
    assert body["bills"] == [
        {
            "bill_no": "T2026-01-A0001",
            "due_on": "2026-02-10",
            "principal": "200.00",
            "late_fee": "3.80",
            "period": "2026-01",
            "total": "203.80",
        }
    ]
    assert body["payments"] == []
    assert pay(agent_client(bureau), amount="250.00").status_code == 201
    after = reader.get("/api/v1/accounts/A0001/balance").json()
    assert after["balance"]["owed"] == "-46.20" and after["balance"]["prepayment"] == "46.20"
    assert after["bills"] == []
    assert [(p["amount"], p["channel"], p["source"]) for p in after["payments"]] == [
        ("250.00", "agent", "wechat")
    ]
    assert after["statement"][-1]["balance"] == "-46.20"


def test_reading_the_balance_writes_nothing_and_needs_ledger_read(bureau: AppContext) -> None:
    problem_of(agent_client(bureau).get("/api/v1/accounts/A0001/balance"), 403)  # scoped payment.take only
    reader = agent_client(bureau, Action.LEDGER_READ)
    problem_of(reader.get("/api/v1/accounts/A9999/balance"), 404)
    reader.get("/api/v1/accounts/A0001/balance")
    with unit_of_work(bureau.sessions) as session:
        assert session.scalar(select(func.count()).select_from(LedgerEntry)) == 0


def test_the_openapi_document_names_the_action_of_each_route(bureau: AppContext) -> None:
    document = agent_client(bureau).get("/api/v1/openapi.json").json()
    take = document["paths"]["/api/v1/payments"]["post"]
    balance = document["paths"]["/api/v1/accounts/{account_no}/balance"]["get"]
    assert take["x-required-action"] == "payment.take" and "201" in take["responses"]
    assert {"200", "409", "422", "404"} <= set(take["responses"])
    assert balance["x-required-action"] == "ledger.read"
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in take["parameters"])
