"""Automatic collection of a reading period (自动抄表 / 远程采集): read the period's unread meters
over DL/T 645 through their gateways and store what they report, checked like every reading.

Three steps, so that no database transaction is open while the network is used:

1. one short unit of work finds the tasks that still need a reading (state ``pending``,
   ``failed`` or ``reread_requested`` with no valid reading) whose acceptance window holds today
   and whose meter has a communication endpoint (``Meter.comm_host``/``comm_port``);
2. the collector (`meter2cash.reading.collect`) reads those meters — one connection per
   gateway, gateways in parallel, timeouts and retries; nothing a meter does raises;
3. one unit of work writes a `ReadingBatch` (kind ``collection``, named
   ``collection <period> <book or *> #<n>``, the name the KPI 一次抄表成功率 looks for), one
   `CollectionAttempt` per attempt, the readings through `record_readings` (source ``auto``,
   the same checks as every other reading) and one audit record.

Attempt numbers run on over the period: a meter tried three times by a first run and read by a
second has attempts 1–3 failed and 4 ok, so the KPI counts it as read, but not on the first try.
A meter the collector gave up on without a try (its gateway was unreachable, its address is not
a DL/T 645 address) still gets one failed attempt row, so every meter a run set out to read is
counted as tried.

Times: the batch, the audit record and each reading's ``read_at`` come from ``ctx.clock`` (the
reading time is the business clock when the meter's answer arrived, in Beijing wall time); the
collector's own monotonic timer only measures timeouts and durations.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from meter2cash.platform.audit import record_audit
from meter2cash.platform.clock import BUSINESS_TZ, business_date
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.errors import InputRefused, NotFound
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action
from meter2cash.reading.collect import (
    Attempt,
    CollectPolicy,
    ErrorKind,
    MeterResult,
    MeterTarget,
    collect,
)
from meter2cash.reading.dlt645.readout import (
    STATE_GRID_TARIFF_ORDER,
    BadTariffOrder,
    MeterReadout,
    tariff_order_of,
)
from meter2cash.reading.intake import IncomingReading, IntakeReport, record_readings, tou_list
from meter2cash.reading.model import CollectionAttempt, MeterReading, ReadingBatch, ReadingTask
from meter2cash.reading.schedule import DEFAULT_SCHEDULE, BadPeriodLabel, SchedulePolicy, parse_period
from meter2cash.registry.model import Meter, RouteBook

NEEDS_READING = ("pending", "failed", "reread_requested")
REFUSED = "refused"  # the meter answered, but intake refused the reading (e.g. not installed that day)
DETAIL_LIMIT = 300  # CollectionAttempt.detail is String(300)
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class MeterFailure:
    """A meter the run could not read (or whose reading was refused), and why."""

    meter_no: str
    address: str
    endpoint: str
    error_kind: str
    detail: str
    attempts: int


@dataclass(frozen=True, slots=True)
class CollectionReport:
    """What one collection run did. `as_dict` is the ``m2c read collect --json`` document."""

    period: str
    route_book: str | None
    batch_id: int | None
    batch_name: str | None
    due: int  # tasks that need a reading and are in their window today
    attempted: int  # meters tried (due tasks with a communication endpoint, one per meter)
    collected: int  # meters read and handed to the checks
    failed: int
    first_try: int  # meters read on their first attempt of the period
    attempts: int  # attempt rows written
    failed_by_kind: dict[str, int]
    attempts_failed_by_kind: dict[str, int]
    no_endpoint: int  # due tasks whose meter has no communication endpoint: not tried
    not_due: int  # tasks needing a reading whose window opens later: not tried
    window_closed: int  # tasks needing a reading whose window has closed: not tried
    stored: int
    billable: int
    held: int
    exceptions: int  # exceptions the checks opened
    findings_by_code: dict[str, int]
    duration_s: float  # the network part
    failures: tuple[MeterFailure, ...] = ()

    @property
    def meters_per_second(self) -> float:
        return round(self.attempted / self.duration_s, 1) if self.duration_s > 0 else 0.0

    def as_dict(self) -> dict[str, object]:
        document = asdict(self)
        document["duration_s"] = round(self.duration_s, 3)
        document["meters_per_second"] = self.meters_per_second
        document["failures"] = [asdict(f) for f in self.failures]
        return document


@dataclass(frozen=True, slots=True)
class _Due:
    """A meter to read: its archive facts, its gateway and the tasks it serves."""

    meter_id: int
    meter_no: str
    address: str
    host: str
    port: int
    tou_registers: str
    task_ids: tuple[int, ...]


@dataclass
class _Selection:
    due: list[_Due] = field(default_factory=list)
    tasks: int = 0
    no_endpoint: int = 0
    not_due: int = 0
    window_closed: int = 0


def collect_period(
    ctx: AppContext,
    *,
    actor: str,
    period: str,
    route_book: str | None = None,
    concurrency: int = 64,
    timeout_s: float = 2.0,
    retries: int = 2,
    schedule: SchedulePolicy = DEFAULT_SCHEDULE,
    policy: CollectPolicy | None = None,
    on_progress: ProgressCallback | None = None,
) -> CollectionReport:
    """Collect the period's unread meters (one route book, or all) and store their readings.

    ``concurrency`` gateways are read at once; each reply is awaited ``timeout_s`` seconds; a
    meter is tried ``1 + retries`` times. ``policy`` overrides all three. ``on_progress(done,
    total)`` is called as each meter is finished. Never raises for a meter.
    """
    return asyncio.run(
        collect_period_async(
            ctx,
            actor=actor,
            period=period,
            route_book=route_book,
            concurrency=concurrency,
            timeout_s=timeout_s,
            retries=retries,
            schedule=schedule,
            policy=policy,
            on_progress=on_progress,
        )
    )


async def collect_period_async(
    ctx: AppContext,
    *,
    actor: str,
    period: str,
    route_book: str | None = None,
    concurrency: int = 64,
    timeout_s: float = 2.0,
    retries: int = 2,
    schedule: SchedulePolicy = DEFAULT_SCHEDULE,
    policy: CollectPolicy | None = None,
    on_progress: ProgressCallback | None = None,
) -> CollectionReport:
    """`collect_period` for callers that already run an event loop (e.g. next to simulated
    gateways served by the same loop). The database work blocks the loop while it runs."""
    try:
        parse_period(period)
    except BadPeriodLabel:
        raise InputRefused(
            _("A period is written YYYY-MM, e.g. 2026-11: {period}").format(period=period)
        ) from None
    if policy is None:
        if concurrency < 1 or retries < 0 or timeout_s <= 0:
            raise InputRefused(
                _("Concurrency must be at least 1, retries at least 0 and the timeout positive.")
            )
        policy = CollectPolicy(
            attempts=1 + retries,
            reply_timeout=timeout_s,
            connect_timeout=max(timeout_s, 3.0),
            max_parallel_gateways=concurrency,
        )
    today = business_date(ctx.clock.now())
    with use_case(ctx, actor=actor, action=Action.READING_COLLECT) as (session, _who):
        selection = _select(session, period=period, route_book=route_book, today=today, schedule=schedule)
    targets = [_target(d) for d in selection.due]
    read_at: dict[str, datetime] = {}
    done = 0

    def arrived(result: MeterResult) -> None:
        nonlocal done
        read_at[result.target.meter_no or ""] = _wall_time(ctx.clock.now())
        done += 1
        if on_progress is not None:
            on_progress(done, len(targets))

    if on_progress is not None:
        on_progress(0, len(targets))
    results: tuple[MeterResult, ...] = ()
    attempts: tuple[Attempt, ...] = ()
    duration = 0.0
    if targets:
        run = await collect(targets, policy=policy, on_result=arrived)
        results, attempts, duration = run.results, run.attempts, run.summary.duration_s
    if not results:
        return _empty_report(period, route_book, selection)
    return _write(
        ctx,
        actor=actor,
        period=period,
        route_book=route_book,
        selection=selection,
        results=results,
        attempts=attempts,
        read_at=read_at,
        duration_s=duration,
        schedule=schedule,
    )


def _select(
    session: Session, *, period: str, route_book: str | None, today: date, schedule: SchedulePolicy
) -> _Selection:
    query = (
        select(
            ReadingTask.id,
            ReadingTask.due_on,
            ReadingTask.window_closes_on,
            Meter.id,
            Meter.meter_no,
            Meter.dlt645_address,
            Meter.comm_host,
            Meter.comm_port,
            Meter.tou_registers,
        )
        .join(Meter, Meter.id == ReadingTask.meter_id)
        .outerjoin(MeterReading, MeterReading.id == ReadingTask.reading_id)
        .where(
            ReadingTask.period == period,
            ReadingTask.state.in_(NEEDS_READING),
            or_(ReadingTask.reading_id.is_(None), MeterReading.status != "valid"),
        )
        .order_by(Meter.comm_host, Meter.comm_port, Meter.meter_no, ReadingTask.id)
    )
    if route_book is not None:
        book_id = session.scalar(select(RouteBook.id).where(RouteBook.code == route_book))
        if book_id is None:
            raise NotFound(_("Unknown route book: {code}").format(code=route_book))
        query = query.where(ReadingTask.route_book_id == book_id)
    selection = _Selection()
    by_meter: dict[int, _Due] = {}
    for task_id, due_on, closes_on, meter_id, meter_no, address, host, port, tou in session.execute(query):
        selection.tasks += 1
        if today < due_on - timedelta(days=schedule.early_days):
            selection.not_due += 1
        elif today > closes_on:
            selection.window_closed += 1
        elif not host or port is None:
            selection.no_endpoint += 1
        elif meter_id in by_meter:
            known = by_meter[meter_id]
            by_meter[meter_id] = replace(known, task_ids=(*known.task_ids, task_id))
        else:
            by_meter[meter_id] = _Due(meter_id, meter_no, address, host, int(port), tou, (task_id,))
    selection.due = list(by_meter.values())
    return selection


def _target(due: _Due) -> MeterTarget:
    return MeterTarget(
        address=due.address,
        host=due.host,
        port=due.port,
        meter_no=due.meter_no,
        tariff_order=_tariff_order(due.tou_registers),
    )


def _tariff_order(stored: str) -> tuple[str, ...]:
    """The archive's time-of-use registers (``sharp|peak|flat|valley`` or with commas) as the
    meter's tariff order; the State Grid order when the archive lists none or nonsense."""
    try:
        return tariff_order_of(",".join(tou_list(stored or "")))
    except BadTariffOrder:
        return STATE_GRID_TARIFF_ORDER


