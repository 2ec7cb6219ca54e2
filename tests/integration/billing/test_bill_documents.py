"""Bill documents from the database, on SQLite and PostgreSQL: `load_document` gathers the bill,
its lines, the account, the readings behind its determinant and twelve months of usage;
`write_documents` writes one account's or a whole route book's PDF and HTML with one audit record
per batch — or nothing at all."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, update

from archive_factory import small_archive
from meter2cash.billing import document_service
from meter2cash.billing.bill_model import Bill, BillLine
from meter2cash.billing.bill_run import run_bills
from meter2cash.billing.catalog import load_catalog
from meter2cash.billing.catalog_files import bundled_catalog_path
from meter2cash.billing.document_fonts import FONT_CANDIDATES, CjkFontMissing
from meter2cash.billing.document_service import write_documents
from meter2cash.billing.documents import Letterhead, load_document
from meter2cash.platform.audit import AuditRecord, verify_chain
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.platform.errors import InputRefused, NotFound
from meter2cash.reading.model import BillingDeterminant
from meter2cash.registry.model import Account, Customer, RouteBook

PERIOD = "2026-06"
HISTORY = {"2025-09": "180", "2026-01": "260", "2026-03": "240", "2026-05": "210"}
needs_font = pytest.mark.skipif(
    not any(p.is_file() for p in FONT_CANDIDATES),
    reason="no Noto Sans CJK font file (apt-get install fonts-noto-cjk; .ci/run installs it)",
)


def segment(meter_no: str, opening: str, closing: str, quality: str = "actual") -> dict[str, object]:
    """One meter segment as reading.closing stores it in a determinant's detail."""
    empty = {"sharp": None, "peak": None, "flat": None, "valley": None}
    return {
        "meter_no": meter_no,
        "multiplier": "1",
        "opening": {"total": opening, **empty},
        "closing": {"total": closing, **empty},
        "opening_quality": "actual",
        "closing_quality": quality,
    }


def bureau(ctx: AppContext, *, accounts: int = 3) -> dict[str, int]:
    """Accounts A0001… of route book RB01 with June determinants (A0002's closing read estimated),
    some months of history, and draft bills priced by a bill run."""
    small_archive(ctx, accounts=accounts)
    load_catalog(ctx, actor="manager", path=bundled_catalog_path())
    with unit_of_work(ctx.sessions) as session:
        ids = {a.account_no: a.id for a in session.scalars(select(Account))}
        first = session.get(Customer, session.get(Account, ids["A0001"]).customer_id)  # type: ignore[union-attr]
        assert first is not None
        first.name, first.address = "<script>张三</script>", "呼和浩特市新城区示例路1号"
        for number, account_id in ids.items():
            meter = "M" + number[1:]
            quality = "estimated" if number == "A0002" else "actual"
            session.add(
                BillingDeterminant(
                    account_id=account_id,
                    period=PERIOD,
                    start_on=date(2026, 5, 15),
                    end_on=date(2026, 6, 15),
                    days=31,
                    kwh_total=Decimal(300),
                    quality=quality,
                    detail=json.dumps([segment(meter, "1100.00", "1400.00", quality)]),
                    computed_by="billing_clerk",
                )
            )
            for month, kwh in HISTORY.items():
                year, number_of_month = int(month[:4]), int(month[5:])
                session.add(
                    BillingDeterminant(
                        account_id=account_id,
                        period=month,
                        start_on=date(year, number_of_month, 1),
                        end_on=date(year, number_of_month, 28),
                        days=27,
                        kwh_total=Decimal(kwh),
                        quality="actual",
                        detail="[]",
                        computed_by="billing_clerk",
                    )
                )
    run_bills(ctx, actor="billing_clerk", period=PERIOD)
    return ids


def bill_id(ctx: AppContext, account_id: int) -> int:
    with unit_of_work(ctx.sessions) as session:
        found = session.scalar(select(Bill.id).where(Bill.account_id == account_id, Bill.period == PERIOD))
    assert found is not None
    return found


def audit_of(ctx: AppContext) -> list[AuditRecord]:
    with unit_of_work(ctx.sessions) as session:
        records = list(session.scalars(select(AuditRecord).where(AuditRecord.action == "bill.document")))
        session.expunge_all()
    return records


