"""Reading file import (抄表文件导入): a file is stored whole, with its checks, or refused whole."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from archive_factory import small_archive
from cli_runner import run_m2c
from meter2cash.platform.audit import AuditRecord, verify_chain
from meter2cash.platform.context import AppContext
from meter2cash.platform.errors import InputRefused
from meter2cash.platform.users import PermissionDenied
from meter2cash.reading.exceptions import exception_queue
from meter2cash.reading.file_import import import_reading_file
from meter2cash.reading.model import MeterReading, ReadingBatch, ReadingException, ReadingTask
from meter2cash.reading.plans import plan_period

D = Decimal
GOOD = (
    "meter_no,read_at,total,reader\nM0001,2025-02-15 10:30,250.00,张三\nM0002,2025-02-14 09:00,180.50,张三\n"
)


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reasons are compared as their English message ids."""
    monkeypatch.setenv("M2C_LANG", "en")


def planned(ctx: AppContext, *, accounts: int = 2) -> None:
    small_archive(ctx, accounts=accounts)
    plan_period(ctx, actor="billing_clerk", period="2025-02")
    ctx.clock.instant = datetime(2025, 2, 16, 4, tzinfo=UTC)  # type: ignore[attr-defined]


def write(tmp_path: Path, text: str, *, name: str = "readings.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def counts(ctx: AppContext) -> tuple[int, int, int]:
    with ctx.sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(MeterReading)) or 0,
            session.scalar(select(func.count()).select_from(ReadingBatch)) or 0,
            session.scalar(select(func.count()).select_from(ReadingException)) or 0,
        )


class TestAGoodFile:
    def test_its_readings_are_stored_checked_and_linked_to_the_periods_tasks(
        self, ctx: AppContext, tmp_path: Path
    ) -> None:
        planned(ctx)
        report = import_reading_file(ctx, actor="meter_reader", path=write(tmp_path, GOOD))
        with ctx.sessions() as session:
            readings = {r.meter_id: r for r in session.scalars(select(MeterReading))}
            tasks = session.scalars(select(ReadingTask).order_by(ReadingTask.meter_id)).all()
            batch = session.scalars(select(ReadingBatch)).one()
            audit = session.scalars(select(AuditRecord).where(AuditRecord.action == "reading.import")).one()
            assert verify_chain(session).ok
        assert (report.received, report.stored, report.billable, report.exceptions) == (2, 2, 2, 0)
        assert [(t.state, t.reading_id) for t in tasks] == [("read", readings[t.meter_id].id) for t in tasks]
        assert {r.total for r in readings.values()} == {D("250.00"), D("180.50")}
        assert {(r.source, r.quality, r.status, r.batch_id) for r in readings.values()} == {
            ("handheld", "actual", "valid", batch.id)
        }
        assert (batch.kind, batch.name, batch.rows) == ("file", "readings.csv", 2)
        assert (audit.object_type, audit.object_id) == ("reading_batch", str(batch.id))
        assert json.loads(audit.after or "{}")["readers"] == ["张三"]

    def test_a_gbk_file_with_chinese_headers_is_read(self, ctx: AppContext, tmp_path: Path) -> None:
        planned(ctx)
        text = "表号,抄表时间,总,来源,抄表员\nM0001,2025/2/15 10:30,250.00,导入,李四\n"
        report = import_reading_file(ctx, actor="meter_reader", path=write(tmp_path, text, encoding="gbk"))
        with ctx.sessions() as session:
            reading = session.scalars(select(MeterReading)).one()
        assert report.stored == 1
        assert (reading.total, reading.source, reading.read_at) == (
            D("250.00"),
            "import",
            "2025-02-15T10:30:00+08:00",
        )

    def test_an_xlsx_workbook_with_date_time_and_number_cells_is_read(
        self, ctx: AppContext, tmp_path: Path
    ) -> None:
        planned(ctx)
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.append(["表号", "抄表时间", "总"])
        sheet.append(["M0001", datetime(2025, 2, 15, 10, 30), 250.5])  # noqa: DTZ001
        sheet.append(["M0002", datetime(2025, 2, 15), 180])  # noqa: DTZ001 (midnight shows as a date)
        path = tmp_path / "readings.xlsx"
        workbook.save(path)
        report = import_reading_file(ctx, actor="meter_reader", path=path)
        with ctx.sessions() as session:
            stored = sorted((r.read_at, r.total) for r in session.scalars(select(MeterReading)))
        assert report.stored == 2
        assert stored == [("2025-02-15T00:00:00+08:00", D("180")), ("2025-02-15T10:30:00+08:00", D("250.5"))]


