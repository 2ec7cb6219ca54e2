"""``m2c collect late-fee --input FILE --json`` through the real command line, with no database:
every documented example prices, the issue's example gives the documented JSON, the table view is
Chinese first and explains the 1-元 minimum, and a bad case is refused (exit 3) with each problem
named and nothing else on stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples" / "late-fee"
M2C = Path(sys.executable).parent / "m2c"
ITEM_KEYS = {"bill", "amount", "days", "fee", "rule"}


def late_fee(path: Path, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("M2C_")}
    # No database anywhere: a data directory that does not exist.
    env["M2C_DATA_DIR"] = str(tmp_path / "nowhere")
    env["M2C_LANG"] = "zh_CN"
    return subprocess.run(
        [str(M2C), "collect", "late-fee", "--input", str(path), *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def case_file(tmp_path: Path, data: object, name: str = "case.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_every_documented_example_prices_with_the_documented_keys(example: Path, tmp_path: Path) -> None:
    result = late_fee(example, tmp_path, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    output = json.loads(result.stdout)
    assert set(output) == {"total", "items"}
    assert output["items"] and all(set(item) == ITEM_KEYS for item in output["items"])
    assert all(isinstance(v, str) for item in output["items"] for v in item.values())
    items_sum = sum(Decimal(item["fee"]) for item in output["items"])
    assert Decimal(output["total"]) == items_sum or (0 < items_sum < 1 and output["total"] == "1.00")
    assert not (tmp_path / "nowhere").exists()


def test_the_issue_example_gives_the_documented_json(tmp_path: Path) -> None:
    output = json.loads(late_fee(EXAMPLES / "general-across-year-end.json", tmp_path, "--json").stdout)
    assert output == {
        "total": "172.00",
        "items": [
            {
                "bill": "2000-12",
                "amount": "2000.00",
                "days": "34",
                "fee": "172.00",  # 2000 × 16 × 2‰ + 2000 × 18 × 3‰ = 64.00 + 108.00
                "rule": "2000年内 16 天 × 2‰ + 跨年 18 天 × 3‰",
            }
        ],
    }
    residential = json.loads(late_fee(EXAMPLES / "residential.json", tmp_path, "--json").stdout)
    assert residential["total"] == "68.00"  # 2000 × 34 × 1‰
    assert residential["items"][0]["rule"] == "居民 1‰/日 × 34 天"


def test_a_total_under_one_yuan_is_charged_as_one_yuan_and_the_table_says_why(tmp_path: Path) -> None:
    example = EXAMPLES / "residential-minimum-one-yuan.json"
    output = json.loads(late_fee(example, tmp_path, "--json").stdout)
    assert output["items"][0]["fee"] == "0.25" and output["total"] == "1.00"
    table = late_fee(example, tmp_path)
    assert table.returncode == 0, table.stderr
    assert "违约金" in table.stdout and "合计 1.00 元" in table.stdout
    assert "不足最低额，按 1.00 元计收" in table.stdout


def test_a_policy_file_changes_the_rates(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "classes:\n  general: {label: 一般工商业, current_year_per_mille: 3, after_year_per_mille: 3}\n",
        encoding="utf-8",
    )
    result = late_fee(EXAMPLES / "general-across-year-end.json", tmp_path, "--json", "--policy", str(policy))
    assert result.returncode == 0, result.stdout + result.stderr
    output = json.loads(result.stdout)
    assert output["total"] == "204.00" and output["items"][0]["rule"] == "一般工商业 3‰/日 × 34 天"


def test_a_case_with_errors_is_refused_with_each_problem_named(tmp_path: Path) -> None:
    case = case_file(
        tmp_path,
        {
            "customer_category": "commercial",
            "arrears": [
                {"bill": "2000-12", "amount": "-5", "due_date": "2000-12-32"},
                {"bill": "2000-11", "amount": "12.345", "due_date": "2000-11-15"},
                {"bill": "2000-10", "amount": "abc", "due_date": "2000-10-15"},
            ],
        },
    )
    result = late_fee(case, tmp_path, "--json")
    assert result.returncode == 3, result.stdout + result.stderr
    refused = json.loads(result.stdout)  # the error JSON and nothing else
    assert refused["error"] == "input_refused"
    assert {p["column"] for p in refused["problems"]} == {
        "customer_category",
        "pay_date",
        "arrears[0].amount",
        "arrears[0].due_date",
        "arrears[1].amount",
        "arrears[2].amount",
    }
    assert "Traceback" not in result.stderr


def test_a_case_without_arrears_is_refused(tmp_path: Path) -> None:
    case = case_file(tmp_path, {"customer_category": "general", "pay_date": "2001-01-18", "arrears": []})
    result = late_fee(case, tmp_path, "--json")
    assert result.returncode == 3 and "arrears" in json.loads(result.stdout)["problems"][0]["column"]


def test_the_table_view_refuses_on_stderr(tmp_path: Path) -> None:
    case = case_file(tmp_path, {"customer_category": "general", "arrears": []})
    result = late_fee(case, tmp_path)
    assert result.returncode == 3 and result.stdout == ""
    assert "拒绝" in result.stderr and "pay_date" in result.stderr


def test_a_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    case = tmp_path / "broken.json"
    case.write_text("{not json", encoding="utf-8")
    result = late_fee(case, tmp_path, "--json")
    assert result.returncode == 3 and "JSON" in result.stdout


def test_json_numbers_stay_exact_decimals(tmp_path: Path) -> None:
    case = tmp_path / "numbers.json"
    case.write_text(
        '{"customer_category": "residential", "pay_date": "2026-01-11",'
        ' "arrears": [{"bill": "2025-12", "amount": 1000.10, "due_date": "2026-01-01"},'
        ' {"bill": "2025-11", "amount": 0.105, "due_date": "2026-01-01"}]}',
        encoding="utf-8",
    )
    refused = json.loads(late_fee(case, tmp_path, "--json").stdout)
    assert [p["column"] for p in refused["problems"]] == ["arrears[1].amount"]  # 0.105: finer than the fen
    case.write_text(case.read_text(encoding="utf-8").replace("0.105", "0.10"), encoding="utf-8")
    output = json.loads(late_fee(case, tmp_path, "--json").stdout)
    assert output["items"][0]["amount"] == "1000.10" and output["items"][0]["fee"] == "10.00"
