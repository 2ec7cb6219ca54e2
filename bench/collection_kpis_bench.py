"""Benchmark: `m2c collect kpis` (collection_kpis) on a ledger of 20,000 accounts × 12 months.

Builds a fresh database (SQLite by default, or ``--database-url`` naming an empty PostgreSQL
database), writes straight into it a year of issued bills (2026-01 … 2026-12, one per account and
month), their ledger postings, payments on the four channels (most on time, some late, some in
part, some never) and a late-fee charge on every unpaid bill, then times ``collection_kpis`` for a
past period and for the last one. Results go to bench/results/collection_kpis.json.
Target: under 2 s per report.

    .venv/bin/python bench/collection_kpis_bench.py [--accounts 20000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, insert, text

from meter2cash.billing.bill_model import Bill, BillRun, Receivable
from meter2cash.collection.collection_kpis import collection_kpis
from meter2cash.collection.ledger_model import LedgerEntry, LedgerTxn, Payment
from meter2cash.platform.clock import FixedClock
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import make_engine, unit_of_work
from meter2cash.platform.migrate import upgrade
from meter2cash.platform.permissions import Role
from meter2cash.platform.settings import Settings
from meter2cash.platform.users import create_user
from meter2cash.reading.model import BillingDeterminant
from meter2cash.registry.model import Account, Customer, RouteBook, TransformerArea

RESULTS = Path(__file__).resolve().parent / "results" / "collection_kpis.json"
NOW = datetime(2027, 1, 10, 2, 0, tzinfo=UTC)
TODAY = date(2027, 1, 10)
CHANNELS = (
    ("counter", "cash", "counter", "cash"),
    ("bank_withholding", "debit", "ICBC", "bank_clearing:ICBC"),
    ("agent", "online", "wechat", "agent_clearing:wechat"),
    ("portal", "online", "test", "gateway_clearing:test"),
)
TARGET_SECONDS = 2.0


def chunks(rows: list[dict[str, Any]], size: int = 20_000) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def write(ctx: AppContext, table: Any, rows: list[dict[str, Any]]) -> None:
    target: Table = table.__table__
    for part in chunks(rows):
        with unit_of_work(ctx.sessions) as session:
            session.execute(insert(target), part)


def build(ctx: AppContext, *, accounts: int) -> dict[str, int]:
    with unit_of_work(ctx.sessions) as session:
        create_user(
            session,
            actor="setup",
            at=NOW,
            username="manager",
            display_name="manager",
            password="password-manager",
            roles={Role.MANAGER},
        )
        session.add_all(
            [
                RouteBook(id=1, code="RB", name="段", reading_day=15),
                TransformerArea(id=1, code="TA", name="台区", capacity_kva=Decimal(400)),
            ]
        )
    write(ctx, Customer, [{"id": a, "code": f"C{a:06d}", "name": f"客户{a}"} for a in range(1, accounts + 1)])
    write(
        ctx,
        Account,
        [
            {
                "id": a,
                "account_no": f"15{a:08d}",
                "customer_id": a,
                "category": "residential",
                "voltage_level": "220V",
                "contract_capacity_kva": Decimal(8),
                "pf_standard": "none",
                "payment_mode": "postpaid",
                "important": False,
                "low_income": False,
                "status": "active",
                "route_book_id": 1,
                "transformer_area_id": 1,
                "opened_on": date(2025, 1, 1),
            }
            for a in range(1, accounts + 1)
        ],
    )
    determinants: list[dict[str, Any]] = []
    bills: list[dict[str, Any]] = []
    receivables: list[dict[str, Any]] = []
    payments: list[dict[str, Any]] = []
    txns: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    write(
        ctx,
        BillRun,
        [
            {
                "id": m,
                "period": f"2026-{m:02d}",
                "scope": "*",
                "state": "done",
                "started_by": "clerk",
                "started_at": "t",
            }
            for m in range(1, 13)
        ],
    )

    def txn(
        kind: str, source: str, day: date, lines: list[tuple[str, Decimal, int, int | None, int | None]]
    ) -> None:
        txn_id = len(txns) + 1
        txns.append(
            {
                "id": txn_id,
                "kind": kind,
                "source": source,
                "business_day": day,
                "posted_at": NOW,
                "actor": "bench",
                "batch": None,
                "memo": None,
            }
        )
        for code, amount, account_id, receivable_id, payment_id in lines:
            entries.append(
                {
                    "id": len(entries) + 1,
                    "txn_id": txn_id,
                    "gl": code,
                    "account_id": account_id,
                    "receivable_id": receivable_id,
                    "payment_id": payment_id,
                    "amount": amount,
                }
            )

    def pay(account: int, receivable: int, amount: Decimal, day: date, channel: int) -> None:
        name, method, source, clearing = CHANNELS[channel]
        payment_id = len(payments) + 1
        payments.append(
            {
                "id": payment_id,
                "account_id": account,
                "channel": name,
                "method": method,
                "source": source,
                "amount": amount,
                "paid_on": day,
                "received_at": NOW,
                "received_on": day,
                "channel_ref": None,
                "idempotency_key": f"b{payment_id}",
                "receipt_no": None,
                "batch": None,
                "actor": "bench",
                "payer": None,
            }
        )
        txn(
            "payment",
            f"payment:{payment_id}",
            day,
            [
                (clearing, amount, account, None, payment_id),
                ("receivable", -amount, account, receivable, payment_id),
            ],
        )

    for m in range(1, 13):
        period = f"2026-{m:02d}"
        issued = date(2026, m, 20)
        due = issued + timedelta(days=15)
        for a in range(1, accounts + 1):
            n = (m - 1) * accounts + a
            amount = Decimal(50 + (a * 37 + m * 11) % 900) + Decimal(a % 100) / 100
            determinants.append(
                {
                    "id": n,
                    "account_id": a,
                    "period": period,
                    "start_on": issued - timedelta(30),
                    "end_on": issued,
                    "days": 30,
                    "kwh_total": Decimal(100),
                    "quality": "actual",
                    "detail": "{}",
                    "computed_by": "bench",
                }
            )
            bill_no = f"{period}-{a:06d}"
            bills.append(
                {
                    "id": n,
                    "account_id": a,
                    "period": period,
                    "kind": "regular",
                    "state": "issued",
                    "run_id": m,
                    "determinant_id": n,
                    "tariff_version": "bench",
                    "start_on": issued - timedelta(30),
                    "end_on": issued,
                    "kwh": Decimal(100),
                    "total": amount,
                    "quality": "actual",
                    "computed_by": "bench",
                    "computed_at": "t",
                    "bill_no": bill_no,
                    "issued_on": issued,
                    "issued_by": "bench",
                    "due_on": due,
                }
            )
            receivables.append(
                {
                    "id": n,
                    "bill_id": n,
                    "account_id": a,
                    "bill_no": bill_no,
                    "period": period,
                    "amount": amount,
                    "issued_on": issued,
                    "due_on": due,
                }
            )
            txn(
                "bill",
                f"bill:{bill_no}",
                issued,
                [("receivable", amount, a, n, None), ("revenue:residential", -amount, a, n, None)],
            )
            outcome = (a * 7 + m) % 20
            late = due + timedelta(days=20)
            if outcome <= 13:
                pay(a, n, amount, issued + timedelta(days=5), outcome % 4)
            elif outcome <= 16 and late <= TODAY:
                pay(a, n, amount, late, outcome % 4)
            elif outcome == 17:
                pay(a, n, (amount / 2).quantize(Decimal("0.01")), issued + timedelta(days=5), outcome % 4)
            else:
                fee = Decimal("1.00") + Decimal(a % 50) / 10
                txn(
                    "late_fee",
                    f"late_fee:{bill_no}",
                    min(due + timedelta(days=25), TODAY),
                    [("late_fee_receivable", fee, a, n, None), ("late_fee_income", -fee, a, n, None)],
                )
    write(ctx, BillingDeterminant, determinants)
    write(ctx, Bill, bills)
    write(ctx, Receivable, receivables)
    write(ctx, Payment, payments)
    with unit_of_work(ctx.sessions) as session:  # one transaction: PostgreSQL checks the balance at commit
        for table, rows in (
            (cast(Table, LedgerTxn.__table__), txns),
            (cast(Table, LedgerEntry.__table__), entries),
        ):
            for part in chunks(rows):
                session.execute(insert(table), part)
    return {
        "receivables": len(receivables),
        "payments": len(payments),
        "ledger_txns": len(txns),
        "ledger_entries": len(entries),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument(
        "--database-url", default=None, help="An empty PostgreSQL database; SQLite by default."
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        ctx = AppContext.create(
            engine=make_engine(url),
            clock=FixedClock(NOW),
            settings=Settings(data_dir=Path(tmp), database_url=url),
        )
        upgrade(ctx.engine)
        started = time.perf_counter()
        sizes = build(ctx, accounts=args.accounts)
        build_s = time.perf_counter() - started
        if ctx.engine.dialect.name == "postgresql":  # what autovacuum does after such a load
            with ctx.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
        timings: dict[str, dict[str, object]] = {}
        for period in ("2026-06", "2026-12"):
            seconds = []
            for _run in range(args.runs):
                started = time.perf_counter()
                kpis = collection_kpis(ctx, actor="manager", period=period, top=10)
                seconds.append(time.perf_counter() - started)
            timings[period] = {
                "median_s": round(statistics.median(seconds), 3),
                "runs_s": [round(s, 3) for s in seconds],
                "recovery_rate_pct": str(kpis.recovery_rate_pct),
                "aging_principal": str(kpis.aging.total),
            }
        ctx.engine.dispose()
    result = {
        "benchmark": "collection_kpis",
        "backend": url.split(":", 1)[0],
        "accounts": args.accounts,
        "months": 12,
        **sizes,
        "build_s": round(build_s, 1),
        "reports": timings,
        "target_s": TARGET_SECONDS,
        "met": all(float(str(t["median_s"])) < TARGET_SECONDS for t in timings.values()),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
