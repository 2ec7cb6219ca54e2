"""``m2c bill correction-quote --input FILE --json`` through the real command line, with no
database: every documented example computes and adds up, the 1996-rules example gives the
documented figures, and a bad case is refused with each problem named."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples" / "corrections"
M2C = Path(sys.executable).parent / "m2c"
PERIOD_KEYS = {"period", "billed_kwh", "corrected_kwh", "kwh_difference", "lines", "money_difference"}
LINE_KEYS = {"code", "label", "billed", "corrected", "difference"}


def correction_quote(path: Path, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("M2C_")}
    env["M2C_DATA_DIR"] = str(tmp_path / "nowhere")  # no database anywhere
    env["M2C_LANG"] = "zh_CN"
    return subprocess.run(
        [str(M2C), "bill", "correction-quote", "--input", str(path), *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_there_is_one_example_per_reason() -> None:
    reasons = {json.loads(p.read_text(encoding="utf-8"))["reason"] for p in EXAMPLES.glob("*.json")}
    assert reasons == {"meter_error", "wrong_wiring", "wrong_multiplier", "misread", "wrong_tariff"}


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_every_documented_example_computes_and_adds_up(example: Path, tmp_path: Path) -> None:
    result = correction_quote(example, tmp_path, "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    out = json.loads(result.stdout)
    assert set(out) == {"reason", "periods", "kwh_difference", "money_difference", "rule"}
    assert out["reason"] == json.loads(example.read_text(encoding="utf-8"))["reason"]
    assert out["rule"]
    for period in out["periods"]:
        assert set(period) == PERIOD_KEYS
        assert all(set(line) == LINE_KEYS for line in period["lines"])
        for line in period["lines"]:
            assert Decimal(line["corrected"]) - Decimal(line["billed"]) == Decimal(line["difference"])
        assert sum(Decimal(line["difference"]) for line in period["lines"]) == Decimal(
            period["money_difference"]
        )
        assert Decimal(period["corrected_kwh"]) - Decimal(period["billed_kwh"]) == Decimal(
            period["kwh_difference"]
        )
    assert sum(Decimal(p["money_difference"]) for p in out["periods"]) == Decimal(out["money_difference"])
    assert sum(Decimal(p["kwh_difference"]) for p in out["periods"]) == Decimal(out["kwh_difference"])
    assert not (tmp_path / "nowhere").exists()


def test_the_meter_error_example_gives_the_documented_figures(tmp_path: Path) -> None:
    out = json.loads(correction_quote(EXAMPLES / "meter-error.json", tmp_path, "--json").stdout)
    # +5 % fast, 180 days since installation: the last 90 days' 900 kWh were 900 ÷ 1.05 = 857.1429.
    assert [p["kwh_difference"] for p in out["periods"]] == ["0", "-42.8571"]
    lines = {line["code"]: line["difference"] for line in out["periods"][1]["lines"]}
    assert lines == {
        "energy.tier1": "0.00",
        "energy.tier2": "0.00",
        "energy.tier3": "-31.29",  # (857.1429 − 780) × 0.73 = 56.31 instead of 120 × 0.73 = 87.60
        "fund.renewable": "-0.04",  # 0.86 instead of 0.90
    }
    assert out["money_difference"] == "-31.33"
    assert out["rule"].startswith("电能表误差+5.0%，按自上次校验起的1/2时间退补")


def test_the_table_output_is_chinese_first(tmp_path: Path) -> None:
    result = correction_quote(EXAMPLES / "misread.json", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "抄错" in result.stdout and "补收" in result.stdout and "4.33" in result.stdout


def test_a_case_with_errors_is_refused_with_each_problem_named(tmp_path: Path) -> None:
    case = tmp_path / "bad.json"
    case.write_text(
        json.dumps(
            {
                "reason": "wrong_wiring",
                "tariff": "MX-NOPE",
                "parameters": {"factor": "0", "last_test": "2026-03-01"},
                "periods": [{"period": {"start": "2026-06-01", "end": "2026-07-01"}, "usage": {"kwh": "x"}}],
            }
        ),
        encoding="utf-8",
    )
    result = correction_quote(case, tmp_path, "--json")
    assert result.returncode == 3
    out = json.loads(result.stdout)
    assert out["error"] == "input_refused"
    columns = {p["column"] for p in out["problems"]}
    assert columns >= {
        "periods[0].tariff",
        "periods[0].usage.kwh",
        "parameters.factor",
        "parameters.corrected_on",
    }
    plain = correction_quote(case, tmp_path)
    assert plain.returncode == 3 and "parameters.factor" in plain.stderr


def test_a_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    case = tmp_path / "bad.json"
    case.write_text("{not json", encoding="utf-8")
    assert correction_quote(case, tmp_path, "--json").returncode == 3
