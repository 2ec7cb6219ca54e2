from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from sqlalchemy import text

from cli_runner import M2C, run_m2c
from meter2cash.platform.context import AppContext


class TestAuditVerifyCommand:
    def test_an_intact_chain_verifies_with_exit_code_zero(self, ctx: AppContext) -> None:
        result = run_m2c(ctx, "audit", "verify", "--json")
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert report["ok"] and report["records"] == 7

    def test_a_record_edited_directly_in_the_database_is_reported_with_exit_code_five(
        self, ctx: AppContext
    ) -> None:
        with ctx.engine.begin() as conn:
            conn.execute(text("UPDATE audit_record SET actor = 'mallory' WHERE seq = 3"))
        result = run_m2c(ctx, "audit", "verify")
        assert result.returncode == 5
        assert "record 3" in result.stdout

    def test_a_record_deleted_directly_is_reported_missing(self, ctx: AppContext) -> None:
        with ctx.engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_record WHERE seq = 4"))
        result = run_m2c(ctx, "audit", "verify", "--json")
        assert result.returncode == 5
        assert json.loads(result.stdout)["problem"] == {
            "seq": 4,
            "kind": "missing",
            "detail": "record 4 is missing (next found is 5)",
        }


class TestUserCommands:
    def test_an_admin_adds_a_user_and_the_audit_trail_names_the_admin(self, ctx: AppContext) -> None:
        added = run_m2c(
            ctx,
            "user",
            "add",
            "zhang.san",
            "--role",
            "cashier",
            "--name",
            "张三",
            "--password",
            "s3cret-pass",
            user="admin",
        )
        assert added.returncode == 0, added.stderr
        shown = run_m2c(ctx, "audit", "show", "user", "zhang.san", "--json", user="admin")
        assert [(r["actor"], r["action"]) for r in json.loads(shown.stdout)] == [("admin", "user.create")]

    def test_a_cashier_cannot_add_users_and_is_told_which_role_can(self, ctx: AppContext) -> None:
        result = run_m2c(
            ctx, "user", "add", "li.si", "--role", "cashier", "--password", "s3cret-pass", user="cashier"
        )
        assert result.returncode == 4
        assert "admin" in result.stderr

    def test_a_command_that_changes_state_without_a_user_is_refused(self, ctx: AppContext) -> None:
        result = run_m2c(ctx, "user", "add", "li.si", "--role", "cashier", "--password", "s3cret-pass")
        assert result.returncode == 4
        assert "M2C_USER" in result.stderr


class TestFreshDatabase:
    def test_db_upgrade_on_an_empty_data_directory_makes_the_schema(self, tmp_path: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("M2C_")} | {
            "M2C_DATA_DIR": str(tmp_path)
        }
        upgraded = subprocess.run(
            [str(M2C), "db", "upgrade"], env=env, capture_output=True, text=True, check=False
        )
        assert upgraded.returncode == 0, upgraded.stderr
        status = subprocess.run(
            [str(M2C), "db", "status", "--json"], env=env, capture_output=True, text=True, check=False
        )
        report = json.loads(status.stdout)
        assert report["revision"] == report["head"] is not None
        assert (tmp_path / "meter2cash.db").exists()
