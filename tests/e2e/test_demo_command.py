from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from cli_runner import M2C


def _demo(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("M2C_")}
    env["M2C_DATA_DIR"] = str(data_dir)
    env["COLUMNS"] = "200"
    return subprocess.run(
        [str(M2C), "demo", "--accounts", "200", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


class TestTheDemoCommand:
    def test_it_builds_a_small_bureau_says_so_once_and_refuses_another_one_without_fresh(
        self, tmp_path: Path
    ) -> None:
        first = _demo(tmp_path, "--json")
        assert first.returncode == 0, first.stderr
        report = json.loads(first.stdout)
        assert report["already_existed"] is False
        assert report["summary"]["accounts"] == 200
        assert {u["username"] for u in report["users"]} >= {"admin", "reader", "reviewer2"}
        for name in ("accounts.csv", "daily_registers.parquet", "planted_faults.csv", "payment_profiles.csv"):
            assert (tmp_path / "demo" / name).stat().st_size > 0

        second = _demo(tmp_path)
        assert second.returncode == 0, second.stderr
        assert "demo-reviewer2" in second.stdout
        assert "m2c audit verify" in second.stdout

        other = _demo(tmp_path, "--seed", "5")
        assert other.returncode == 3
        assert "--fresh" in other.stderr
