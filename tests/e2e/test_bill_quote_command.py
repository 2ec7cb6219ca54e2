"""``m2c bill quote --input FILE --json`` through the real command line, with no database: every
documented example prices, the issue's example gives the documented JSON with hand-checked
amounts, and a bad case is refused with each problem named."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples" / "quote"
M2C = Path(sys.executable).parent / "m2c"
LINE_KEYS = {"code", "label", "quantity", "unit", "unit_price", "amount", "rule", "tariff_version"}


def quote(path: Path, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("M2C_")}
    # No database anywhere: a data directory that does not exist.
    env["M2C_DATA_DIR"] = str(tmp_path / "nowhere")
    env["M2C_LANG"] = "zh_CN"
    return subprocess.run(
        [str(M2C), "bill", "quote", "--input", str(path), *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_every_documented_example_prices_and_its_lines_sum_to_the_total(
    example: Path, tmp_path: Path
) -> None:
    result = quote(example, tmp_path, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    output = json.loads(result.stdout)
    assert set(output) == {"lines", "power_factor", "pf_adjustment_percent", "total"}
    assert output["lines"] and all(set(line) == LINE_KEYS for line in output["lines"])
    assert all(isinstance(v, str) for line in output["lines"] for v in line.values())
    assert sum(Decimal(line["amount"]) for line in output["lines"]) == Decimal(output["total"])
    assert not (tmp_path / "nowhere").exists()


def test_the_issue_example_gives_the_documented_json(tmp_path: Path) -> None:
    output = json.loads(quote(EXAMPLES / "large-industry.json", tmp_path, "--json").stdout)
    amounts = {line["code"]: line["amount"] for line in output["lines"]}
    assert amounts == {
        "basic.demand": "23940.00",  # 525 … 105 % of 600 = 630 kW × 38
        "basic.demand_excess": "1520.00",  # (650 − 630) × 2 × 38
        "energy.flat": "14600.00",  # 40000 × 0.3650 (no period registers: all at 平段)
        "pf_adjustment": "2003.00",  # cos φ 0.80 on 0.90: +5 % of 40060.00
        "fund.renewable": "760.00",  # 40000 × 0.019
        "fund.reservoir_resettlement": "248.00",  # 40000 × 0.0062
    }
    assert output["power_factor"] == "0.80" and output["pf_adjustment_percent"] == "5.0"
    assert output["total"] == "43071.00"
    pf = next(line for line in output["lines"] if line["code"] == "pf_adjustment")
    assert pf["rule"] == "力调 0.90标准 cosφ=0.80 +5.0%"


def test_the_table_output_is_chinese_first(tmp_path: Path) -> None:
    result = quote(EXAMPLES / "residential-tiers.json", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "第1档电度电费" in result.stdout and "合计 145.80 元" in result.stdout


def test_a_case_with_errors_is_refused_with_each_problem_named(tmp_path: Path) -> None:
    case = tmp_path / "bad.json"
    case.write_text(
        json.dumps(
            {
                "tariff": "MX-NOPE",
                "period": {"start": "2026-06-31", "end": "2026-07-01"},
                "customer": {"pf_standard": "0.95", "basic_charge_by": "whatever"},
                "usage": {"kwh": {"total": "-5", "noon": "3"}},
            }
        ),
        encoding="utf-8",
    )
    result = quote(case, tmp_path, "--json")
    assert result.returncode == 3
    problems = {p["column"] for p in json.loads(result.stdout)["problems"]}
    assert {"period.start", "customer.pf_standard", "customer.basic_charge_by", "usage.kwh.total"} <= problems
    assert "usage.kwh.noon" in problems


def test_an_unknown_tariff_code_is_refused(tmp_path: Path) -> None:
    case = tmp_path / "unknown.json"
    case.write_text(
        json.dumps(
            {
                "tariff": "MX-NOPE",
                "period": {"start": "2026-06-01", "end": "2026-07-01"},
                "usage": {"kwh": "100"},
            }
        ),
        encoding="utf-8",
    )
    result = quote(case, tmp_path, "--json")
    assert result.returncode == 3
    assert "MX-NOPE" in result.stdout


def test_a_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    case = tmp_path / "broken.json"
    case.write_text("{not json", encoding="utf-8")
    result = quote(case, tmp_path, "--json")
    assert result.returncode == 3 and "JSON" in result.stdout


def test_binary_floats_in_the_case_stay_exact(tmp_path: Path) -> None:
    case = tmp_path / "floats.json"
    case.write_text(
        '{"tariff": "MX-RES-1", "period": {"start": "2026-06-01", "end": "2026-07-01"},'
        ' "usage": {"kwh": 170.1}}',
        encoding="utf-8",
    )
    output = json.loads(quote(case, tmp_path, "--json").stdout)
    assert {line["code"]: line["quantity"] for line in output["lines"]}["energy.tier2"] == "0.1"


def test_an_absurdly_large_quantity_is_refused_not_crashed_on(tmp_path: Path) -> None:
    case = tmp_path / "huge.json"
    case.write_text(
        json.dumps(
            {
                "tariff": "MX-RES-1",
                "period": {"start": "2026-06-01", "end": "2026-07-01"},
                "usage": {"kwh": "1E+30"},
                "fixed_split": {"tariff": "MX-GEN-1", "ratio": "0.5"},
            }
        ),
        encoding="utf-8",
    )
    result = quote(case, tmp_path, "--json")
    assert result.returncode == 3, result.stderr
    assert "usage.kwh" in result.stdout and "Traceback" not in result.stderr