class TestABadFile:
    def test_one_bad_row_refuses_the_whole_file_naming_the_row_and_nothing_is_written(
        self, ctx: AppContext, tmp_path: Path
    ) -> None:
        planned(ctx)
        text = (
            "表号,抄表时间,总\n"
            "M0001,2025-02-15 10:30,250.00\n"
            "M0002,2025-02-15 10:40,12a.5\n"
            "X9999,2025-02-15 10:50,10\n"
            "M0002,2025-02-30 10:00,10\n"
        )
        with pytest.raises(InputRefused) as refused:
            import_reading_file(ctx, actor="meter_reader", path=write(tmp_path, text))
        assert [(p.row, p.column, p.value) for p in refused.value.problems] == [
            (2, "总", "12a.5"),
            (3, "表号", "X9999"),
            (4, "抄表时间", "2025-02-30 10:00"),
        ]
        assert counts(ctx) == (0, 0, 0)

    def test_a_reading_on_a_day_the_meter_was_not_installed_refuses_the_file(
        self, ctx: AppContext, tmp_path: Path
    ) -> None:
        planned(ctx)
        text = "meter_no,read_at,total\nM0001,2024-12-15 10:30,90\nS0001,2025-02-15 10:30,5\n"
        with pytest.raises(InputRefused) as refused:
            import_reading_file(ctx, actor="meter_reader", path=write(tmp_path, text))
        assert [(p.row, p.reason) for p in refused.value.problems] == [
            (1, "meter not installed on that day"),
            (2, "meter not installed on that day"),
        ]
        assert counts(ctx) == (0, 0, 0)

    def test_a_user_who_may_not_enter_readings_is_refused_before_the_file_is_read(
        self, ctx: AppContext, tmp_path: Path
    ) -> None:
        planned(ctx)
        with pytest.raises(PermissionDenied):
            import_reading_file(ctx, actor="reviewer", path=tmp_path / "missing.csv")


class TestImportingAgain:
    def test_the_same_file_again_changes_nothing(self, ctx: AppContext, tmp_path: Path) -> None:
        planned(ctx)
        path = write(tmp_path, GOOD)
        first = import_reading_file(ctx, actor="meter_reader", path=path)
        before = counts(ctx)
        again = import_reading_file(ctx, actor="billing_clerk", path=path)
        assert (again.already_imported, again.batch_id, again.stored) == (True, first.batch_id, 0)
        assert counts(ctx) == before

    def test_the_same_readings_saved_in_gbk_with_chinese_headers_are_recognised(
        self, ctx: AppContext, tmp_path: Path
    ) -> None:
        planned(ctx)
        import_reading_file(ctx, actor="meter_reader", path=write(tmp_path, GOOD))
        resaved = "表号,抄表时间,总\nM0002,2025-02-14 09:00:00,180.5\nM0001,2025-02-15T10:30,250\n"
        again = import_reading_file(ctx, actor="meter_reader", path=write(tmp_path, resaved, encoding="gbk"))
        assert again.already_imported
        assert counts(ctx)[:2] == (2, 1)

    def test_a_new_file_repeating_stored_readings_stores_only_the_new_ones(
        self, ctx: AppContext, tmp_path: Path
    ) -> None:
        planned(ctx, accounts=3)
        import_reading_file(ctx, actor="meter_reader", path=write(tmp_path, GOOD))
        more = GOOD + "M0003,2025-02-15 11:00,150.00,张三\n"
        report = import_reading_file(ctx, actor="meter_reader", path=write(tmp_path, more, name="more.csv"))
        assert (report.received, report.already_stored, report.stored, report.exceptions) == (3, 2, 1, 0)
        assert counts(ctx)[:2] == (3, 2)


class TestFindingsOfTheChecks:
    def test_a_register_that_went_down_is_stored_held_back_with_a_rollback_exception(
        self, ctx: AppContext, tmp_path: Path
    ) -> None:
        planned(ctx)
        text = "meter_no,read_at,total\nM0001,2025-02-15 10:30,99.00\nM0002,2025-02-15 10:40,180.50\n"
        report = import_reading_file(ctx, actor="meter_reader", path=write(tmp_path, text))
        with ctx.sessions() as session:
            (item,) = exception_queue(session, route_book="RB01")
            statuses = sorted(r.status for r in session.scalars(select(MeterReading)))
        assert (report.stored, report.billable, report.held) == (2, 1, 1)
        assert (item.code, item.meter_no, D(item.reading_total or "")) == ("ROLLBACK", "M0001", D("99"))
        assert statuses == ["exception", "valid"]

    def test_a_negative_register_is_an_invalid_exception_not_a_refused_file(
        self, ctx: AppContext, tmp_path: Path
    ) -> None:
        planned(ctx)
        text = "meter_no,read_at,total\nM0001,2025-02-15 10:30,-5\nM0002,2025-02-15 10:40,1234567.5\n"
        report = import_reading_file(ctx, actor="meter_reader", path=write(tmp_path, text))
        with ctx.sessions() as session:
            codes = sorted(i.code for i in exception_queue(session, route_book="RB01"))
        assert (report.received, report.stored, report.exceptions) == (2, 0, 2)
        assert codes == ["INVALID", "INVALID"]


class TestCommandLine:
    def test_m2c_read_import_prints_the_report_and_exits_3_on_a_refused_file(
        self, ctx: AppContext, tmp_path: Path
    ) -> None:
        small_archive(ctx, accounts=2)
        good = run_m2c(ctx, "read", "import", str(write(tmp_path, GOOD)), "--json", user="meter_reader")
        bad = run_m2c(
            ctx,
            "read",
            "import",
            str(write(tmp_path, "表号,抄表时间,总\nM0001,昨天,1\n", name="bad.csv")),
            user="meter_reader",
        )
        assert good.returncode == 0, good.stderr
        assert json.loads(good.stdout) | {"batch_id": 1} == {
            "file": "readings.csv",
            "batch_id": 1,
            "already_imported": False,
            "received": 2,
            "stored": 2,
            "billable": 2,
            "held": 0,
            "already_stored": 0,
            "exceptions": 0,
            "findings_by_code": {},
        }
        assert bad.returncode == 3
        assert "第1行" in bad.stderr and "抄表时间" in bad.stderr
