"""Card-meter reports and reconciliation on SQLite and PostgreSQL: a report file refused whole on
a bad row, and the exceptions for revenue protection — used more than bought, stopped buying while
the meter runs — opened once however often the reconciliation runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from meter2cash.collection.card_reports import import_meter_reports, prepaid_exceptions, reconcile_cards
from meter2cash.collection.card_vend_service import vend_card
from meter2cash.collection.prepaid_files import REPORT_COLUMNS
from meter2cash.collection.prepaid_model import CardMeterReport
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.platform.errors import InputRefused
from meter2cash.platform.i18n import use_lang
from prepaid_bureau import csv_file, prepaid_bureau

HEADER = ",".join(REPORT_COLUMNS)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with use_lang("en"):
        yield


@pytest.fixture
def bureau(ctx: AppContext) -> AppContext:
    prepaid_bureau(ctx, card=["A0001", "A0002"])
    vend_card(
        ctx, actor="cashier", account_no="A0001", card_no="C-1", amount=Decimal("43.10"), idempotency_key="a1"
    )
    vend_card(
        ctx, actor="cashier", account_no="A0002", card_no="C-2", amount=Decimal("43.10"), idempotency_key="a2"
    )
    return ctx


def test_a_report_file_with_a_bad_row_is_refused_whole(bureau: AppContext, tmp_path: Path) -> None:
    path = csv_file(
        tmp_path,
        "bad.csv",
        HEADER,
        [
            "M0001,2026-03-01,kwh,1,100,40,60",
            "M0002,2026-03-01,kwh,one,100,40,60",
            "M0009,2026-03-01,kwh,1,1,1,1",
        ],
    )
    with pytest.raises(InputRefused) as refused:
        import_meter_reports(bureau, actor="billing_clerk", path=path)
    assert [(p.row, p.column) for p in refused.value.problems] == [(2, "purchase_count")]
    with unit_of_work(bureau.sessions) as session:
        assert session.scalar(select(func.count()).select_from(CardMeterReport)) == 0
    unknown = csv_file(tmp_path, "unknown.csv", HEADER, ["M0009,2026-03-01,kwh,1,1,1,1"])
    with pytest.raises(InputRefused, match="nothing was imported"):
        import_meter_reports(bureau, actor="billing_clerk", path=unknown)


def test_a_report_file_imported_twice_changes_nothing(bureau: AppContext, tmp_path: Path) -> None:
    path = csv_file(tmp_path, "r.csv", HEADER, ["M0001,2026-03-01,kwh,1,100,40,60"])
    assert import_meter_reports(bureau, actor="billing_clerk", path=path).added == 1
    again = import_meter_reports(bureau, actor="billing_clerk", path=path)
    assert (again.added, again.unchanged) == (0, 1)


def test_a_meter_that_used_more_than_was_bought_is_an_exception_opened_once(
    bureau: AppContext, tmp_path: Path
) -> None:
    # 43.10 元 bought 100 kWh; the meter has used 130 kWh (tolerance 1 kWh).
    path = csv_file(
        tmp_path, "r.csv", HEADER, ["M0001,2026-03-01,kwh,1,100,-30,130", "M0002,2026-03-01,kwh,1,100,40,60"]
    )
    import_meter_reports(bureau, actor="billing_clerk", path=path)
    result = reconcile_cards(bureau, actor="billing_clerk", as_of=date(2026, 3, 1))
    assert result.accounts == 2
    assert [(e["account_no"], e["kind"]) for e in result.opened] == [("A0001", "used_more_than_bought")]
    assert result.opened[0]["numbers"]["excess"] == "30.0000"
    assert "130" in result.opened[0]["reason"]
    again = reconcile_cards(bureau, actor="billing_clerk", as_of=date(2026, 3, 1))
    assert (again.opened, again.already_open) == ([], 1)
    assert [e["kind"] for e in prepaid_exceptions(bureau, actor="billing_clerk")] == ["used_more_than_bought"]


def test_an_account_that_stops_buying_while_its_meter_runs_is_an_exception(
    bureau: AppContext, tmp_path: Path
) -> None:
    later = date(2026, 3, 1) + timedelta(days=120)
    path = csv_file(
        tmp_path,
        "r.csv",
        HEADER,
        ["M0002,2026-03-01,kwh,1,100,100,0", f"M0002,{later.isoformat()},kwh,1,100,20,80"],
    )
    import_meter_reports(bureau, actor="billing_clerk", path=path)
    result = reconcile_cards(bureau, actor="billing_clerk", as_of=later)
    assert [(e["account_no"], e["kind"]) for e in result.opened] == [
        ("A0002", "stopped_buying_while_running")
    ]
    assert result.opened[0]["numbers"]["growth"] == "80.0000"