class TestLoadingADocument:
    def test_everything_on_the_bill_comes_from_the_database(self, ctx: AppContext) -> None:
        ids = bureau(ctx)
        with unit_of_work(ctx.sessions) as session:
            document = load_document(
                session,
                bill_id=bill_id(ctx, ids["A0001"]),
                letterhead=Letterhead(bureau_name="包头供电局"),
                printed_on=date(2026, 6, 20),
            )
            lines = list(
                session.scalars(
                    select(BillLine)
                    .join(Bill, Bill.id == BillLine.bill_id)
                    .where(Bill.account_id == ids["A0001"])
                    .order_by(BillLine.seq)
                )
            )
        assert document.bureau_name == "包头供电局" and document.account_no == "A0001"
        assert document.customer_name == "<script>张三</script>"
        assert document.address == "呼和浩特市新城区示例路1号"
        assert document.route_book == "RB01" and document.category_zh == "居民生活"
        assert (document.start_on, document.end_on, document.days) == (
            date(2026, 5, 15),
            date(2026, 6, 15),
            31,
        )
        assert [(line.code, line.amount, line.rule) for line in document.lines] == [
            (line.code, line.amount, line.rule) for line in lines
        ]
        assert document.total == sum(line.amount for line in lines) == document.amount_due
        (reading,) = document.readings
        assert (reading.meter_no, reading.register_zh, reading.kwh) == ("M0001", "总", Decimal("300.00"))
        assert reading.previous == Decimal("1100.00") and reading.current_quality_zh == "实抄"
        assert document.state == "draft" and document.due_on is None and not document.issued

    def test_the_chart_has_twelve_months_with_the_history_it_found(self, ctx: AppContext) -> None:
        ids = bureau(ctx)
        with unit_of_work(ctx.sessions) as session:
            document = load_document(session, bill_id=bill_id(ctx, ids["A0001"]))
        usage = {u.period: u.kwh for u in document.usage}
        assert next(iter(usage)) == "2025-07" and list(usage)[-1] == PERIOD and len(usage) == 12
        assert usage["2025-09"] == Decimal(180) and usage["2026-05"] == Decimal(210)
        assert usage[PERIOD] == Decimal(300) and usage["2026-02"] is None

    def test_an_estimated_reading_is_flagged(self, ctx: AppContext) -> None:
        ids = bureau(ctx)
        with unit_of_work(ctx.sessions) as session:
            document = load_document(session, bill_id=bill_id(ctx, ids["A0002"]))
        assert document.estimated and document.readings[0].current_quality_zh == "估抄"

    def test_an_issued_bill_has_its_number_and_due_date(self, ctx: AppContext, tmp_path: Path) -> None:
        ids = bureau(ctx, accounts=1)
        issued = bill_id(ctx, ids["A0001"])
        with unit_of_work(ctx.sessions) as session:
            session.execute(
                update(Bill)
                .where(Bill.id == issued)
                .values(
                    state="issued",
                    bill_no="MX2606000007",
                    issued_on=date(2026, 6, 20),
                    due_on=date(2026, 7, 10),
                )
            )
        with unit_of_work(ctx.sessions) as session:
            document = load_document(session, bill_id=issued)
        assert document.issued and document.bill_no == "MX2606000007"
        assert (document.issued_on, document.due_on) == (date(2026, 6, 20), date(2026, 7, 10))
        report = write_documents(
            ctx,
            actor="cashier",
            period=PERIOD,
            account_no="A0001",
            out_dir=tmp_path / "out",
            formats=("html",),
        )
        (path,) = report.files
        assert path.name == "MX2606000007.html" and "2026年7月10日" in path.read_text(encoding="utf-8")

    def test_an_unknown_bill_is_not_found(self, ctx: AppContext) -> None:
        with unit_of_work(ctx.sessions) as session, pytest.raises(NotFound):
            load_document(session, bill_id=999_999)