def _wall_time(instant: datetime) -> datetime:
    """Beijing wall time of an aware instant, naive, to the second (the readings' convention)."""
    return instant.astimezone(BUSINESS_TZ).replace(tzinfo=None, microsecond=0)


def _incoming(due: _Due, readout: MeterReadout, *, read_at: datetime) -> IncomingReading:
    """The reading handed to the checks. Only the time-of-use registers the archive lists are
    passed on (the archive says what is billed); one listed but not reported is a finding."""
    tou = {name: getattr(readout, name) for name in tou_list(due.tou_registers or "")}
    return IncomingReading(
        meter_no=due.meter_no,
        read_at=read_at,
        total=readout.total,
        tou={k: v for k, v in tou.items() if v is not None},
        reactive=readout.reactive,
        max_demand_kw=readout.max_demand_kw,
        meter_clock=None if readout.clock is None else _wall_time(readout.clock),
        source="auto",
    )


def _write(
    ctx: AppContext,
    *,
    actor: str,
    period: str,
    route_book: str | None,
    selection: _Selection,
    results: Sequence[MeterResult],
    attempts: Sequence[Attempt],
    read_at: dict[str, datetime],
    duration_s: float,
    schedule: SchedulePolicy,
) -> CollectionReport:
    due_by_no = {d.meter_no: d for d in selection.due}
    with use_case(ctx, actor=actor, action=Action.READING_COLLECT) as (session, who):
        now = ctx.clock.now()
        batch = ReadingBatch(
            kind="collection",
            sha256=None,
            name=_batch_name(session, period=period, route_book=route_book),
            rows=len(results),
            created_by=who.username,
            created_at=now.isoformat(),
        )
        session.add(batch)
        session.flush()
        meter_ids = [due_by_no[r.target.meter_no or ""].meter_id for r in results]
        offsets = _attempts_so_far(session, period=period, meter_ids=meter_ids)
        rows = _attempt_rows(batch.id, results, attempts, due_by_no, offsets)
        session.add_all(rows)
        incoming = [
            _incoming(due_by_no[r.target.meter_no or ""], r.readout, read_at=read_at[r.target.meter_no or ""])
            for r in results
            if r.readout is not None
        ]
        intake, refused = _record(
            session, at=now, actor=who.username, batch=batch, incoming=incoming, schedule=schedule
        )
        failures = _failures(results, refused)
        unread = {f.meter_no for f in failures}
        for meter_no in unread:
            for task_id in due_by_no[meter_no].task_ids:
                task = session.get(ReadingTask, task_id)
                if task is not None:
                    task.attempts += 1
        first = {r.meter_id for r in rows if r.attempt == 1 and r.outcome == "ok"}
        report = CollectionReport(
            period=period,
            route_book=route_book,
            batch_id=batch.id,
            batch_name=batch.name,
            due=selection.tasks - selection.not_due - selection.window_closed,
            attempted=len(results),
            collected=len(results) - len(unread),
            failed=len(unread),
            first_try=len(first),
            attempts=len(rows),
            failed_by_kind=dict(sorted(Counter(f.error_kind for f in failures).items())),
            attempts_failed_by_kind=dict(
                sorted(Counter(r.error_kind or "" for r in rows if r.outcome != "ok").items())
            ),
            no_endpoint=selection.no_endpoint,
            not_due=selection.not_due,
            window_closed=selection.window_closed,
            stored=intake.stored,
            billable=intake.billable,
            held=intake.held,
            exceptions=intake.exceptions,
            findings_by_code=intake.findings_by_code,
            duration_s=duration_s,
            failures=tuple(failures),
        )
        summary = _summary(report)
        batch.summary = json.dumps(summary, ensure_ascii=False, sort_keys=True)
        record_audit(
            session,
            at=now,
            actor=who.username,
            action="reading.collect",
            object_type="reading_batch",
            object_id=str(batch.id),
            after=summary,
        )
    return report


