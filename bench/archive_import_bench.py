"""Benchmark: import a 100,000-row accounts file (CSV, UTF-8) into a fresh SQLite archive.

Builds a temporary database (migrated, one admin), imports 100 route books and 500 transformer
areas, then times the accounts import: *validation* is from the call until the first progress
report (reading, decoding, parsing, every check, the look-ups against the archive), *write* from
there to the commit. Results go to bench/results/archive_import.json. Target: under 20 s in all.

    .venv/bin/python bench/archive_import_bench.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from meter2cash.platform.clock import FixedClock
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import make_engine, unit_of_work
from meter2cash.platform.migrate import upgrade
from meter2cash.platform.permissions import Role
from meter2cash.platform.settings import Settings
from meter2cash.platform.users import create_user
from meter2cash.registry.archive_columns import ACCOUNT_COLUMNS
from meter2cash.registry.archive_import import import_archive_file, import_archive_rows
from meter2cash.registry.model import Account, MeterInstall

RESULTS = Path(__file__).resolve().parent / "results" / "archive_import.json"
BOOKS, AREAS = 100, 500


def account_row(i: int) -> list[str]:
    customer = i - i % 5 if i % 5 == 1 else i  # every fifth customer holds two accounts
    tou = i % 3 == 0
    return [
        f"01{i:08d}",
        f"C{customer:07d}",
        f"客户{customer}",
        f"138{customer:08d}",
        f"幸福路{customer}号",
        "residential" if i % 10 else "general",
        "220V" if i % 10 else "380V",
        "8" if i % 10 else "50",
        "none" if i % 10 else "0.90",
        "postpaid" if i % 4 else "smart_prepaid",
        "否",
        "是" if i % 50 == 0 else "否",
        f"RB{i % BOOKS:03d}",
        f"TA{i % AREAS:04d}",
        "2024-01-01",
        f"SP01{i:08d}",
        f"M{i:09d}",
        f"{i:012d}",
        f"10.{i // 65000 % 250}.{i // 250 % 250}.{i % 250 + 1}:8001",
        "1",
        "1",
        "6",
        "2",
        "peak|flat|valley" if tou else "",
        "2024-01-02",
        f"{i % 9000}.{i % 100:02d}",
        "",
        f"{i % 3000}.00" if tou else "",
        f"{i % 4000}.00" if tou else "",
        f"{i % 2000}.00" if tou else "",
        "MX-RES-1",
        "2024-01-02",
    ]


def write_accounts_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.zh for c in ACCOUNT_COLUMNS])
        for i in range(1, rows + 1):
            writer.writerow(account_row(i))


def fresh_context(folder: Path) -> AppContext:
    url = f"sqlite:///{folder / 'bench.db'}"
    ctx = AppContext.create(
        engine=make_engine(url),
        clock=FixedClock(datetime(2026, 1, 1, tzinfo=UTC)),
        settings=Settings(data_dir=folder, database_url=url),
    )
    upgrade(ctx.engine)
    with unit_of_work(ctx.sessions) as session:
        create_user(
            session,
            actor="bench",
            at=ctx.clock.now(),
            username="admin",
            display_name="admin",
            password="password-admin",
            roles={Role.ADMIN},
        )
    import_archive_rows(
        ctx,
        actor="admin",
        kind="route-books",
        source_name="books",
        rows=[{"code": f"RB{i:03d}", "name": f"段{i}", "reading_day": "5"} for i in range(BOOKS)],
    )
    import_archive_rows(
        ctx,
        actor="admin",
        kind="areas",
        source_name="areas",
        rows=[{"code": f"TA{i:04d}", "name": f"台区{i}", "capacity_kva": "400"} for i in range(AREAS)],
    )
    return ctx


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        path = folder / "accounts.csv"
        write_accounts_csv(path, args.rows)
        generated = time.perf_counter() - started
        size_mb = round(path.stat().st_size / 1e6, 1)
        ctx = fresh_context(folder)
        marks: list[tuple[float, float]] = []
        t0, c0 = time.perf_counter(), time.process_time()
        report = import_archive_file(
            ctx,
            actor="admin",
            kind="accounts",
            path=path,
            progress=lambda done: marks.append((time.perf_counter(), time.process_time())),
        )
        total, cpu = time.perf_counter() - t0, time.process_time() - c0
        with ctx.sessions() as session:
            accounts = session.scalar(select(func.count()).select_from(Account))
            installs = session.scalar(select(func.count()).select_from(MeterInstall))
        t1 = time.perf_counter()
        again = import_archive_file(ctx, actor="admin", kind="accounts", path=path)
        reimport = time.perf_counter() - t1
        ctx.engine.dispose()
    assert report.created["account"] == args.rows == accounts == installs, (report, accounts, installs)
    assert again.already_imported
    validation, validation_cpu = marks[0][0] - t0, marks[0][1] - c0
    results = {
        "benchmark": "archive import, accounts CSV (UTF-8) into a fresh SQLite database",
        "rows": args.rows,
        "file_mb": size_mb,
        "seconds": {
            "generate_file": round(generated, 2),
            "validation": round(validation, 2),
            "write": round(total - validation, 2),
            "total": round(total, 2),
            "reimport_noop": round(reimport, 2),
        },
        "cpu_seconds": {
            "validation": round(validation_cpu, 2),
            "write": round(cpu - validation_cpu, 2),
            "total": round(cpu, 2),
        },
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "rows_per_second": round(args.rows / total),
        "created": report.created,
        "target_total_seconds": 20,
        "python": sys.version.split()[0],
        "machine": platform.platform(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, ensure_ascii=False, indent=2))
    return 0 if total < 20 else 1


if __name__ == "__main__":
    raise SystemExit(main())
