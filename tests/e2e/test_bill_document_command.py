"""``m2c bill document`` through the real executable: a clerk writes one account's PDF and a route
book's PDF and HTML, and reads what was written."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from archive_factory import small_archive
from cli_runner import run_m2c
from meter2cash.billing.catalog import load_catalog
from meter2cash.billing.catalog_files import bundled_catalog_path
from meter2cash.billing.document_fonts import FONT_CANDIDATES
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.reading.model import BillingDeterminant
from meter2cash.registry.model import Account

needs_font = pytest.mark.skipif(
    not any(p.is_file() for p in FONT_CANDIDATES),
    reason="no Noto Sans CJK font file (apt-get install fonts-noto-cjk; .ci/run installs it)",
)


def bureau(ctx: AppContext) -> None:
    small_archive(ctx, accounts=2)
    load_catalog(ctx, actor="manager", path=bundled_catalog_path())
    with unit_of_work(ctx.sessions) as session:
        for account in session.scalars(select(Account).order_by(Account.id)):
            session.add(
                BillingDeterminant(
                    account_id=account.id,
                    period="2026-06",
                    start_on=date(2026, 5, 15),
                    end_on=date(2026, 6, 15),
                    days=31,
                    kwh_total=Decimal(300),
                    quality="actual",
                    detail="[]",
                    computed_by="billing_clerk",
                )
            )
    assert run_m2c(ctx, "bill", "run", "--period", "2026-06", user="billing_clerk").returncode == 0


@needs_font
def test_a_clerk_writes_one_accounts_pdf(ctx: AppContext, tmp_path: Path) -> None:
    bureau(ctx)
    out = tmp_path / "bills"
    done = run_m2c(
        ctx, "bill", "document", "--period", "2026-06", "--account", "A0001", "--output", str(out),
        user="billing_clerk",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert str(out / "A0001_2026-06.pdf") in done.stdout and "1 个文件" in done.stdout
    assert (out / "A0001_2026-06.pdf").read_bytes().startswith(b"%PDF-")


@needs_font
def test_a_route_book_as_pdf_and_html_with_json(ctx: AppContext) -> None:
    bureau(ctx)
    done = run_m2c(
        ctx, "bill", "document", "--period", "2026-06", "--route-book", "RB01", "--format", "both", "--json",
        user="reviewer",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    default = Path(ctx.settings.data_dir) / "documents" / "2026-06"
    assert report["bills"] == 2 and report["out_dir"] == str(default)
    assert [Path(f).name for f in report["files"]] == [
        "A0001_2026-06.pdf",
        "A0001_2026-06.html",
        "A0002_2026-06.pdf",
        "A0002_2026-06.html",
    ]
    assert all(Path(f).is_file() for f in report["files"])


def test_html_alone(ctx: AppContext, tmp_path: Path) -> None:
    bureau(ctx)
    done = run_m2c(
        ctx, "bill", "document", "--period", "2026-06", "--account", "A0002", "--format", "html",
        "--output", str(tmp_path / "out"), user="cashier",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "out" / "A0002_2026-06.html").read_text(encoding="utf-8")
    assert "电费通知单" in html and "A0002" in html and "<svg" in html


def test_an_account_or_a_route_book_must_be_given(ctx: AppContext) -> None:
    for scope in ([], ["--account", "A0001", "--route-book", "RB01"]):
        done = run_m2c(ctx, "bill", "document", "--period", "2026-06", *scope, user="billing_clerk")
        assert done.returncode == 2 and "--account" in done.stderr


def test_an_unknown_format_is_wrong_usage(ctx: AppContext) -> None:
    done = run_m2c(
        ctx, "bill", "document", "--period", "2026-06", "--account", "A0001", "--format", "docx", "--json",
        user="billing_clerk",
    )  # fmt: skip
    assert done.returncode == 2 and json.loads(done.stdout)["error"] == "bad_input"


def test_an_account_without_a_bill_is_not_found(ctx: AppContext) -> None:
    bureau(ctx)
    done = run_m2c(
        ctx, "bill", "document", "--period", "2026-07", "--account", "A0001", "--format", "html",
        user="billing_clerk",
    )  # fmt: skip
    assert done.returncode == 6 and "A0001" in done.stderr
