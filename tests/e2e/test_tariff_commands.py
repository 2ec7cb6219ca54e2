"""``m2c tariff load|list|show`` end to end: the real executable against the test database."""

from __future__ import annotations

import json
from pathlib import Path

from cli_runner import run_m2c
from meter2cash.billing.catalog_files import bundled_catalog, bundled_catalog_path
from meter2cash.platform.context import AppContext

CATALOG = str(bundled_catalog_path())

BAD = """\
tariffs:
  - code: MX-RES-9
    name: 居民
    category: residential
    effective_from: 2026-01-01
    energy:
      tiers:
        - {up_to: 260, price: 0.43}
        - {up_to: 170, price: 0.48}
        - {price: 0.73}
  - code: MX-LI-9
    name: 大工业
    category: large_industry
    effective_from: 2026-02-30
    energy: {flat: 0.3650001}
"""


class TestLoadingTheCatalogFromTheCommandLine:
    def test_the_bundled_catalog_loads_then_a_second_load_changes_nothing(self, ctx: AppContext) -> None:
        first = run_m2c(ctx, "tariff", "load", CATALOG, user="manager")
        assert first.returncode == 0, first.stderr
        assert "电价目录已载入" in first.stdout and "MX-LI-10KV@2024-10-01" in first.stdout
        again = run_m2c(ctx, "tariff", "load", CATALOG, "--json", "--as", "admin")
        assert again.returncode == 0, again.stderr
        report = json.loads(again.stdout)
        assert (report["added"], report["closed"], report["unchanged"]) == (0, 0, len(bundled_catalog()))
        assert {"version": "MX-RES-1@2024-10-01", "outcome": "unchanged"} in report["versions"]

    def test_a_bad_file_exits_3_printing_each_problem_and_nothing_is_loaded(
        self, ctx: AppContext, tmp_path: Path
    ) -> None:
        path = tmp_path / "bad.yaml"
        path.write_text(BAD, encoding="utf-8")
        result = run_m2c(ctx, "tariff", "load", str(path), user="manager")
        assert result.returncode == 3
        for line, where in (
            (9, "tariffs[0].energy.tiers[1].up_to"),
            (11, "tariffs[1].basic"),
            (14, "tariffs[1].effective_from"),
            (15, "tariffs[1].energy.flat"),
        ):
            assert f"第{line}行 row {line}, 列 column {where}" in result.stderr, result.stderr
        assert "4 处问题" in result.stderr and "不是有效的日历日期" in result.stderr
        assert "Nothing was written" in result.stderr
        assert json.loads(run_m2c(ctx, "tariff", "list", "--json").stdout) == []

    def test_a_refusal_as_json_lists_each_problem(self, ctx: AppContext, tmp_path: Path) -> None:
        path = tmp_path / "bad.yaml"
        path.write_text(BAD, encoding="utf-8")
        result = run_m2c(ctx, "tariff", "load", str(path), "--json", user="manager", lang="en")
        assert result.returncode == 3
        refusal = json.loads(result.stdout)
        assert refusal["error"] == "input_refused" and len(refusal["problems"]) == 4
        assert {
            "row": 15,
            "column": "tariffs[1].energy.flat",
            "value": "0.3650001",
            "reason": "has too many decimals (at most 6)",
        } in refusal["problems"]

    def test_a_meter_reader_is_refused_with_exit_4(self, ctx: AppContext) -> None:
        result = run_m2c(ctx, "tariff", "load", CATALOG, user="meter_reader")
        assert result.returncode == 4
        assert "tariff.load" in result.stderr


class TestListingAndShowingTheCatalog:
    def test_list_and_show_read_what_was_loaded(self, ctx: AppContext) -> None:
        assert run_m2c(ctx, "tariff", "load", CATALOG, user="manager").returncode == 0
        listed = run_m2c(ctx, "tariff", "list", "--on", "2026-03-01", "--json")
        assert listed.returncode == 0, listed.stderr
        versions = json.loads(listed.stdout)
        assert {v["code"] for v in versions} == {t.code for t in bundled_catalog()}
        assert all(v["illustrative"] and v["effective_to"] is None for v in versions)
        table = run_m2c(ctx, "tariff", "list")
        assert "MX-GEN-1" in table.stdout and "示例电价未经核实" in table.stdout

        shown = run_m2c(ctx, "tariff", "show", "MX-RES-1", "--json")
        assert shown.returncode == 0, shown.stderr
        body = json.loads(shown.stdout)
        assert body["version"] == "MX-RES-1@2024-10-01" and body["loaded_by"] == "manager"
        assert body["tariff"]["energy"]["tiers"] == [
            {"price": "0.43", "up_to": "170"},
            {"price": "0.48", "up_to": "260"},
            {"price": "0.73"},
        ]
        text = run_m2c(ctx, "tariff", "show", "MX-LI-10KV", "--on", "2026-07-15")
        assert text.returncode == 0, text.stderr
        assert "基本电价" in text.stdout and "25 元/kVA·月" in text.stdout and "1.848" in text.stdout

    def test_show_of_an_unknown_code_exits_6_and_a_bad_date_exits_2(self, ctx: AppContext) -> None:
        assert run_m2c(ctx, "tariff", "show", "MX-NONE").returncode == 6
        assert run_m2c(ctx, "tariff", "list", "--on", "2026-13-01").returncode == 2
