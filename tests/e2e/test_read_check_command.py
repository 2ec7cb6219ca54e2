"""``m2c read check``: every example in docs/examples/read-check raises exactly the code it is
named after (normal.json raises nothing), through the real command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from meter2cash.interfaces.cli.main import app
from meter2cash.reading.vee import VeeCode

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples" / "read-check"
runner = CliRunner()


def code_of(example: Path) -> str | None:
    return None if example.stem == "normal" else example.stem.upper().replace("-", "_")


def raised(output: dict[str, object]) -> set[str]:
    readings = output["readings"]
    meter_findings = output["meter_findings"]
    assert isinstance(readings, list) and isinstance(meter_findings, list)
    return {f["code"] for r in readings for f in r["findings"]} | {f["code"] for f in meter_findings}


def check(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["read", "check", *args], env={"M2C_LANG": "zh_CN"})
    return result.exit_code, result.stdout


class TestExamples:
    def test_there_is_an_example_for_every_code(self) -> None:
        assert {code_of(p) for p in EXAMPLES.glob("*.json")} == {c.value for c in VeeCode} | {None}

    @pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
    def test_each_example_raises_exactly_its_code(self, example: Path) -> None:
        exit_code, stdout = check("--input", str(example), "--json")
        assert exit_code == 0, stdout
        expected = code_of(example)
        assert raised(json.loads(stdout)) == (set() if expected is None else {expected})


class TestReadCheckCommand:
    def test_the_installed_command_prints_json_with_a_chinese_reason(self) -> None:
        example = EXAMPLES / "rollback.json"
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "meter2cash.interfaces.cli.main",
                "read",
                "check",
                "--input",
                str(example),
                "--json",
            ],
            capture_output=True,
            text=True,
            check=False,
            env={"M2C_LANG": "zh_CN", "PATH": ""},
        )
        assert done.returncode == 0, done.stderr
        finding = json.loads(done.stdout)["readings"][1]["findings"][0]
        assert finding["code"] == "ROLLBACK" and finding["severity"] == "error"
        assert "示数" in finding["reason"] and "1234.56" in finding["reason"]

    def test_without_json_a_table_shows_the_codes(self) -> None:
        exit_code, stdout = check("--input", str(EXAMPLES / "tou-sum.json"))
        assert exit_code == 0 and "TOU_SUM" in stdout and "M0001" in stdout

    def test_a_missing_file_is_refused_with_exit_code_3(self, tmp_path: Path) -> None:
        exit_code, stdout = check("--input", str(tmp_path / "none.json"), "--json")
        assert exit_code == 3 and json.loads(stdout)["error"] == "input_refused"

    def test_a_file_that_is_not_json_is_refused_with_its_line(self, tmp_path: Path) -> None:
        bad = tmp_path / "bad.json"
        bad.write_text('{"meter": {\n  "meter_no": }', encoding="utf-8")
        exit_code, stdout = check("--input", str(bad), "--json")
        assert exit_code == 3 and json.loads(stdout)["problems"][0]["row"] == 2

    def test_nan_is_not_a_number_here(self, tmp_path: Path) -> None:
        bad = tmp_path / "nan.json"
        bad.write_text('{"meter": {}, "readings": [{"read_at": "2026-01-01T00:00:00", "total": NaN}]}')
        assert check("--input", str(bad), "--json")[0] == 3

    def test_a_document_with_problems_lists_them_all(self, tmp_path: Path) -> None:
        bad = tmp_path / "bad.json"
        bad.write_text(
            json.dumps({"meter": {"meter_no": "M1"}, "readings": [{"total": "1"}]}), encoding="utf-8"
        )
        exit_code, stdout = check("--input", str(bad), "--json")
        refused = json.loads(stdout)
        assert exit_code == 3
        assert {p["column"] for p in refused["problems"]} == {
            "meter.integer_digits",
            "meter.decimal_digits",
            "meter.multiplier",
            "readings[0].read_at",
        }
