"""Benchmark: posting and allocating bank withholding results (代扣回盘) — 1,000,000 payments against
open bills through `batch_payment_service.import_payment_batch`, what the bank import calls.

The bureau (built straight into a fresh database with COPY on PostgreSQL, executemany on SQLite;
not timed): one account per payment, 90 % residential and 10 % general; every account owes its
February bill (issued 2026-03-05, due 2026-03-31), 15 % also their January bill, overdue since
2026-02-20 with its late fee charged at the month end (so the payment day charges the difference);
1 % of the February bills are issued but not yet posted, and half of those accounts hold
prepayment from an earlier overpayment (so posting applies it). The banks' result files: five
banks, one file each (200,000 rows for 1M), paid on 2026-03-24 or 03-25; 85 % of the payments are
exactly what the account owed when the debit file was made (late-fee accounts then owe the fee of
the last days), 7 % partial, 8 % overpaid.

Timed: the five files, two imported at once (``--workers``: banks' files arrive independently and
lock disjoint accounts; SQLite always one at a time), wall time from the first call to the last
commit; each ``import_payment_batch`` call from its first query to its commit (checks, locks,
posting, late fees, allocation, COPY of payments and ledger lines, audit record, the unit of
work's and PostgreSQL's balance checks). Verified after: every payment posted once, the trial
balance sums to zero, every payment's own lines sum to zero, and a re-import posts nothing.

PostgreSQL: the server in ``M2C_TEST_POSTGRES_URL`` (a database is created and dropped), else the
script re-runs itself under ``scripts/with-postgres`` (a throwaway cluster, fsync=off). Target:
1M payments in under 60 s on PostgreSQL on this machine (2 cores).

Run:  .venv/bin/python bench/collect_payments_bench.py [--payments 1000000] [--sqlite-payments 100000]
      [--files 5] [--workers 2] [--backends postgresql,sqlite] [--profile] [--output FILE]
      (default output: bench/results/collect_payments.json)
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

import meter2cash.billing.bill_model
import meter2cash.reading.model
import meter2cash.registry.model  # noqa: F401 - the tables `load` writes
from meter2cash.collection import gl
from meter2cash.collection.batch_payment_service import import_payment_batch
from meter2cash.collection.batch_payments import BatchPayment
from meter2cash.collection.batch_sql import is_postgres, write_rows
from meter2cash.collection.ledger import trial_balance
from meter2cash.collection.ledger_model import LedgerEntry, Payment
from meter2cash.platform.clock import FixedClock
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import Base, make_engine, unit_of_work
from meter2cash.platform.migrate import upgrade
from meter2cash.platform.permissions import Role
from meter2cash.platform.settings import Settings
from meter2cash.platform.users import create_user

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "collect_payments.json"
PG_ENV = "M2C_TEST_POSTGRES_URL"
NOW = datetime(2026, 3, 26, 2, 0, tzinfo=UTC)  # business day 2026-03-26 in Beijing
BANKS = ("ICBC", "ABC", "BOC", "CCB", "PSBC")
TARGET_S = 60.0
SEED = 20260326
CASHIER = "cashier"


def population(n: int) -> dict[str, Any]:
    """The accounts, their bills and their payments as numpy columns (amounts in fen)."""
    rng = np.random.default_rng(SEED)
    general = rng.random(n) < 0.10
    current = np.where(general, rng.integers(20_000, 500_000, n), rng.integers(2_000, 40_000, n))
    has_prev = rng.random(n) < 0.15
    previous = np.where(general, rng.integers(20_000, 500_000, n), rng.integers(2_000, 40_000, n)) * has_prev
    unposted = rng.random(n) < 0.01
    prepaid = unposted & (rng.random(n) < 0.5)
    prepayment = rng.integers(1_000, 5_000, n) * prepaid
    rate = np.where(general, 2, 1)  # ‰ a day
    month_end_fee = np.maximum((previous * 8 * rate + 500) // 1000, 100) * has_prev  # 8 days, 1 元 minimum
    owed = current + previous + month_end_fee - prepayment
    kind = rng.random(n)
    partial = np.maximum((owed * rng.uniform(0.3, 0.9, n)).astype(np.int64), 1)
    over = owed + rng.integers(100, 5_000, n)
    amount = np.where(kind < 0.85, owed, np.where(kind < 0.92, partial, over))
    amount = np.where(amount > 0, amount, 1_000)
    return {
        "n": n,
        "general": general,
        "current": current,
        "has_prev": has_prev,
        "previous": previous,
        "unposted": unposted,
        "prepaid": prepaid,
        "prepayment": prepayment,
        "fee": month_end_fee,
        "amount": amount,
        "paid_day": rng.integers(0, 2, n),
        "exact": kind < 0.85,
        "partial": (kind >= 0.85) & (kind < 0.92),
    }


def _scaled_text(values: pl.Expr, scale: int) -> pl.Expr:
    return pl.concat_str(
        [
            (values // 10**scale).cast(pl.Utf8),
            pl.lit("."),
            (values % 10**scale).cast(pl.Utf8).str.zfill(scale),
        ]
    )


def load(
    session: Session,
    name: str,
    columns: dict[str, Any],
    *,
    money: tuple[str, ...] = (),
    scaled: dict[str, int] | None = None,
) -> None:
    """Write one table: money in fen, ``scaled`` columns as integers × 10^scale (non-negative)."""
    frame = pl.DataFrame(columns)
    if scaled and is_postgres(session):
        frame = frame.with_columns([_scaled_text(pl.col(c), s).alias(c) for c, s in scaled.items()])
    write_rows(session, table=Base.metadata.tables[name], frame=frame, money=money)


def seed(ctx: AppContext, pop: dict[str, Any]) -> dict[str, int]:
    n = pop["n"]
    ids = np.arange(1, n + 1)
    prev_ids = np.flatnonzero(pop["has_prev"]) + 1
    nos = [f"15{i:09d}" for i in range(1, n + 1)]
    category = np.where(pop["general"], "general", "residential")
    with unit_of_work(ctx.sessions) as session:
        create_user(
            session,
            actor="bench",
            at=NOW,
            username=CASHIER,
            display_name=CASHIER,
            password="pw-cashier",
            roles={Role.CASHIER},
        )
    with unit_of_work(ctx.sessions) as session:
        load(session, "route_book", {"id": [1], "code": ["RB001"], "name": ["一段"], "reading_day": [5]})
        load(
            session,
            "transformer_area",
            {"id": [1], "code": ["TA0001"], "name": ["台区"], "capacity_kva": [400 * 10**4]},
            scaled={"capacity_kva": 4},
        )
        load(
            session,
            "customer",
            {"id": ids, "code": [f"C{s}" for s in nos], "name": [f"客户{s}" for s in nos]},
        )
        load(
            session,
            "account",
            {
                "id": ids,
                "account_no": nos,
                "customer_id": ids,
                "category": category,
                "voltage_level": "220V",
                "contract_capacity_kva": 8 * 10**4,
                "pf_standard": "none",
                "payment_mode": "postpaid",
                "important": False if is_postgres(session) else 0,
                "low_income": False if is_postgres(session) else 0,
                "status": "active",
                "route_book_id": 1,
                "transformer_area_id": 1,
                "opened_on": "2020-01-01",
                "basic_charge_by": "capacity",
            }
            | {},
            scaled={"contract_capacity_kva": 4},
        )
        session.execute(
            text(
                "INSERT INTO bill_run (id, period, scope, state, started_by, started_at, priced, "
                "unpriced, unchanged) VALUES (1, '2026-02', '*', 'done', 'b', 't', 0, 0, 0), "
                "(2, '2026-01', '*', 'done', 'b', 't', 0, 0, 0)"
            )
        )
        bills = [
            ("2026-02", 1, ids, pop["current"], "2026-03-05", "2026-03-31", 0),
            ("2026-01", 2, prev_ids, pop["previous"][prev_ids - 1], "2026-02-05", "2026-02-20", n),
        ]
        for period, run, accounts, amounts, issued, due, offset in bills:
            bill_ids = np.arange(1, len(accounts) + 1) + offset
            numbers = [f"T{period[2:4]}{period[5:]}{a:09d}" for a in accounts.tolist()]
            common = {"id": bill_ids, "account_id": accounts, "period": period}
            load(
                session,
                "billing_determinant",
                common
                | {
                    "start_on": "2026-01-01",
                    "end_on": issued,
                    "days": 30,
                    "kwh_total": 100 * 10**4,
                    "quality": "actual",
                    "detail": "{}",
                    "computed_by": "b",
                },
                scaled={"kwh_total": 4},
            )
            load(
                session,
                "bill",
                common
                | {
                    "kind": "regular",
                    "state": "issued",
                    "run_id": run,
                    "determinant_id": bill_ids,
                    "tariff_version": "bench",
                    "start_on": "2026-01-01",
                    "end_on": issued,
                    "kwh": 100 * 10**8,
                    "total": amounts,
                    "quality": "actual",
                    "computed_by": "b",
                    "computed_at": "t",
                    "bill_no": numbers,
                    "issued_on": issued,
                    "issued_by": "b",
                    "due_on": due,
                },
                money=("total",),
                scaled={"kwh": 8},
            )
            load(
                session,
                "receivable",
                common
                | {
                    "bill_id": bill_ids,
                    "bill_no": numbers,
                    "amount": amounts,
                    "issued_on": issued,
                    "due_on": due,
                },
                money=("amount",),
            )
        _seed_ledger(session, pop, category)
    if is_postgres(session):
        with ctx.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for table in (
                "customer",
                "account",
                "billing_determinant",
                "bill",
                "receivable",
                "payment",
                "ledger_txn",
                "ledger_entry",
                "late_fee_charge",
            ):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
            connection.exec_driver_sql("VACUUM ANALYZE")  # what autovacuum does after a bulk load
    return {
        "accounts": n,
        "bills": n + len(prev_ids),
        "unposted_bills": int(pop["unposted"].sum()),
        "overdue_bills": len(prev_ids),
        "prepayment_holders": int(pop["prepaid"].sum()),
    }


def _seed_ledger(session: Session, pop: dict[str, Any], category: np.ndarray) -> None:
    """Bill postings, the January late fees charged through 2026-02-28, earlier prepayments."""
    n = pop["n"]
    prev = np.flatnonzero(pop["has_prev"])
    posted = np.flatnonzero(~pop["unposted"])
    prepaid = np.flatnonzero(pop["prepaid"])
    # Transactions: February bills posted, January bills, January late fees, prepayments.
    rec = np.concatenate([posted + 1, n + np.arange(1, len(prev) + 1), n + np.arange(1, len(prev) + 1)])
    acct = np.concatenate([posted + 1, prev + 1, prev + 1])
    amount = np.concatenate([pop["current"][posted], pop["previous"][prev], pop["fee"][prev]])
    kinds = ["bill"] * (len(posted) + len(prev)) + ["late_fee"] * len(prev)
    bill_no = [f"T2602{a:09d}" for a in (posted + 1).tolist()] + [
        f"T2601{a:09d}" for a in (prev + 1).tolist()
    ]
    sources = [f"bill:{b}" for b in bill_no] + [
        f"late_fee:T2601{a:09d}:2026-02-28:1" for a in (prev + 1).tolist()
    ]
    days = ["2026-03-05"] * len(posted) + ["2026-02-05"] * len(prev) + ["2026-02-28"] * len(prev)
    count = len(kinds)
    txn_ids = np.arange(1, count + len(prepaid) + 1)
    payment_ids = np.arange(1, len(prepaid) + 1)
    load(
        session,
        "payment",
        {
            "id": payment_ids,
            "account_id": prepaid + 1,
            "channel": "agent",
            "method": "online",
            "source": "wechat",
            "amount": pop["prepayment"][prepaid],
            "paid_on": "2026-02-15",
            "received_at": "2026-02-15 10:00:00.000000"
            if not is_postgres(session)
            else "2026-02-15T10:00:00+08:00",
            "received_on": "2026-02-15",
            "channel_ref": [f"PRE{a:09d}" for a in (prepaid + 1).tolist()],
            "actor": "b",
        },
        money=("amount",),
    )
    at = "2026-03-05T10:00:00+08:00" if is_postgres(session) else "2026-03-05 02:00:00.000000"
    load(
        session,
        "ledger_txn",
        {
            "id": txn_ids,
            "kind": kinds + ["payment"] * len(prepaid),
            "source": sources + [f"payment:{p}" for p in payment_ids.tolist()],
            "business_day": days + ["2026-02-15"] * len(prepaid),
            "posted_at": at,
            "actor": "b",
        },
    )
    revenue = np.char.add("revenue:", category.astype(str))
    credit = np.concatenate([revenue[posted], revenue[prev], np.full(len(prev), gl.LATE_FEE_INCOME)])
    debit = [gl.RECEIVABLE] * (len(posted) + len(prev)) + [gl.LATE_FEE_RECEIVABLE] * len(prev)
    pay_txn = txn_ids[count:]
    load(
        session,
        "ledger_entry",
        {
            "txn_id": np.concatenate([txn_ids[:count], txn_ids[:count], pay_txn, pay_txn]),
            "gl": debit
            + credit.tolist()
            + ["agent_clearing:wechat"] * len(prepaid)
            + [gl.PREPAYMENT] * len(prepaid),
            "account_id": np.concatenate([acct, acct, prepaid + 1, prepaid + 1]),
            "receivable_id": pl.Series(
                np.concatenate([rec, rec, np.zeros(2 * len(prepaid), np.int64)])
            ).replace(0, None),
            "payment_id": pl.Series(
                np.concatenate([np.zeros(2 * count, np.int64), payment_ids, payment_ids])
            ).replace(0, None),
            "amount": np.concatenate(
                [amount, -amount, pop["prepayment"][prepaid], -pop["prepayment"][prepaid]]
            ),
        },
        money=("amount",),
    )
    late_txn = txn_ids[len(posted) + len(prev) : count]
    load(
        session,
        "late_fee_charge",
        {
            "receivable_id": n + np.arange(1, len(prev) + 1),
            "account_id": prev + 1,
            "txn_id": late_txn,
            "through": "2026-02-28",
            "days": 8,
            "amount": pop["fee"][prev],
            "total_to_date": pop["fee"][prev],
            "rule": "bench month end",
        },
        money=("amount", "total_to_date"),
    )


def files(pop: dict[str, Any], count: int) -> list[tuple[str, list[BatchPayment]]]:
    """The banks' result files: account i's payment is in file i mod count."""
    days = (date(2026, 3, 24), date(2026, 3, 25))
    result = []
    amounts = pop["amount"].tolist()
    paid = pop["paid_day"].tolist()
    for k in range(count):
        bank = BANKS[k % len(BANKS)]
        rows = [
            BatchPayment(
                account_no=f"15{i + 1:09d}",
                amount=Decimal(amounts[i]).scaleb(-2),
                paid_on=days[paid[i]],
                channel_ref=f"{bank}{i + 1:012d}",
            )
            for i in range(k, pop["n"], count)
        ]
        result.append((bank, rows))
    return result


def verify(ctx: AppContext, expected_payments: int, expected_amount: int) -> dict[str, object]:
    with ctx.sessions() as session:
        payments = session.scalar(
            select(func.count()).select_from(Payment).where(Payment.channel == "bank_withholding")
        )
        balance = trial_balance(session)
        unbalanced = session.scalar(
            text(
                "SELECT count(*) FROM (SELECT payment_id FROM ledger_entry WHERE payment_id IS NOT NULL "
                "GROUP BY payment_id HAVING sum(amount) <> 0 OR count(*) < 2) AS bad"
            )
        )
        lines = session.scalar(select(func.count()).select_from(LedgerEntry))
    bank_total = sum((v for k, v in balance.items() if k.startswith("bank_clearing:")), Decimal(0))
    return {
        "payments_posted": payments,
        "trial_balance_sum": str(sum(balance.values(), Decimal(0))),
        "payments_whose_lines_do_not_balance": unbalanced,
        "bank_clearing_total": str(bank_total),
        "bank_clearing_equals_file_total": bank_total == Decimal(expected_amount).scaleb(-2),
        "every_payment_posted_once": payments == expected_payments,
        "ledger_lines_total": lines,
        "trial_balance": {k: str(v) for k, v in balance.items()},
    }


def run_backend(backend: str, n: int, file_count: int, workers: int, profile: bool) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="m2c-pay-bench-") as tmp:
        url, drop, server = _database(backend, Path(tmp))
        ctx = AppContext.create(
            engine=make_engine(url),
            clock=FixedClock(NOW),
            settings=Settings(data_dir=Path(tmp), database_url=url),
        )
        try:
            upgrade(ctx.engine)
            started = time.perf_counter()
            pop = population(n)
            seeded = seed(ctx, pop)
            seed_s = time.perf_counter() - started
            print(f"[{backend}] seeded {n:,} accounts in {seed_s:.1f} s", file=sys.stderr, flush=True)
            batches = files(pop, file_count)
            profiler = cProfile.Profile() if profile and workers == 1 else None

            def one(bank: str, rows: list[BatchPayment]) -> dict[str, object]:
                t0 = time.perf_counter()
                report = import_payment_batch(
                    ctx,
                    actor=CASHIER,
                    batch=f"WH-202603-{bank}",
                    channel=gl.Channel.BANK_WITHHOLDING,
                    method=gl.Method.DEBIT,
                    source=bank,
                    rows=rows,
                )
                timing = {
                    "file": bank,
                    "rows": len(rows),
                    "seconds": round(time.perf_counter() - t0, 2),
                    "phases": {phase: round(s, 2) for phase, s in report.seconds.items()},
                    **report.as_json(),
                }
                print(f"[{backend}] {bank}: {timing}", file=sys.stderr, flush=True)
                return timing

            wall = time.perf_counter()
            if profiler:
                profiler.enable()
            with ThreadPoolExecutor(max_workers=workers) as pool:
                timings = list(pool.map(lambda batch: one(*batch), batches))
            if profiler:
                profiler.disable()
            total = time.perf_counter() - wall
            t0 = time.perf_counter()
            again = import_payment_batch(
                ctx,
                actor=CASHIER,
                batch=f"WH-202603-{batches[0][0]}",
                channel=gl.Channel.BANK_WITHHOLDING,
                method=gl.Method.DEBIT,
                source=batches[0][0],
                rows=batches[0][1],
            )
            reimport_s = time.perf_counter() - t0
            checks = verify(ctx, n, int(pop["amount"].sum()))
        finally:
            ctx.engine.dispose()
            drop()
    result: dict[str, object] = {
        "backend": backend,
        "server": server,
        "payments": n,
        "files": file_count,
        "concurrent_imports": workers,
        "seconds": round(total, 2),
        "payments_per_second": round(n / total),
        "files_timed": timings,
        "seeding": seeded,
        "seconds_seeding": round(seed_s, 1),
        "reimport_first_file": {
            "seconds": round(reimport_s, 2),
            "posted": again.posted,
            "replayed": again.replayed,
        },
        "checks": checks,
        "mix": {
            "exact": int(pop["exact"].sum()),
            "partial": int(pop["partial"].sum()),
            "overpaid": int(n - pop["exact"].sum() - pop["partial"].sum()),
        },
    }
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)
        print(out.getvalue(), flush=True)
    return result


def _database(backend: str, folder: Path) -> tuple[str, Any, dict[str, str]]:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'bench.db'}", lambda: None, {}
    admin = create_engine(os.environ[PG_ENV], isolation_level="AUTOCOMMIT")
    name = f"m2c_paybench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
        server = {
            s: str(connection.exec_driver_sql(f"SHOW {s}").scalar())
            for s in (
                "server_version",
                "fsync",
                "synchronous_commit",
                "full_page_writes",
                "shared_buffers",
                "work_mem",
                "max_wal_size",
            )
        }

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(os.environ[PG_ENV]).set(database=name).render_as_string(hide_password=False), drop, server


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--payments", type=int, default=1_000_000, help="PostgreSQL")
    parser.add_argument("--sqlite-payments", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=5)
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--workers", type=int, default=2, help="files imported at once (PostgreSQL)")
    parser.add_argument("--profile", action="store_true", help="cProfile (with --workers 1)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if "postgresql" in backends and not os.environ.get(PG_ENV):
        script = ROOT / "scripts" / "with-postgres"
        os.execv(str(script), [str(script), sys.executable, str(Path(__file__).resolve()), *sys.argv[1:]])
    result: dict[str, object] = {
        "benchmark": "import_payment_batch: bank withholding results posted and allocated",
        "target_seconds_postgresql_1m": TARGET_S,
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
    }
    for backend in backends:
        n = args.payments if backend == "postgresql" else args.sqlite_payments
        workers = args.workers if backend == "postgresql" else 1  # SQLite has one writer at a time
        result[backend] = run_backend(backend, n, args.files, workers, args.profile)
    pg = result.get("postgresql")
    if isinstance(pg, dict) and pg["payments"] >= 1_000_000:
        result["met_target_postgresql"] = float(pg["seconds"]) < TARGET_S
    result["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in result.items()}, indent=2, ensure_ascii=False)[:6000])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