def _batch_name(session: Session, *, period: str, route_book: str | None) -> str:
    prefix = f"collection {period} {route_book or '*'} #"
    names = session.scalars(
        select(ReadingBatch.name).where(
            ReadingBatch.kind == "collection", ReadingBatch.name.like(f"collection {period}%")
        )
    )
    runs = sum(1 for name in names if name.startswith(prefix))
    return f"{prefix}{runs + 1}"


def _attempts_so_far(session: Session, *, period: str, meter_ids: list[int]) -> dict[int, int]:
    """The highest attempt number of each meter in the period's earlier collection runs."""
    found: dict[int, int] = {}
    for start in range(0, len(meter_ids), 500):
        chunk = meter_ids[start : start + 500]
        query = (
            select(CollectionAttempt.meter_id, func.max(CollectionAttempt.attempt))
            .join(ReadingBatch, ReadingBatch.id == CollectionAttempt.batch_id)
            .where(
                ReadingBatch.kind == "collection",
                ReadingBatch.name.like(f"collection {period}%"),
                CollectionAttempt.meter_id.in_(chunk),
            )
            .group_by(CollectionAttempt.meter_id)
        )
        found.update((meter_id, highest or 0) for meter_id, highest in session.execute(query))
    return found


def _attempt_rows(
    batch_id: int,
    results: Sequence[MeterResult],
    attempts: Sequence[Attempt],
    due_by_no: dict[str, _Due],
    offsets: dict[int, int],
) -> list[CollectionAttempt]:
    tried: dict[str, list[Attempt]] = {}
    for attempt in attempts:
        tried.setdefault(attempt.meter_no or "", []).append(attempt)
    rows: list[CollectionAttempt] = []
    for result in results:
        due = due_by_no[result.target.meter_no or ""]
        offset = offsets.get(due.meter_id, 0)
        mine = tried.get(due.meter_no, [])
        if not mine:  # given up without a try: unreachable gateway, bad address
            rows.append(
                CollectionAttempt(
                    batch_id=batch_id,
                    meter_id=due.meter_id,
                    attempt=offset + 1,
                    outcome="failed",
                    error_kind=str(result.error_kind or ErrorKind.INTERNAL),
                    detail=_clip(result.detail),
                    duration_ms=0,
                )
            )
            continue
        rows.extend(
            CollectionAttempt(
                batch_id=batch_id,
                meter_id=due.meter_id,
                attempt=offset + a.attempt_no,
                outcome=a.outcome,
                error_kind=None if a.error_kind is None else str(a.error_kind),
                detail=_clip(a.detail) or None,
                duration_ms=max(0, round(a.duration_s * 1000)),
            )
            for a in mine
        )
    return rows


