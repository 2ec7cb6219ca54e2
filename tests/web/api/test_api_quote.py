"""``POST /api/v1/quotes`` is ``m2c bill quote --input FILE --json`` over HTTP: every documented
example gives the CLI's JSON byte for byte in meaning, numbers stay exact, and a bad case is
refused (422) with the same problems the CLI names."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from meter2cash.interfaces.cli import main
from meter2cash.platform.context import AppContext
from meter2cash.platform.permissions import Action
from web_client import staff_client, token_client

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples" / "quote"


def cli_quote(path: Path) -> tuple[int, Any]:
    result = CliRunner().invoke(main.app, ["bill", "quote", "--input", str(path), "--json"])
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_every_documented_example_prices_as_the_cli_does(shared_ctx: AppContext, example: Path) -> None:
    client = token_client(shared_ctx, "cashier", {Action.BILL_READ})
    answer = client.post(
        "/api/v1/quotes", content=example.read_bytes(), headers={"content-type": "application/json"}
    )
    assert answer.status_code == 200, answer.text
    code, expected = cli_quote(example)
    assert code == 0 and answer.json() == expected


def test_json_numbers_are_read_exactly_not_as_binary_floats(shared_ctx: AppContext) -> None:
    client = token_client(shared_ctx, "cashier", {Action.BILL_READ})
    case = (EXAMPLES / "residential-tiers.json").read_text(encoding="utf-8")
    as_text = client.post("/api/v1/quotes", content=case.replace('"300"', '"300.1"').encode())
    as_number = client.post("/api/v1/quotes", content=case.replace('"300"', "300.1").encode())
    assert as_text.status_code == as_number.status_code == 200
    assert as_number.json() == as_text.json()  # 300.1 as a binary float is 300.10000000000002…
    tiers = [line["quantity"] for line in as_number.json()["lines"] if line["code"].startswith("energy.tier")]
    assert sum(map(Decimal, tiers)) == Decimal("300.1")


def test_a_bad_case_is_refused_with_the_problems_the_cli_names(
    shared_ctx: AppContext, tmp_path: Path
) -> None:
    case = {
        "tariff": "NO-SUCH",
        "period": {"start": "2026-07-01", "end": "2026-06-01"},
        "usage": {"kwh": "-5"},
    }
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(case), encoding="utf-8")
    answer = token_client(shared_ctx, "cashier", {Action.BILL_READ}).post("/api/v1/quotes", json=case)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    code, expected = cli_quote(path)
    assert code == 3
    assert answer.json()["detail"] == expected["summary"]
    assert answer.json()["problems"] == expected["problems"]
    assert {p["column"] for p in expected["problems"]} >= {"period.end", "usage.kwh"}


def test_a_body_that_is_not_json_is_refused(shared_ctx: AppContext) -> None:
    answer = token_client(shared_ctx, "cashier", {Action.BILL_READ}).post(
        "/api/v1/quotes", content=b'{"tariff": ', headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422 and answer.json()["problems"][0]["row"] == 1


def test_a_form_posted_from_a_session_is_refused_not_a_crash(shared_ctx: AppContext) -> None:
    client = staff_client(shared_ctx, "cashier")
    csrf = client.headers.pop("X-CSRF-Token")
    answer = client.post("/api/v1/quotes", data={"csrf_token": csrf, "tariff": "MX-RES-1"})
    assert answer.status_code == 422 and "JSON" in answer.json()["detail"]
