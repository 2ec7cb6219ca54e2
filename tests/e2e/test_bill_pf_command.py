"""``m2c bill pf-adjustment``: the month's power factor and the table's percentage, through the
real command line; ``--json`` is a public contract (docs/power-factor.md)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from meter2cash.interfaces.cli.main import app

runner = CliRunner()


def pf_adjustment(*args: str, lang: str = "zh_CN") -> tuple[int, str, str]:
    result = runner.invoke(app, ["bill", "pf-adjustment", *args], env={"M2C_LANG": lang, "COLUMNS": "200"})
    return result.exit_code, result.stdout, result.stderr


class TestTheJsonContract:
    def test_the_issue_example_prints_exactly_the_documented_json(self) -> None:
        exit_code, stdout, _ = pf_adjustment(
            "--standard", "0.90", "--kwh", "40000", "--kvarh", "30000", "--json"
        )
        assert exit_code == 0
        assert stdout == '{"power_factor": "0.80", "percent": "5.0"}\n'

    @pytest.mark.parametrize(
        ("standard", "kwh", "kvarh", "power_factor", "percent"),
        [
            ("0.90", "100", "0", "1.00", "-0.75"),
            ("0.90", "12", "5", "0.92", "-0.3"),  # 12/13 = 0.923…; the table's −0.30
            ("0.85", "100", "0", "1.00", "-1.1"),
            ("0.85", "40000", "30000", "0.80", "2.5"),
            ("0.80", "40000", "30000", "0.80", "0.0"),
            ("0.80", "3", "4", "0.60", "10.0"),
            ("0.90", "0", "5", "0.00", "85.0"),  # below 0.30 the percentage at 0.30 applies
            ("0.9", "8450", "5347", "0.85", "2.5"),  # 0.84503… rounds half-up to 0.85
            ("0.90", "8449", "5349", "0.84", "3.0"),  # 0.84491… rounds to 0.84
            ("0.85", "40,000.5", "0.5", "1.00", "-1.1"),
        ],
    )
    def test_other_cases_give_the_power_factor_and_percent_as_decimal_strings(
        self, standard: str, kwh: str, kvarh: str, power_factor: str, percent: str
    ) -> None:
        exit_code, stdout, _ = pf_adjustment("--standard", standard, "--kwh", kwh, "--kvarh", kvarh, "--json")
        assert exit_code == 0, stdout
        assert json.loads(stdout) == {"power_factor": power_factor, "percent": percent}

    def test_the_installed_command_prints_the_same_json(self) -> None:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "meter2cash.interfaces.cli.main",
                "bill",
                "pf-adjustment",
                "--standard",
                "0.90",
                "--kwh",
                "40000",
                "--kvarh",
                "30000",
                "--json",
            ],
            capture_output=True,
            text=True,
            check=False,
            env={"M2C_LANG": "zh_CN", "PATH": ""},
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == {"power_factor": "0.80", "percent": "5.0"}


class TestTheReadableLine:
    def test_without_json_a_chinese_line_says_the_surcharge(self) -> None:
        exit_code, stdout, _ = pf_adjustment("--standard", "0.90", "--kwh", "40000", "--kvarh", "30000")
        assert exit_code == 0
        assert stdout.strip() == "力率 0.80，考核标准 0.90，调整 +5.0%（增收）"

    def test_a_reduction_is_shown_with_its_minus_sign(self) -> None:
        exit_code, stdout, _ = pf_adjustment("--standard", "0.85", "--kwh", "1", "--kvarh", "0")
        assert exit_code == 0 and "调整 -1.1%（减收）" in stdout

    def test_at_the_standard_nothing_is_adjusted(self) -> None:
        exit_code, stdout, _ = pf_adjustment("--standard", "0.80", "--kwh", "4", "--kvarh", "3")
        assert exit_code == 0 and "调整 0.0%（不调整）" in stdout

    def test_in_english_the_message_id_is_shown(self) -> None:
        exit_code, stdout, _ = pf_adjustment("--standard", "0.90", "--kwh", "4", "--kvarh", "3", lang="en")
        assert exit_code == 0
        assert stdout.strip() == "Power factor 0.80, standard 0.90, adjustment +5.0% (surcharge)"


class TestBadInput:
    @pytest.mark.parametrize(
        ("args", "said"),
        [
            (["--standard", "0.95", "--kwh", "1", "--kvarh", "1"], "0.95"),
            (["--standard", "none", "--kwh", "1", "--kvarh", "1"], "不考核力率"),
            (["--standard", "0.90", "--kwh", "abc", "--kvarh", "1"], "--kwh"),
            (["--standard", "0.90", "--kwh", "1", "--kvarh", "1.2.3"], "--kvarh"),
            (["--standard", "0.90", "--kwh", "-1", "--kvarh", "1"], "--kwh"),
            (["--standard", "0.90", "--kwh", "1", "--kvarh", "-1"], "--kvarh"),
            (["--standard", "0.90", "--kwh", "NaN", "--kvarh", "1"], "--kwh"),
            (["--standard", "0.90", "--kwh", "0", "--kvarh", "0"], "均为零"),
        ],
    )
    def test_bad_input_exits_with_code_2_and_a_clear_message(self, args: list[str], said: str) -> None:
        exit_code, stdout, stderr = pf_adjustment(*args)
        assert exit_code == 2
        assert said in stderr and stdout == ""

    def test_with_json_bad_input_is_a_json_error_and_exit_code_2(self) -> None:
        exit_code, stdout, _ = pf_adjustment("--standard", "0.90", "--kwh", "0", "--kvarh", "0", "--json")
        assert exit_code == 2
        assert json.loads(stdout)["error"] == "bad_input"

    def test_a_missing_option_is_wrong_usage(self) -> None:
        exit_code, _, _ = pf_adjustment("--standard", "0.90", "--kwh", "1")
        assert exit_code == 2