def _clip(text: str) -> str:
    return text if len(text) <= DETAIL_LIMIT else text[: DETAIL_LIMIT - 1] + "…"


def _record(
    session: Session,
    *,
    at: datetime,
    actor: str,
    batch: ReadingBatch,
    incoming: list[IncomingReading],
    schedule: SchedulePolicy,
) -> tuple[IntakeReport, dict[str, str]]:
    """Check and store the readings in one call; if intake refuses the call (a meter not
    installed on the day, a baseline reading the checks cannot use, …), store them meter by meter
    and report the refused ones. Database errors are not caught: the run's writes roll back."""
    if not incoming:
        return IntakeReport(batch_id=batch.id), {}
    try:
        with session.begin_nested():
            report = record_readings(
                session, at=at, actor=actor, batch=batch, incoming=incoming, schedule=schedule
            )
        return report, {}
    except ValueError:  # InputRefused, or a baseline the checks cannot use (BadBaseline)
        pass
    total = IntakeReport(batch_id=batch.id)
    findings: Counter[str] = Counter()
    refused: dict[str, str] = {}
    for reading in incoming:
        try:
            with session.begin_nested():
                one = record_readings(
                    session, at=at, actor=actor, batch=batch, incoming=[reading], schedule=schedule
                )
        except InputRefused as error:
            reasons = "; ".join(p.reason for p in error.problems)
            refused[reading.meter_no] = f"{error.summary} {reasons}".strip()
            continue
        except ValueError as error:
            refused[reading.meter_no] = str(error) or type(error).__name__
            continue
        total.received += one.received
        total.stored += one.stored
        total.billable += one.billable
        total.held += one.held
        total.exceptions += one.exceptions
        total.reading_ids += one.reading_ids
        findings.update(one.findings_by_code)
    total.findings_by_code = dict(sorted(findings.items()))
    return total, refused


