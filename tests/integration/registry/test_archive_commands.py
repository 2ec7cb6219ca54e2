"""``m2c archive import|export`` end to end: the real executable against the test database."""

from __future__ import annotations

import json
from pathlib import Path

from archive_samples import table_counts
from cli_runner import run_m2c
from meter2cash.platform.context import AppContext

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"


def _bad_accounts(tmp_path: Path) -> Path:
    """The example accounts with the second row's opening date made impossible."""
    text = (EXAMPLES / "accounts.csv").read_bytes().decode("utf-8-sig")
    lines = text.split("\r\n")
    lines[2] = lines[2].replace("2024-03-01", "2024-02-30", 1)
    path = tmp_path / "bad-accounts.csv"
    path.write_bytes("\r\n".join(lines).encode("gbk"))
    return path


class TestArchiveImportCommand:
    def test_the_example_files_import_with_their_kind_inferred_from_the_headers(
        self, ctx: AppContext
    ) -> None:
        for kind in ("route-books", "areas", "accounts"):
            result = run_m2c(ctx, "archive", "import", str(EXAMPLES / f"{kind}.csv"), user="billing_clerk")
            assert result.returncode == 0, result.stderr
            assert f"({kind})" in result.stdout and "导入完成" in result.stdout

    def test_a_file_with_a_bad_row_exits_3_naming_the_row_and_nothing_is_written(
        self, ctx: AppContext, tmp_path: Path
    ) -> None:
        for kind in ("route-books", "areas"):
            assert (
                run_m2c(ctx, "archive", "import", str(EXAMPLES / f"{kind}.csv"), user="admin").returncode == 0
            )
        before = table_counts(ctx)
        result = run_m2c(
            ctx, "archive", "import", str(_bad_accounts(tmp_path)), "--kind", "accounts", user="admin"
        )
        assert result.returncode == 3
        assert (
            "第2行 row 2" in result.stderr and "立户日期" in result.stderr and "2024-02-30" in result.stderr
        )
        assert "Nothing was written" in result.stderr
        assert table_counts(ctx) == before

    def test_json_output_is_the_import_report(self, ctx: AppContext) -> None:
        result = run_m2c(
            ctx, "archive", "import", str(EXAMPLES / "route-books.csv"), "--json", "--as", "admin"
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == {
            "batch_id": 1,
            "kind": "route-books",
            "rows": 2,
            "created": {"route_book": 2},
            "already_imported": False,
        }

    def test_a_refusal_as_json_lists_each_problem(self, ctx: AppContext, tmp_path: Path) -> None:
        result = run_m2c(
            ctx, "archive", "import", str(_bad_accounts(tmp_path)), "--json", user="admin", lang="en"
        )
        assert result.returncode == 3
        refusal = json.loads(result.stdout)
        assert refusal["error"] == "input_refused"
        assert {
            "row": 2,
            "column": "立户日期",
            "value": "2024-02-30",
            "reason": "is not a real calendar date",
        } in (refusal["problems"])

    def test_a_meter_reader_is_refused_with_exit_4(self, ctx: AppContext) -> None:
        result = run_m2c(ctx, "archive", "import", str(EXAMPLES / "route-books.csv"), user="meter_reader")
        assert result.returncode == 4
        assert "archive.import" in result.stderr

    def test_headers_that_fit_no_kind_ask_for_kind(self, ctx: AppContext, tmp_path: Path) -> None:
        path = tmp_path / "odd.csv"
        path.write_text("code,name\r\nX,y\r\n", encoding="utf-8")
        result = run_m2c(ctx, "archive", "import", str(path), user="admin", lang="en")
        assert result.returncode == 3 and "--kind" in result.stderr


class TestArchiveExportCommand:
    def test_an_export_writes_the_file_and_says_how_many_rows(self, ctx: AppContext, tmp_path: Path) -> None:
        assert (
            run_m2c(ctx, "archive", "import", str(EXAMPLES / "route-books.csv"), user="admin").returncode == 0
        )
        target = tmp_path / "books.csv"
        result = run_m2c(
            ctx, "archive", "export", str(target), "--kind", "route-books", "--json", user="cashier"
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == {"kind": "route-books", "file": str(target), "rows": 2}
        assert target.read_bytes() == (EXAMPLES / "route-books.csv").read_bytes()
