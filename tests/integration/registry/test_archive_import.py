from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from archive_samples import ACCOUNT, account, table_counts
from meter2cash.platform.audit import AuditRecord, history
from meter2cash.platform.context import AppContext
from meter2cash.platform.errors import InputRefused
from meter2cash.platform.users import PermissionDenied
from meter2cash.registry import archive_write
from meter2cash.registry.archive_export import export_archive
from meter2cash.registry.archive_import import import_archive_file, import_archive_rows
from meter2cash.registry.model import (
    Account,
    ImportBatch,
    Meter,
    MeterInstall,
    ServicePoint,
    TariffAssignment,
    TransformerArea,
)

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"


@pytest.fixture(autouse=True)
def english_messages(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("M2C_LANG", "en")
    yield


def import_example(ctx: AppContext, kind: str, *, actor: str = "billing_clerk") -> int | None:
    return import_archive_file(ctx, actor=actor, kind=kind, path=EXAMPLES / f"{kind}.csv").batch_id


def books_and_areas(ctx: AppContext) -> None:
    import_example(ctx, "route-books")
    import_example(ctx, "areas")


def import_accounts(ctx: AppContext, *rows: dict[str, str], actor: str = "billing_clerk") -> object:
    return import_archive_rows(ctx, actor=actor, kind="accounts", rows=list(rows), source_name="accounts.csv")


def refusal(ctx: AppContext, *rows: dict[str, str]) -> list[tuple[int | None, str | None]]:
    with pytest.raises(InputRefused) as refused:
        import_accounts(ctx, *rows)
    return [(p.row, p.column) for p in refused.value.problems]


class TestImportingGoodFiles:
    def test_the_example_files_import_in_order_and_write_every_record(self, ctx: AppContext) -> None:
        before = table_counts(ctx)
        for kind in ("route-books", "areas", "accounts"):
            import_example(ctx, kind)
        grown = {name: table_counts(ctx)[name] - count for name, count in before.items()}
        assert {name: n for name, n in grown.items() if n} == {
            "route_book": 2,
            "transformer_area": 2,
            "customer": 3,
            "account": 4,
            "service_point": 5,
            "meter": 5,
            "meter_install": 5,
            "tariff_assignment": 4,
            "import_batch": 3,
            "audit_record": 3,
        }

    def test_an_account_gets_its_customer_point_meter_install_and_tariff(self, ctx: AppContext) -> None:
        books_and_areas(ctx)
        import_example(ctx, "accounts")
        with ctx.sessions() as session:
            account_ = session.scalars(select(Account).where(Account.account_no == "0100000004")).one()
            point = session.scalars(select(ServicePoint).where(ServicePoint.account_id == account_.id)).one()
            install = session.scalars(
                select(MeterInstall).where(MeterInstall.service_point_id == point.id)
            ).one()
            tariff = session.scalars(
                select(TariffAssignment).where(TariffAssignment.account_id == account_.id)
            ).one()
            assert (account_.customer.code, account_.customer.name) == ("C000003", "呼和浩特市新华机械厂")
            assert (account_.category, account_.voltage_level, account_.important) == (
                "large_industry",
                "10kV",
                True,
            )
            assert (point.code, point.kind) == ("SP0100000004", "customer")
            assert (install.meter.meter_no, install.meter.dlt645_address) == ("M0000004", "000000000004")
            assert (install.meter.comm_host, install.meter.comm_port) == ("10.20.2.7", 8001)
            assert install.meter.tou_registers == "sharp,peak,flat,valley"
            assert (install.ct_ratio, install.pt_ratio, install.multiplier) == (50, 100, 5000)
            assert (install.start_total, install.start_sharp, install.start_valley) == (
                Decimal("12.00"),
                Decimal("1.00"),
                Decimal("3.00"),
            )
            assert (tariff.tariff_code, tariff.effective_from, tariff.effective_to) == (
                "MX-LI-1",
                date(2023, 7, 1),
                None,
            )
            customers = session.scalars(
                select(Account.customer_id).where(Account.account_no.in_(["0100000003", "0100000004"]))
            ).all()
            assert len(set(customers)) == 1  # one customer, two accounts

    def test_an_area_with_a_supply_meter_gets_its_supply_point(self, ctx: AppContext) -> None:
        books_and_areas(ctx)
        with ctx.sessions() as session:
            area = session.scalars(select(TransformerArea).where(TransformerArea.code == "TA001")).one()
            point = session.get(ServicePoint, area.supply_point_id)
            assert point is not None and (point.code, point.kind, point.account_id) == (
                "AREA-TA001",
                "area_supply",
                None,
            )
            install = session.scalars(
                select(MeterInstall).where(MeterInstall.service_point_id == point.id)
            ).one()
            assert (install.meter.meter_no, install.meter.integer_digits, install.meter.decimal_digits) == (
                "ZB0001",
                6,
                2,
            )
            assert (install.multiplier, install.start_total, install.installed_on) == (
                150,
                Decimal("1234.50"),
                date(2024, 1, 1),
            )
            bare = session.scalars(select(TransformerArea).where(TransformerArea.code == "TA002")).one()
            assert bare.supply_point_id is None

    def test_each_import_leaves_one_audit_record_naming_its_batch(self, ctx: AppContext) -> None:
        books_and_areas(ctx)
        batch_id = import_example(ctx, "accounts")
        with ctx.sessions() as session:
            trail = history(session, object_type="import_batch", object_id=str(batch_id))
            batch = session.get(ImportBatch, batch_id)
        assert [(r.action, r.actor) for r in trail] == [("archive.import", "billing_clerk")]
        after = json.loads(trail[0].after or "{}")
        assert batch is not None and after["sha256"] == batch.sha256
        assert (after["kind"], after["file"], after["rows"], after["unchanged"]) == (
            "accounts",
            "accounts.csv",
            4,
            0,
        )
        assert after["created"]["account"] == 4 and len(after["file_sha256"]) == 64

    def test_rows_given_with_chinese_headers_import_and_report_progress(self, ctx: AppContext) -> None:
        books_and_areas(ctx)
        zh = {
            "户号": "0100000009",
            "客户编号": "C9",
            "客户名称": "王芳",
            "用电类别": "居民生活",
            "电压等级": "220V",
            "合同容量kVA": "8",
            "力率标准": "none",
            "缴费方式": "后付费",
            "抄表段": "RB001",
            "台区": "TA001",
            "立户日期": "2024/3/1",
            "计量点编号": "SP9",
            "表号": "M9",
            "通信地址": "000000000009",
            "CT变比": "1",
            "PT变比": "1",
            "整数位数": "6",
            "小数位数": "2",
            "装表日期": "2024-03-01",
            "装表示数总": "0",
            "电价代码": "MX-RES-1",
            "电价生效日期": "2024-03-01",
        }
        seen: list[int] = []
        report = import_archive_rows(
            ctx, actor="admin", kind="accounts", rows=[zh], source_name="demo", progress=seen.append
        )
        assert (report.rows, report.created["account"], report.already_imported) == (1, 1, False)
        assert seen[0] == 0 and seen[-1] == 1


class TestARefusedFileWritesNothing:
    def test_one_bad_row_among_good_ones_is_named_and_nothing_at_all_is_written(
        self, ctx: AppContext
    ) -> None:
        books_and_areas(ctx)
        before = table_counts(ctx)
        with pytest.raises(InputRefused) as refused:
            import_accounts(ctx, account(1), account(2), account(3, opened_on="2024-02-30"), account(4))
        assert [(p.row, p.column) for p in refused.value.problems] == [(3, "opened_on")]
        assert "accounts.csv" in refused.value.summary
        assert table_counts(ctx) == before

    def test_cell_problems_and_archive_problems_are_reported_together(self, ctx: AppContext) -> None:
        books_and_areas(ctx)
        assert refusal(ctx, account(1, contract_capacity_kva="x"), account(2, route_book="RB404")) == [
            (1, "contract_capacity_kva"),
            (2, "route_book"),
        ]

    def test_an_area_that_does_not_exist_is_named(self, ctx: AppContext) -> None:
        books_and_areas(ctx)
        assert refusal(ctx, account(1), account(2, transformer_area="TA404")) == [(2, "transformer_area")]

    def test_a_meter_reader_may_not_import_and_nothing_is_written(self, ctx: AppContext) -> None:
        before = table_counts(ctx)
        with pytest.raises(PermissionDenied, match=r"archive\.import"):
            import_archive_file(
                ctx, actor="meter_reader", kind="route-books", path=EXAMPLES / "route-books.csv"
            )
        assert table_counts(ctx) == before

    def test_an_unknown_kind_is_refused(self, ctx: AppContext) -> None:
        with pytest.raises(InputRefused, match="unknown kind"):
            import_archive_rows(ctx, actor="admin", kind="meters", rows=[{"code": "x"}], source_name="x")

    def test_a_meter_number_or_address_already_archived_is_refused(self, ctx: AppContext) -> None:
        books_and_areas(ctx)
        import_accounts(ctx, account(1))
        assert refusal(ctx, account(2, meter_no=account(1)["meter_no"], meter_address="110000000001")) == [
            (1, "meter_no"),
            (1, "meter_address"),
        ]

    def test_an_archived_customer_given_with_another_name_is_refused(self, ctx: AppContext) -> None:
        books_and_areas(ctx)
        import_accounts(ctx, account(1))
        assert refusal(ctx, account(2, customer_code="C000001", customer_name="张三")) == [
            (1, "customer_name")
        ]


class TestImportingAgain:
    def test_importing_the_same_file_again_changes_nothing(self, ctx: AppContext) -> None:
        books_and_areas(ctx)
        first = import_archive_file(ctx, actor="admin", kind="accounts", path=EXAMPLES / "accounts.csv")
        before = table_counts(ctx)
        again = import_archive_file(ctx, actor="admin", kind="accounts", path=EXAMPLES / "accounts.csv")
        assert (again.already_imported, again.batch_id, again.rows) == (True, first.batch_id, 4)
        assert set(again.created.values()) == {0}
        assert table_counts(ctx) == before

    def test_the_same_rows_in_another_format_and_file_name_are_recognised(
        self, ctx: AppContext, tmp_path: Path
    ) -> None:
        books_and_areas(ctx)
        import_example(ctx, "accounts")
        export_archive(ctx, actor="admin", kind="accounts", path=tmp_path / "copy.xlsx")
        again = import_archive_file(ctx, actor="admin", kind="accounts", path=tmp_path / "copy.xlsx")
        assert again.already_imported

    def test_a_new_file_skips_rows_archived_with_identical_data_and_adds_the_rest(
        self, ctx: AppContext
    ) -> None:
        books_and_areas(ctx)
        import_accounts(ctx, account(1), account(2))
        report = import_archive_rows(
            ctx, actor="admin", kind="accounts", rows=[account(1), account(3)], source_name="more.csv"
        )
        assert (report.rows, report.created["account"], report.created["customer"]) == (2, 1, 1)

    def test_a_new_file_with_an_archived_account_whose_data_differs_is_refused_whole(
        self, ctx: AppContext
    ) -> None:
        books_and_areas(ctx)
        import_accounts(ctx, account(1))
        before = table_counts(ctx)
        assert refusal(ctx, account(1, phone="0471-0000000"), account(3)) == [(1, "phone")]
        assert table_counts(ctx) == before

    def test_a_file_copied_under_another_name_is_still_recognised(
        self, ctx: AppContext, tmp_path: Path
    ) -> None:
        shutil.copy(EXAMPLES / "route-books.csv", tmp_path / "抄表段.csv")
        first = import_example(ctx, "route-books")
        again = import_archive_file(ctx, actor="admin", kind="route-books", path=tmp_path / "抄表段.csv")
        assert (again.already_imported, again.batch_id) == (True, first)
        with ctx.sessions() as session:
            assert (
                len(session.scalars(select(AuditRecord).where(AuditRecord.action == "archive.import")).all())
                == 1
            )


class TestBulkWriting:
    def test_several_thousand_accounts_in_several_chunks_keep_their_links(
        self, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(archive_write, "WRITE_CHUNK", 1000)
        books_and_areas(ctx)
        rows = [
            account(n, customer_code=f"C{n // 2:06d}", customer_name=f"客户{n // 2}") for n in range(1, 2501)
        ]
        report = import_archive_rows(ctx, actor="admin", kind="accounts", rows=rows, source_name="big.csv")
        assert (report.created["account"], report.created["customer"]) == (2500, 1251)
        with ctx.sessions() as session:
            pairs = session.execute(
                select(Account.account_no, ServicePoint.code, Meter.meter_no)
                .join(ServicePoint, ServicePoint.account_id == Account.id)
                .join(MeterInstall, MeterInstall.service_point_id == ServicePoint.id)
                .join(Meter, Meter.id == MeterInstall.meter_id)
            ).all()
        assert len(pairs) == 2500
        assert all(point == f"SP{no}" and meter == f"M{int(no[2:]):07d}" for no, point, meter in pairs)

    def test_the_sample_account_is_the_first_sample_row(self) -> None:
        assert account(1) == ACCOUNT
