"""The demo's monthly reading cycle (抄表): what a bureau does every month, on the demo bureau.

1. Go-live: each meter's reading on the reading day before the first period is loaded as its
   opening reading (期初示数), as a bureau does when it moves off its old system; the area
   supply meters' daily frozen registers (台区总表日冻结) come in as a collection-system export.
2. For each period: plan the tasks; on each route book's reading day collect its meters over
   DL/T 645 from simulated gateways (real TCP frames, fed from the demo's daily registers); the
   meters that did not answer or have no communication are read with a handheld terminal, whose
   file — with the planted misreads in it — is imported; the day after the windows close, the
   missed readings are marked and the period is closed (estimates, billing determinants).
3. Score: how many of the planted reading faults the checks caught, by code.

The demo's clock is injected (a `FixedClock` moved day by day); nothing here reads the wall clock.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import polars as pl
from sqlalchemy import select

from meter2cash.demo.steps import Progress, Silent
from meter2cash.platform.clock import BUSINESS_TZ, FixedClock
from meter2cash.platform.context import AppContext
from meter2cash.reading.closing import close_period, sweep_missed
from meter2cash.reading.collection_run import collect_period
from meter2cash.reading.file_import import import_reading_file
from meter2cash.reading.intake import IncomingReading
from meter2cash.reading.model import BillingDeterminant, ReadingException, ReadingTask
from meter2cash.reading.opening import load_opening_readings
from meter2cash.reading.plans import plan_period
from meter2cash.reading.schedule import DEFAULT_SCHEDULE, due_date, previous_period
from meter2cash.reading.simulation import archive_gateways, history_files, run_gateways
from meter2cash.registry.codes import TOU_NAMES as TOU
from meter2cash.registry.model import Account, Meter, MeterInstall, RouteBook, ServicePoint

READ_HOUR = 20  # the demo reads in the evening of the reading day: registers as of the day's end
# The planted faults the reading checks are meant to catch, and the codes that count as caught.
READING_FAULTS: dict[str, tuple[str, ...]] = {
    "misread": ("ROLLBACK", "SPIKE_HIGH", "SPIKE_LOW", "TOU_SUM", "INVALID"),
    "missed_reading": ("MISSING",),
    "rollover": ("ROLLOVER",),
    "meter_replacement": (),
    "stopped_meter": ("STOPPED", "ZERO", "SPIKE_LOW"),
    "theft": ("SPIKE_LOW",),
}
HANDHELD_COLUMNS = ("表号", "抄表时间", "总", "尖", "峰", "平", "谷", "无功", "抄表员")


@dataclass
class CycleOutcome:
    periods: list[str]
    skipped: bool = False
    opening: int = 0
    supply_readings: int = 0
    collected: int = 0
    collection_failed: int = 0
    handheld: int = 0
    exceptions_by_code: dict[str, int] = field(default_factory=dict)
    determinants: int = 0
    estimated: int = 0
    held: int = 0
    faults: list[dict[str, object]] = field(default_factory=list)


def cycle_periods(*, until: date, months: int) -> list[str]:
    """The last ``months`` whole months before ``until``."""
    periods, year, month = [], until.year, until.month
    for _ in range(months):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        periods.append(f"{year}-{month:02d}")
    return sorted(periods)


def run_reading_cycle(
    ctx: AppContext,
    *,
    periods: list[str],
    reader: str,
    clerk: str,
    admin: str,
    progress: Progress | None = None,
) -> CycleOutcome:
    report = progress or Silent()
    outcome = CycleOutcome(periods=periods)
    clock = ctx.clock
    if not isinstance(clock, FixedClock):
        raise TypeError("the demo cycle moves its own clock: give it a FixedClock")
    with ctx.sessions() as session:
        if session.scalar(
            select(BillingDeterminant.id).where(BillingDeterminant.period == periods[-1]).limit(1)
        ):
            outcome.skipped = True
            return outcome
        books = list(session.scalars(select(RouteBook).order_by(RouteBook.reading_day, RouteBook.code)))
        plans = archive_gateways(session)
        communicating = set(session.scalars(select(Meter.meter_no).where(Meter.comm_port.is_not(None))))
    demo = ctx.settings.data_dir / "demo"
    history = _History(demo / "daily_registers.parquet")
    supply = pl.read_parquet(demo / "area_supply_registers.parquet")

    def at(day: date, hour: int) -> None:
        clock.instant = datetime.combine(day, time(hour), tzinfo=BUSINESS_TZ).astimezone(UTC)

    first = periods[0]
    opening_days = {b.code: due_date(period=previous_period(first), reading_day=b.reading_day) for b in books}
    start = min(opening_days.values())
    at(max(opening_days.values()), READ_HOUR + 1)
    report.start("opening", None)
    outcome.opening = _load_opening(ctx, admin=admin, history=history, days=opening_days, supply=supply)
    report.update("opening", 1)
    last_day = max(due_date(period=p, reading_day=b.reading_day) for p in periods for b in books)
    at(last_day, READ_HOUR + 2)
    outcome.supply_readings = _import_supply(
        ctx, reader=reader, supply=supply, start=start, end=last_day, folder=demo / "handheld"
    )
    with run_gateways(
        plans, histories=history_files(demo), day=start, clock=clock.now, faults=True, skip_unavailable=True
    ) as gateways:
        for period in periods:
            _run_period(
                ctx,
                period=period,
                books=books,
                gateways=gateways,
                history=history,
                at=at,
                reader=reader,
                clerk=clerk,
                communicating=communicating,
                outcome=outcome,
                folder=demo / "handheld",
                report=report,
            )
    _score(ctx, outcome=outcome, demo=demo, start=start, end=last_day)
    return outcome


class _History:
    """The demo's daily registers, looked up by day: the register at the end of that day."""

    def __init__(self, path: Path) -> None:
        self.frame = pl.read_parquet(path, columns=["meter_no", "day", "total", *TOU, "reactive"])

    def on(self, day: date) -> dict[str, dict[str, str | None]]:
        rows = self.frame.filter(pl.col("day") == day).iter_rows(named=True)
        return {row["meter_no"]: row for row in rows if row["total"] is not None}

    def latest(self, day: date, *, lookback: int = 10) -> dict[str, dict[str, str | None]]:
        """Each meter's last known registers on or before ``day``."""
        window = self.frame.filter(
            pl.col("day").is_between(day - timedelta(days=lookback), day) & pl.col("total").is_not_null()
        ).sort("day")
        return {row["meter_no"]: row for row in window.group_by("meter_no").last().iter_rows(named=True)}