def _failures(results: Sequence[MeterResult], refused: dict[str, str]) -> list[MeterFailure]:
    failures = []
    for result in results:
        target = result.target
        meter_no = target.meter_no or ""
        if result.readout is None:
            kind, detail = str(result.error_kind or ErrorKind.INTERNAL), result.detail
        elif meter_no in refused:
            kind, detail = REFUSED, refused[meter_no]
        else:
            continue
        failures.append(
            MeterFailure(
                meter_no=meter_no,
                address=target.address,
                endpoint=f"{target.host}:{target.port}",
                error_kind=kind,
                detail=detail,
                attempts=result.attempts,
            )
        )
    return failures


def _summary(report: CollectionReport) -> dict[str, object]:
    """The counts of a run, for the batch and the audit record (the per-meter detail is in the
    batch's collection attempts)."""
    document = report.as_dict()
    document.pop("failures")
    return document


def _empty_report(period: str, route_book: str | None, selection: _Selection) -> CollectionReport:
    return CollectionReport(
        period=period,
        route_book=route_book,
        batch_id=None,
        batch_name=None,
        due=selection.tasks - selection.not_due - selection.window_closed,
        attempted=0,
        collected=0,
        failed=0,
        first_try=0,
        attempts=0,
        failed_by_kind={},
        attempts_failed_by_kind={},
        no_endpoint=selection.no_endpoint,
        not_due=selection.not_due,
        window_closed=selection.window_closed,
        stored=0,
        billable=0,
        held=0,
        exceptions=0,
        findings_by_code={},
        duration_s=0.0,
    )
