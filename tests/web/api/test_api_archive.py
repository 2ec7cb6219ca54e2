"""The archive, the tariff catalog and the billing determinants through the API: search by
account number, name, address and meter number page by page; one account with its meters'
install history and tariffs; and the same JSON as ``m2c tariff list/show`` and
``m2c read determinants``."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from api_helpers import PERIOD, as_staff, bureau
from typer.testing import CliRunner

from archive_factory import small_archive
from meter2cash.billing.catalog import load_catalog
from meter2cash.billing.catalog_files import bundled_catalog_path
from meter2cash.interfaces.cli import main, read_cycle, tariff_commands
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.registry.model import Customer


def ok(answer: Any, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json()


def cli_json(ctx: AppContext, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    """What ``m2c ARGS --json`` prints on the test database."""
    for module in (tariff_commands, read_cycle):
        monkeypatch.setattr(module, "context", lambda: ctx)
    result = CliRunner().invoke(main.app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


class TestSearch:
    def test_accounts_are_found_by_number_name_address_and_meter(self, ctx: AppContext) -> None:
        small_archive(ctx, accounts=12)
        with unit_of_work(ctx.sessions) as session:
            session.get(Customer, 2).address = "呼和浩特市新城区 100%路"  # type: ignore[union-attr]
        client = as_staff(ctx, "cashier")

        def numbers(**params: object) -> list[str]:
            return [a["account_no"] for a in ok(client.get("/api/v1/accounts", params=params))["items"]]

        assert numbers(account_no="A001") == ["A0010", "A0011", "A0012"]
        assert numbers(name="客户1") == ["A0001", "A0010", "A0011", "A0012"]
        assert numbers(address="100%") == ["A0002"]  # taken literally, not as a LIKE wildcard
        assert numbers(address="%") == ["A0002"]
        assert numbers(meter_no="M0007") == ["A0007"]
        assert numbers(name="客户1", account_no="A0011") == ["A0011"]
        assert numbers(name="没有这个人") == []

    def test_results_come_page_by_page_and_a_page_is_bounded(self, ctx: AppContext) -> None:
        small_archive(ctx, accounts=5)
        client = as_staff(ctx, "inspector")
        page = ok(client.get("/api/v1/accounts", params={"limit": 2, "offset": 2}))
        assert (page["total"], page["limit"], page["offset"]) == (5, 2, 2)
        assert [a["account_no"] for a in page["items"]] == ["A0003", "A0004"]
        assert page["items"][0] == {
            "account_no": "A0003",
            "customer_code": "C0003",
            "customer_name": "客户3",
            "address": None,
            "category": "residential",
            "status": "active",
            "route_book": "RB01",
            "transformer_area": "TA01",
        }
        assert client.get("/api/v1/accounts", params={"limit": 201}).status_code == 422


class TestAccount:
    def test_an_account_shows_its_customer_meters_and_tariffs(self, ctx: AppContext) -> None:
        small_archive(ctx, accounts=1)
        detail = ok(as_staff(ctx, "meter_reader").get("/api/v1/accounts/A0001"))
        assert detail["customer"] == {"code": "C0001", "name": "客户1", "phone": None, "address": None}
        assert detail["account"]["contract_capacity_kva"] == "8.0000"
        assert detail["route_book"]["code"] == "RB01" and detail["transformer_area"]["code"] == "TA01"
        (point,) = detail["service_points"]
        assert point["code"] == "SP0001"
        assert [
            (i["meter_no"], i["installed_on"], i["removed_on"], i["multiplier"]) for i in point["installs"]
        ] == [("M0001", "2025-01-01", None, "1.0000")]
        assert detail["tariff_assignments"] == [
            {"tariff_code": "MX-RES-1", "effective_from": "2025-01-01", "effective_to": None}
        ]
        assert detail["energy_splits"] == []

    def test_an_unknown_account_is_not_found(self, ctx: AppContext) -> None:
        missing = as_staff(ctx, "meter_reader").get("/api/v1/accounts/A9999")
        assert missing.status_code == 404 and "A9999" in missing.json()["detail"]

    def test_the_determinants_are_those_of_m2c_read_determinants(
        self, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        bureau(ctx)
        client = as_staff(ctx, "cashier")
        rows = ok(client.get("/api/v1/accounts/A0003/determinants", params={"period": PERIOD}))
        assert rows == cli_json(
            ctx, monkeypatch, "read", "determinants", "--period", PERIOD, "--account", "A0003"
        )
        assert rows[0]["kwh_total"] == "500.0000" and rows[0]["quality"] == "estimated"
        assert ok(client.get("/api/v1/accounts/A0003/determinants", params={"period": "2026-07"})) == []
        assert client.get("/api/v1/accounts/A9999/determinants").status_code == 404


class TestTariffs:
    def test_the_catalog_is_that_of_m2c_tariff_list_and_show(
        self, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        load_catalog(ctx, actor="manager", path=bundled_catalog_path())
        client = as_staff(ctx, "cashier")
        listed = ok(client.get("/api/v1/tariffs"))
        assert listed == cli_json(ctx, monkeypatch, "tariff", "list")
        assert {"MX-RES-1", "MX-LI-10KV"} <= {v["code"] for v in listed}
        shown = ok(client.get("/api/v1/tariffs/MX-RES-1", params={"on": "2026-06-30"}))
        assert shown == cli_json(ctx, monkeypatch, "tariff", "show", "MX-RES-1", "--on", "2026-06-30")
        assert isinstance(shown["tariff"]["energy"]["tiers"][0]["price"], str)

    def test_a_day_before_every_version_or_an_unknown_code_is_not_found(self, ctx: AppContext) -> None:
        load_catalog(ctx, actor="manager", path=bundled_catalog_path())
        client = as_staff(ctx, "cashier")
        assert (
            client.get("/api/v1/tariffs/MX-RES-1", params={"on": date(1990, 1, 1).isoformat()}).status_code
            == 404
        )
        assert client.get("/api/v1/tariffs/NO-SUCH").status_code == 404
        assert ok(client.get("/api/v1/tariffs", params={"on": "1990-01-01"})) == []