def _wall(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour))


def _installed_by_book(ctx: AppContext, days: dict[str, date]) -> dict[str, list[str]]:
    """route book code → customer meters installed on that book's day."""
    with ctx.sessions() as session:
        rows = session.execute(
            select(Meter.meter_no, RouteBook.code, MeterInstall.installed_on, MeterInstall.removed_on)
            .join(MeterInstall, MeterInstall.meter_id == Meter.id)
            .join(ServicePoint, ServicePoint.id == MeterInstall.service_point_id)
            .join(Account, Account.id == ServicePoint.account_id)
            .join(RouteBook, RouteBook.id == Account.route_book_id)
        ).all()
    found: dict[str, list[str]] = defaultdict(list)
    for meter_no, book, installed, removed in rows:
        day = days[book]
        if installed <= day and (removed is None or removed > day):
            found[book].append(meter_no)
    return found


def _incoming(
    meter_no: str, row: dict[str, str | None], day: date, *, source: str = "import"
) -> IncomingReading:
    return IncomingReading(
        meter_no=meter_no,
        read_at=_wall(day, READ_HOUR),
        total=str(row["total"]),
        tou={k: str(row[k]) for k in TOU if row.get(k) is not None},
        reactive=row.get("reactive"),
        source=source,
    )


def _load_opening(
    ctx: AppContext, *, admin: str, history: _History, days: dict[str, date], supply: pl.DataFrame
) -> int:
    by_book = _installed_by_book(ctx, days)
    readings = []
    for book, day in sorted(days.items()):
        known = history.latest(day)
        readings += [_incoming(m, known[m], day) for m in sorted(by_book.get(book, [])) if m in known]
    first = min(days.values())
    for row in supply.filter(pl.col("day") == first).iter_rows(named=True):
        readings.append(_incoming(row["meter_no"], row, first))
    return load_opening_readings(
        ctx, actor=admin, readings=readings, source_name="legacy system, last readings"
    )


def _write_file(path: Path, rows: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HANDHELD_COLUMNS)
        writer.writerows(rows)
    return path


def _import_supply(
    ctx: AppContext, *, reader: str, supply: pl.DataFrame, start: date, end: date, folder: Path
) -> int:
    """The supply meters' daily frozen registers from the collection system, as one export file."""
    frame = supply.filter(
        pl.col("day").is_between(start + timedelta(days=1), end) & pl.col("total").is_not_null()
    )
    rows = [
        [r["meter_no"], _wall(r["day"], 23).strftime("%Y-%m-%d %H:%M"), r["total"], "", "", "", "", "", ""]
        for r in frame.sort("meter_no", "day").iter_rows(named=True)
    ]
    path = _write_file(folder / f"area-supply-{start}-{end}.csv", rows)
    return import_reading_file(ctx, actor=reader, path=path).stored


