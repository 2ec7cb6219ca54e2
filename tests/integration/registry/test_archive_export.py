from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from archive_samples import account, table_counts
from meter2cash.platform.audit import history
from meter2cash.platform.context import AppContext
from meter2cash.platform.errors import InputRefused
from meter2cash.registry import archive_rules as rules
from meter2cash.registry.archive_export import export_archive
from meter2cash.registry.archive_files import read_archive_file
from meter2cash.registry.archive_import import import_archive_file, import_archive_rows
from meter2cash.registry.registers import RegisterSet
from meter2cash.registry.service import replace_meter

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"
KINDS = ("route-books", "areas", "accounts")


@pytest.fixture(autouse=True)
def english_messages(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("M2C_LANG", "en")
    yield


def import_examples(ctx: AppContext) -> None:
    for kind in KINDS:
        import_archive_file(ctx, actor="billing_clerk", kind=kind, path=EXAMPLES / f"{kind}.csv")


def typed_rows(kind: str, path: Path) -> list[rules.ArchiveRow]:
    table = read_archive_file(path)
    keys, problems = rules.resolve_headers(kind, table.headers)
    shaped, shape_problems = rules.check_shape(keys, table.rows)
    parsed, row_problems = rules.parse_table(kind, shaped)
    assert problems == shape_problems == row_problems == []
    return [row for _, row in parsed]


class TestExportGivesBackWhatWasImported:
    @pytest.mark.parametrize("kind", KINDS)
    def test_the_export_of_canonical_files_is_the_same_file_byte_for_byte(
        self, ctx: AppContext, tmp_path: Path, kind: str
    ) -> None:
        import_examples(ctx)
        written = export_archive(ctx, actor="cashier", kind=kind, path=tmp_path / f"{kind}.csv")
        assert written == len(read_archive_file(EXAMPLES / f"{kind}.csv").rows)
        assert (tmp_path / f"{kind}.csv").read_bytes() == (EXAMPLES / f"{kind}.csv").read_bytes()

    @pytest.mark.parametrize("kind", KINDS)
    def test_an_xlsx_export_holds_the_same_rows_and_importing_it_changes_nothing(
        self, ctx: AppContext, tmp_path: Path, kind: str
    ) -> None:
        import_examples(ctx)
        export_archive(ctx, actor="admin", kind=kind, path=tmp_path / f"{kind}.xlsx")
        assert typed_rows(kind, tmp_path / f"{kind}.xlsx") == typed_rows(kind, EXAMPLES / f"{kind}.csv")
        before = table_counts(ctx)
        assert import_archive_file(
            ctx, actor="admin", kind=kind, path=tmp_path / f"{kind}.xlsx"
        ).already_imported
        assert table_counts(ctx) == before

    def test_loosely_written_input_comes_back_equal_after_normalising(
        self, ctx: AppContext, tmp_path: Path
    ) -> None:
        import_examples(ctx)
        loose = account(
            9,
            contract_capacity_kva="1,250.0",
            pf_standard="0.9",
            important="yes",
            low_income="1",
            opened_on="2024/3/1",
            installed_on="2024年3月1日",
            ct_ratio="200/5",
            tou_registers="谷 峰 平",
            start_peak="5.1",
            category="一般工商业",
            voltage_level="380v",
        )
        import_archive_rows(ctx, actor="admin", kind="accounts", rows=[loose], source_name="loose.csv")
        export_archive(ctx, actor="admin", kind="accounts", path=tmp_path / "accounts.csv")
        exported = [
            r
            for r in typed_rows("accounts", tmp_path / "accounts.csv")
            if isinstance(r, rules.AccountRow) and r.account_no == loose["account_no"]
        ]
        parsed, problems = rules.parse_row("accounts", loose)
        assert problems == [] and exported == [parsed]
        assert rules.format_row(exported[0])["ct_ratio"] == "40"
        assert rules.format_row(exported[0])["start_peak"] == "5.10"

    def test_after_a_meter_replacement_the_export_shows_the_meter_in_place_now(
        self, ctx: AppContext, tmp_path: Path
    ) -> None:
        import_examples(ctx)
        replace_meter(
            ctx,
            actor="meter_reader",
            service_point="SP0100000001",
            on=date(2024, 6, 1),
            old_final=RegisterSet.of("321.00"),
            new_meter_no="M0000091",
            new_address="000000000091",
            new_start=RegisterSet.of("0.00"),
            ct_ratio=Decimal(1),
            pt_ratio=Decimal(1),
            reason="故障换表",
        )
        export_archive(ctx, actor="admin", kind="accounts", path=tmp_path / "accounts.csv")
        row = next(
            r
            for r in typed_rows("accounts", tmp_path / "accounts.csv")
            if isinstance(r, rules.AccountRow) and r.account_no == "0100000001"
        )
        assert (row.meter_no, row.meter_address, row.installed_on, row.start_total) == (
            "M0000091",
            "000000000091",
            date(2024, 6, 1),
            Decimal(0),
        )
        again = import_archive_file(ctx, actor="admin", kind="accounts", path=tmp_path / "accounts.csv")
        assert (again.already_imported, again.created["account"]) == (False, 0)


class TestExportIsSupervised:
    def test_each_export_leaves_an_audit_record_naming_the_file_and_rows(
        self, ctx: AppContext, tmp_path: Path
    ) -> None:
        import_examples(ctx)
        export_archive(ctx, actor="cashier", kind="accounts", path=tmp_path / "客户档案.xlsx")
        with ctx.sessions() as session:
            trail = history(session, object_type="archive", object_id="accounts")
        assert [(r.action, r.actor) for r in trail] == [("archive.export", "cashier")]
        assert json.loads(trail[0].after or "{}") == {"kind": "accounts", "file": "客户档案.xlsx", "rows": 4}

    def test_an_empty_archive_exports_just_the_header(self, ctx: AppContext, tmp_path: Path) -> None:
        assert export_archive(ctx, actor="admin", kind="areas", path=tmp_path / "areas.csv") == 0
        assert read_archive_file(tmp_path / "areas.csv").rows == []

    @pytest.mark.parametrize(
        ("kind", "name", "reason"),
        [("meters", "a.csv", "unknown kind"), ("accounts", "a.json", "unknown file type")],
    )
    def test_an_unknown_kind_or_file_type_is_refused(
        self, ctx: AppContext, tmp_path: Path, kind: str, name: str, reason: str
    ) -> None:
        with pytest.raises(InputRefused, match=reason):
            export_archive(ctx, actor="admin", kind=kind, path=tmp_path / name)
        assert not (tmp_path / name).exists()