class TestWritingDocuments:
    @needs_font
    def test_one_account_as_pdf_and_html(self, ctx: AppContext, tmp_path: Path) -> None:
        bureau(ctx)
        out = tmp_path / "out"
        report = write_documents(ctx, actor="billing_clerk", period=PERIOD, account_no="A0001", out_dir=out)
        assert report.bills == 1
        assert sorted(p.name for p in out.iterdir()) == ["A0001_2026-06.html", "A0001_2026-06.pdf"]
        assert (out / "A0001_2026-06.pdf").read_bytes().startswith(b"%PDF-")
        html = (out / "A0001_2026-06.html").read_text(encoding="utf-8")
        assert "&lt;script&gt;张三&lt;/script&gt;" in html and "<script>" not in html
        (record,) = audit_of(ctx)
        after = json.loads(record.after or "{}")
        assert record.actor == "billing_clerk" and record.object_id == "2026-06/account:A0001"
        assert after["bills"] == 1 and after["files"] == 2 and after["formats"] == ["pdf", "html"]
        assert len(after["sha256"]) == 64

    @needs_font
    def test_a_whole_route_book_in_one_audited_batch(self, ctx: AppContext, tmp_path: Path) -> None:
        ids = bureau(ctx)
        out = tmp_path / "out"
        report = write_documents(
            ctx, actor="reviewer", period=PERIOD, route_book="RB01", out_dir=out, formats=("pdf",)
        )
        assert report.bills == 3
        assert [p.name for p in report.files] == [f"A000{i}_2026-06.pdf" for i in (1, 2, 3)]
        assert all(p.stat().st_size < 400_000 for p in report.files)
        assert sorted(p.name for p in out.iterdir()) == [p.name for p in report.files]  # no staging left
        (record,) = audit_of(ctx)
        after = json.loads(record.after or "{}")
        assert after["bill_ids"] == [bill_id(ctx, ids[n]) for n in ("A0001", "A0002", "A0003")]
        with unit_of_work(ctx.sessions) as session:
            assert verify_chain(session).ok

    def test_html_alone_needs_no_font(self, ctx: AppContext, tmp_path: Path) -> None:
        bureau(ctx, accounts=1)
        no_font = dataclasses.replace(
            ctx, settings=ctx.settings.model_copy(update={"cjk_font": tmp_path / "missing.ttc"})
        )
        report = write_documents(
            no_font, actor="cashier", period=PERIOD, account_no="A0001", out_dir=tmp_path, formats=("html",)
        )
        assert [p.suffix for p in report.files] == [".html"]

    def test_without_the_font_no_pdf_and_nothing_written(self, ctx: AppContext, tmp_path: Path) -> None:
        bureau(ctx, accounts=1)
        no_font = dataclasses.replace(
            ctx, settings=ctx.settings.model_copy(update={"cjk_font": tmp_path / "missing.ttc"})
        )
        out = tmp_path / "out"
        with pytest.raises(CjkFontMissing, match=r"missing\.ttc"):
            write_documents(no_font, actor="billing_clerk", period=PERIOD, account_no="A0001", out_dir=out)
        assert not out.exists() and audit_of(ctx) == []

    def test_when_the_batch_fails_half_way_no_document_is_left(
        self, ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        bureau(ctx)
        moved: list[str] = []
        real_replace = document_service.os.replace

        def replace_then_fail(source: Path, target: Path) -> None:
            if moved:
                raise OSError("disk full")
            real_replace(source, target)
            moved.append(Path(target).name)

        monkeypatch.setattr(document_service.os, "replace", replace_then_fail)
        out = tmp_path / "out"
        with pytest.raises(OSError, match="disk full"):
            write_documents(
                ctx, actor="billing_clerk", period=PERIOD, route_book="RB01", out_dir=out, formats=("html",)
            )
        assert moved == ["A0001_2026-06.html"]
        assert list(out.iterdir()) == [] and audit_of(ctx) == []

    def test_unknown_route_book_account_or_period_is_not_found(self, ctx: AppContext, tmp_path: Path) -> None:
        bureau(ctx, accounts=1)
        for scope in ({"route_book": "NOPE"}, {"account_no": "A9999"}):
            with pytest.raises(NotFound):
                write_documents(
                    ctx, actor="billing_clerk", period=PERIOD, out_dir=tmp_path, formats=("html",), **scope
                )
        with pytest.raises(NotFound, match="2026-07"):
            write_documents(
                ctx,
                actor="billing_clerk",
                period="2026-07",
                route_book="RB01",
                out_dir=tmp_path,
                formats=("html",),
            )
        assert audit_of(ctx) == []

    def test_bad_input_is_refused_with_every_problem(self, ctx: AppContext, tmp_path: Path) -> None:
        with pytest.raises(InputRefused) as refused:
            write_documents(
                ctx,
                actor="billing_clerk",
                period="June",
                route_book="RB01",
                account_no="A0001",
                out_dir=tmp_path,
                formats=("docx",),
            )
        assert {p.column for p in refused.value.problems} == {"period", "scope", "format"}

    def test_only_a_route_book_of_the_bureau_is_written(self, ctx: AppContext, tmp_path: Path) -> None:
        bureau(ctx, accounts=2)
        with unit_of_work(ctx.sessions) as session:
            session.add(RouteBook(code="RB02", name="二段", reading_day=20))
        with pytest.raises(NotFound):
            write_documents(
                ctx,
                actor="billing_clerk",
                period=PERIOD,
                route_book="RB02",
                out_dir=tmp_path,
                formats=("html",),
            )