def _run_period(
    ctx: AppContext,
    *,
    period: str,
    books: list[RouteBook],
    gateways: object,
    history: _History,
    at: Callable[[date, int], None],
    reader: str,
    clerk: str,
    communicating: set[str],
    outcome: CycleOutcome,
    folder: Path,
    report: Progress,
) -> None:
    first_due = min(due_date(period=period, reading_day=b.reading_day) for b in books)
    at(first_due - timedelta(days=DEFAULT_SCHEDULE.early_days + 1), 8)
    plan_period(ctx, actor=clerk, period=period)
    misreads = _misreads(ctx.settings.data_dir / "demo")
    by_day: dict[date, list[RouteBook]] = defaultdict(list)
    for book in books:
        by_day[due_date(period=period, reading_day=book.reading_day)].append(book)
    report.start(f"read {period}", len(books))
    done = 0
    for day, todays in sorted(by_day.items()):
        gateways.set_day(day)  # type: ignore[attr-defined]
        at(day, READ_HOUR)
        registers = history.on(day)
        for book in todays:
            collected = collect_period(
                ctx, actor=reader, period=period, route_book=book.code, timeout_s=0.5, retries=1
            )
            outcome.collected += collected.collected
            outcome.collection_failed += collected.failed
            at(day, READ_HOUR + 1)
            rows = []
            for meter_no in _unread(ctx, period=period, book=book.code):
                row = registers.get(meter_no)
                if row is None:
                    continue  # nobody could read it: missed (漏抄)
                total = misreads.get((meter_no, day), str(row["total"]))
                rows.append(
                    [
                        meter_no,
                        _wall(day, READ_HOUR).strftime("%Y-%m-%d %H:%M"),
                        total,
                        *[str(row[k] or "") for k in TOU],
                        str(row.get("reactive") or ""),
                        reader,
                    ]
                )
            if rows:
                _write_file(folder / f"{period}-{book.code}.csv", rows)
                outcome.handheld += import_reading_file(
                    ctx, actor=reader, path=folder / f"{period}-{book.code}.csv"
                ).stored
            at(day, READ_HOUR)
            done += 1
            report.update(f"read {period}", done)
    last_close = max(by_day) + timedelta(days=DEFAULT_SCHEDULE.window_days + 1)
    at(last_close, 8)
    sweep_missed(ctx, actor=reader, period=period)
    closed = close_period(ctx, actor=clerk, period=period)
    outcome.determinants += closed.determinants
    outcome.estimated += closed.estimated
    outcome.held += len(closed.held)


def _unread(ctx: AppContext, *, period: str, book: str) -> list[str]:
    with ctx.sessions() as session:
        return list(
            session.scalars(
                select(Meter.meter_no)
                .join(ReadingTask, ReadingTask.meter_id == Meter.id)
                .join(RouteBook, RouteBook.id == ReadingTask.route_book_id)
                .where(ReadingTask.period == period, RouteBook.code == book, ReadingTask.reading_id.is_(None))
                .order_by(Meter.meter_no)
            )
        )


def _misreads(demo: Path) -> dict[tuple[str, date], str]:
    found = {}
    with (demo / "planted_faults.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["kind"] == "misread" and row["day"]:
                found[(row["meter_no"], date.fromisoformat(row["day"]))] = json.loads(row["details"])[
                    "misread"
                ]
    return found


def _accounts_billed_across_two_meters(ctx: AppContext, *, periods: list[str]) -> set[str]:
    with ctx.sessions() as session:
        rows = session.execute(
            select(Account.account_no, BillingDeterminant.detail)
            .join(BillingDeterminant, BillingDeterminant.account_id == Account.id)
            .where(BillingDeterminant.period.in_(periods))
        ).all()
    return {number for number, detail in rows if len(json.loads(detail)) > 1}


PERSISTENT = frozenset({"stopped_meter", "theft"})  # from their day on, for good


def _in_window(row: dict[str, str], *, start: date, end: date) -> bool:
    """Whether a planted fault shows in the cycle's readings: a one-off fault on a day of the
    cycle, a persistent one (a stopped meter, theft) started before its end."""
    day = date.fromisoformat(row["day"])
    if row["kind"] in PERSISTENT:
        return day <= end
    return start < day <= end


def _score(ctx: AppContext, *, outcome: CycleOutcome, demo: Path, start: date, end: date) -> None:
    with ctx.sessions() as session:
        rows = session.execute(
            select(Meter.meter_no, ReadingException.code)
            .join(ReadingException, ReadingException.meter_id == Meter.id)
            .where(ReadingException.period.in_(outcome.periods))
        ).all()
    codes_by_meter: dict[str, set[str]] = defaultdict(set)
    for meter_no, code in rows:
        codes_by_meter[meter_no].add(code)
    outcome.exceptions_by_code = dict(sorted(Counter(code for _, code in rows).items()))
    planted: dict[str, list[dict[str, str]]] = defaultdict(list)
    with (demo / "planted_faults.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["kind"] in READING_FAULTS and row["day"] and _in_window(row, start=start, end=end):
                planted[row["kind"]].append(row)
    spanning = _accounts_billed_across_two_meters(ctx, periods=outcome.periods)
    for kind, expected in READING_FAULTS.items():
        found = planted.get(kind, [])
        caught: Counter[str] = Counter()
        hit = 0
        for fault in found:
            if kind == "meter_replacement":  # handled, not caught: billed old final + new meter's use
                if fault["account_no"] in spanning:
                    hit += 1
                    caught["TWO_METER_DETERMINANT"] += 1
                continue
            seen = codes_by_meter.get(fault["meter_no"], set()) & set(expected)
            hit += bool(seen)
            caught.update(seen)
        outcome.faults.append(
            {
                "kind": kind,
                "planted": len(found),
                "caught": hit,
                "codes": dict(sorted(caught.items())),
                "expected_codes": list(expected),
            }
        )
