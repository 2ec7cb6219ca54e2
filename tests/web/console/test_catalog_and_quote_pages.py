"""The tariff catalog and the quote tool in the console: every stored version and one with its
prices; a case priced from the form or from JSON line by line with its rules, exactly as
``m2c bill quote`` prices it, and a bad case refused naming each problem."""

from __future__ import annotations

from console_setup import QUOTE_EXAMPLE, bureau, text_of

from meter2cash.billing.catalog_files import bundled_catalog, find_version
from meter2cash.billing.pf_tables import official_tables
from meter2cash.billing.quote import quote
from meter2cash.platform.context import AppContext
from web_client import staff_client


def test_the_catalog_lists_every_version_and_shows_one_with_its_prices(ctx: AppContext) -> None:
    bureau(ctx)
    client = staff_client(ctx, "cashier")
    catalog = text_of(client.get("/tariffs").text)
    assert "MX-RES-1" in catalog and "MX-LI-10KV" in catalog and "示例电价未经核实" in catalog
    version = client.get("/tariffs/MX-LI-10KV?on=2026-06-01")
    shown = text_of(version.text)
    assert version.status_code == 200 and "基本电价（两部制）" in shown and "峰谷分时" in shown
    assert client.get("/tariffs/NOPE").status_code == 404
    assert client.get("/tariffs?on=2026-13-01").status_code == 422


def test_the_quote_form_prices_a_case_line_by_line_as_the_cli_does(ctx: AppContext) -> None:
    bureau(ctx)
    client = staff_client(ctx, "billing_clerk")
    form = {"tariff": "MX-RES-1", "start": "2026-06-01", "end": "2026-07-01", "kwh": "300"}
    answer = client.post("/quote", data=form)
    expected = quote(
        data={
            "tariff": "MX-RES-1",
            "period": {"start": "2026-06-01", "end": "2026-07-01"},
            "usage": {"kwh": {"total": "300"}},
        },
        resolve=lambda code, on: find_version(tariffs=bundled_catalog(), code=code, on=on),
        pf_tables=official_tables(),
    )
    shown = text_of(answer.text)
    assert answer.status_code == 200 and f"合计（元） {expected.total}" in shown
    for line in expected.lines:
        assert line.rule in answer.text


def test_the_json_fallback_prices_the_prefilled_example(ctx: AppContext) -> None:
    bureau(ctx)
    client = staff_client(ctx, "billing_clerk")
    page = client.get("/quote")
    assert "MX-LI-10KV" in page.text and "contract_demand" in page.text  # the example, prefilled
    answer = client.post("/quote/json", data={"case_json": QUOTE_EXAMPLE})
    assert answer.status_code == 200 and "力率 0.80" in answer.text and "基本电费" in answer.text


def test_a_bad_case_is_refused_naming_each_problem(ctx: AppContext) -> None:
    client = staff_client(ctx, "cashier")
    form = {"tariff": "MX-RES-1", "start": "2026-07-01", "end": "2026-06-01", "kwh": "三百"}
    answer = client.post("/quote", data=form)
    shown = text_of(answer.text)
    assert answer.status_code == 422
    assert "period.end" in shown and "usage.kwh.total" in shown and "三百" in shown
    not_json = client.post("/quote/json", data={"case_json": "{tariff: MX-RES-1"})
    assert not_json.status_code == 422 and "试算请求不是有效的 JSON" in not_json.text
