"""Recording readings (抄表数据入库): every reading, from a collection run, a handheld file or a
clerk's hand, goes through the same checks (VEE) before it is stored, and every failed check
opens an exception in the route book's queue.

A reading with an *error* finding is stored with status ``exception`` and cannot reach a bill
until an edit is approved or it is re-read; a *warning* leaves it billable but queued for a
clerk. INVALID readings (not a number, negative, too many digits) are not stored as readings at
all; their exception keeps the raw value.

For STOPPED, a customer meter's reading carries the energy its transformer area's supply meter
(台区总表) recorded over the same days (`meter2cash.reading.area_supply`). Supply meters are read
through this same path (they have no account and no route book: their readings are checked and
stored, but open no exception); readings of supply meters are stored before customers' readings
of the same call, so a file holding both sees the supply energy.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from meter2cash.platform.clock import BUSINESS_TZ
from meter2cash.platform.errors import InputRefused, Problem
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.money import exact
from meter2cash.platform.periods import Period
from meter2cash.reading.area_supply import AreaSupply
from meter2cash.reading.model import (
    BillingDeterminant,
    MeterReading,
    ReadingBatch,
    ReadingException,
    ReadingTask,
)
from meter2cash.reading.schedule import DEFAULT_SCHEDULE, SchedulePolicy
from meter2cash.reading.usage_history import UsagePeriod
from meter2cash.reading.vee import readings as vee
from meter2cash.reading.vee.codes import QualityFlag, Severity, VeeCode
from meter2cash.reading.vee.engine import ReadingVerdict, check_readings
from meter2cash.reading.vee.policy import DEFAULT_POLICY, VeePolicy
from meter2cash.reading.vee.register import RegisterSpec
from meter2cash.reading.vee.wording import explain
from meter2cash.registry.codes import TOU_NAMES, TouRegister
from meter2cash.registry.model import Account, Meter, MeterInstall, ServicePoint

SOURCE_TO_VEE = {
    "auto": vee.ReadingSource.REMOTE,
    "handheld": vee.ReadingSource.HANDHELD,
    "import": vee.ReadingSource.HANDHELD,
    "manual": vee.ReadingSource.MANUAL,
    "estimate": vee.ReadingSource.MANUAL,
    "edit": vee.ReadingSource.MANUAL,
}
HISTORY_PERIODS = 13


@dataclass(frozen=True, slots=True)
class IncomingReading:
    """A reading as it arrives. ``read_at`` is Beijing wall-clock time (no time zone)."""

    meter_no: str
    read_at: datetime
    total: str | Decimal
    tou: Mapping[str, str | Decimal] = field(default_factory=dict)
    reactive: str | Decimal | None = None
    max_demand_kw: str | Decimal | None = None
    meter_clock: datetime | None = None
    multiplier: Decimal | None = None
    source: str = "handheld"
    quality: QualityFlag = QualityFlag.ACTUAL
    photo_path: str | None = None
    row: int | None = None


@dataclass
class IntakeReport:
    batch_id: int | None
    received: int = 0
    stored: int = 0
    billable: int = 0
    held: int = 0
    exceptions: int = 0
    findings_by_code: dict[str, int] = field(default_factory=dict)
    already_imported: bool = False
    already_stored: int = 0  # rows skipped because the same reading is stored already (file import)
    reading_ids: list[int] = field(default_factory=list)


def local_now(instant: datetime) -> datetime:
    """Beijing wall-clock time of an aware instant, without tzinfo (the VEE convention)."""
    return instant.astimezone(BUSINESS_TZ).replace(tzinfo=None)


def record_readings(
    session: Session,
    *,
    at: datetime,
    actor: str,
    batch: ReadingBatch,
    incoming: Sequence[IncomingReading],
    vee_policy: VeePolicy = DEFAULT_POLICY,
    schedule: SchedulePolicy = DEFAULT_SCHEDULE,
) -> IntakeReport:
    """Check and store ``incoming`` inside the caller's unit of work.

    What the checks need (installs, accounts, baselines, history, tasks) is loaded for a chunk of
    meters at a time with a few queries, not meter by meter, and each chunk is written at once.
    """
    report = IntakeReport(batch_id=batch.id, received=len(incoming))
    meters = _meters(session, {r.meter_no for r in incoming})
    unknown = [
        Problem(reason=_("unknown meter number"), row=r.row, column="meter_no", value=r.meter_no)
        for r in incoming
        if r.meter_no not in meters
    ]
    if unknown:
        raise InputRefused(_("Readings refer to meters that are not in the archive."), unknown)
    groups: dict[str, list[IncomingReading]] = defaultdict(list)
    for reading in incoming:
        groups[reading.meter_no].append(reading)
    counts: Counter[str] = Counter()
    as_of = local_now(at)
    supply = AreaSupply(session)
    supply_meters = _supply_meter_ids(session, [m.id for m in meters.values()])
    by_id = sorted(groups, key=lambda number: meters[number].id)
    # Supply meters first, in their own chunks, so customers' STOPPED checks see their energy.
    for part in (
        [n for n in by_id if meters[n].id in supply_meters],
        [n for n in by_id if meters[n].id not in supply_meters],
    ):
        for start in range(0, len(part), CHUNK):
            chunk = [meters[n] for n in part[start : start + CHUNK]]
            loaded = _Loaded.load(session, meters=chunk, groups=groups, schedule=schedule)
            for meter in chunk:
                _record_meter(
                    session,
                    meter=meter,
                    readings=sorted(groups[meter.meter_no], key=lambda r: r.read_at),
                    loaded=loaded,
                    batch=batch,
                    actor=actor,
                    as_of=as_of,
                    report=report,
                    counts=counts,
                    vee_policy=vee_policy,
                    supply=supply,
                )
            loaded.write(session, report=report)
    report.findings_by_code = dict(sorted(counts.items()))
    return report


CHUNK = 500
BASELINE_DEPTH = 3  # stored readings per meter loaded as baseline candidates
HISTORY_DAYS = 31 * HISTORY_PERIODS


@dataclass
class _Pending:
    """A reading to be written with the task it answers and the exceptions it opens."""

    reading: MeterReading | None
    task: ReadingTask | None
    exceptions: list[ReadingException]


@dataclass
class _Loaded:
    """What the checks of a chunk of meters look up, loaded in a few queries."""

    installs: dict[int, list[MeterInstall]]
    points: dict[int, ServicePoint]
    accounts: dict[int, Account]
    baselines: dict[int, list[MeterReading]]
    history: dict[int, tuple[UsagePeriod, ...]]
    tasks: dict[int, list[ReadingTask]]
    schedule: SchedulePolicy
    pending: list[_Pending] = field(default_factory=list)

    @classmethod
    def load(
        cls,
        session: Session,
        *,
        meters: Sequence[Meter],
        groups: Mapping[str, Sequence[IncomingReading]],
        schedule: SchedulePolicy,
    ) -> _Loaded:
        ids = [m.id for m in meters]
        days = [r.read_at.date() for m in meters for r in groups[m.meter_no]]
        first, last = min(days), max(days)
        installs: dict[int, list[MeterInstall]] = defaultdict(list)
        for install in session.scalars(select(MeterInstall).where(MeterInstall.meter_id.in_(ids))):
            installs[install.meter_id].append(install)
        point_ids = {i.service_point_id for found in installs.values() for i in found}
        points = {
            p.id: p for p in session.scalars(select(ServicePoint).where(ServicePoint.id.in_(point_ids)))
        }
        account_ids = {p.account_id for p in points.values() if p.account_id is not None}
        accounts = {a.id: a for a in session.scalars(select(Account).where(Account.id.in_(account_ids)))}
        ranked = (
            select(
                MeterReading.id,
                func.row_number()
                .over(
                    partition_by=MeterReading.meter_id,
                    order_by=(
                        MeterReading.read_on.desc(),
                        MeterReading.read_at.desc(),
                        MeterReading.id.desc(),
                    ),
                )
                .label("rank"),
            )
            .where(
                MeterReading.meter_id.in_(ids), MeterReading.status == "valid", MeterReading.read_on <= last
            )
            .subquery()
        )
        baselines: dict[int, list[MeterReading]] = defaultdict(list)
        for stored in session.scalars(
            select(MeterReading)
            .join(ranked, ranked.c.id == MeterReading.id)
            .where(ranked.c.rank <= BASELINE_DEPTH)
        ):
            baselines[stored.meter_id].append(stored)
        history: dict[int, list[BillingDeterminant]] = defaultdict(list)
        for found in session.scalars(
            select(BillingDeterminant).where(
                BillingDeterminant.account_id.in_(account_ids),
                BillingDeterminant.end_on >= first - timedelta(days=HISTORY_DAYS),
            )
        ):
            history[found.account_id].append(found)
        tasks: dict[int, list[ReadingTask]] = defaultdict(list)
        for task in session.scalars(
            select(ReadingTask).where(
                ReadingTask.meter_id.in_(ids),
                ReadingTask.due_on <= last + timedelta(days=schedule.early_days),
                ReadingTask.window_closes_on >= first,
            )
        ):
            tasks[task.meter_id].append(task)
        return cls(
            installs=installs,
            points=points,
            accounts=accounts,
            baselines=baselines,
            history={account: _usage(rows) for account, rows in history.items()},
            tasks=tasks,
            schedule=schedule,
        )

    def write(self, session: Session, *, report: IntakeReport) -> None:
        """Insert the chunk's readings in one flush, then link tasks and exceptions to them."""
        session.add_all(p.reading for p in self.pending if p.reading is not None)
        session.flush()
        for pending in self.pending:
            reading_id = pending.reading.id if pending.reading is not None else None
            if reading_id is not None:
                report.reading_ids.append(reading_id)
                if pending.task is not None:
                    pending.task.reading_id = reading_id
            for exception in pending.exceptions:
                exception.reading_id = reading_id
        session.add_all(e for p in self.pending for e in p.exceptions)
        session.flush()
        self.pending.clear()


def _meters(session: Session, numbers: set[str]) -> dict[str, Meter]:
    found: dict[str, Meter] = {}
    ordered = sorted(numbers)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        found.update((m.meter_no, m) for m in session.scalars(select(Meter).where(Meter.meter_no.in_(chunk))))
    return found


def _supply_meter_ids(session: Session, meter_ids: list[int]) -> set[int]:
    """The meters among ``meter_ids`` that have ever stood on an area supply point (台区总表)."""
    found: set[int] = set()
    for start in range(0, len(meter_ids), 500):
        found.update(
            session.scalars(
                select(MeterInstall.meter_id)
                .join(ServicePoint, ServicePoint.id == MeterInstall.service_point_id)
                .where(
                    ServicePoint.kind == "area_supply",
                    MeterInstall.meter_id.in_(meter_ids[start : start + 500]),
                )
            )
        )
    return found


def pick_install(installs: Sequence[MeterInstall], *, day: date) -> MeterInstall | None:
    """The install of a meter that holds ``day`` (half-open ``[installed_on, removed_on)``)."""
    return next(
        (i for i in installs if i.installed_on <= day and (i.removed_on is None or i.removed_on > day)), None
    )


def install_on(session: Session, *, meter_id: int, day: date) -> MeterInstall | None:
    return pick_install(
        list(session.scalars(select(MeterInstall).where(MeterInstall.meter_id == meter_id))), day=day
    )


def tou_list(stored: str) -> list[str]:
    """The archive keeps a meter's time-of-use registers as text, e.g. ``sharp|peak|flat|valley``."""
    return [name for name in stored.replace(",", "|").split("|") if name]


def meter_facts(meter: Meter, install: MeterInstall, account: Account | None) -> vee.MeterFacts:
    status = vee.MeterStatus(account.status) if account is not None else vee.MeterStatus.ACTIVE
    capacity = (
        account.contract_capacity_kva if account is not None and account.contract_capacity_kva else None
    )
    return vee.MeterFacts(
        meter_no=meter.meter_no,
        register=RegisterSpec(integer_digits=meter.integer_digits, decimal_digits=meter.decimal_digits),
        multiplier=install.multiplier,
        tou_registers=tuple(TouRegister(t) for t in tou_list(meter.tou_registers)),
        capacity_kva=capacity,
        status=status,
    )


def pick_baseline(
    candidates: Sequence[MeterReading], *, install: MeterInstall, before: datetime
) -> MeterReading | None:
    """The last valid reading on this install at or before ``before``. A stored reading at the
    very same time is the one a second reading is a DUPLICATE of; a later reading of the same day
    is not a baseline."""
    eligible = [
        r
        for r in candidates
        if r.status == "valid"
        and install.installed_on <= r.read_on <= before.date()
        and (r.read_on < before.date() or _local_read_at(r) <= before)
    ]
    return max(eligible, key=lambda r: (r.read_on, _local_read_at(r), r.id), default=None)


def install_baseline(install: MeterInstall) -> vee.MeterReading:
    """The reading the meter was installed with, as a baseline."""
    tou = {n: getattr(install, f"start_{n}") for n in TOU_NAMES if getattr(install, f"start_{n}") is not None}
    return vee.MeterReading(
        read_at=datetime.combine(install.installed_on, time()),
        total=install.start_total,
        tou=tou,
        source=vee.ReadingSource.MANUAL,
    )


def baseline_reading(
    session: Session, *, meter: Meter, install: MeterInstall, before: datetime
) -> vee.MeterReading:
    """`pick_baseline` over the meter's stored readings, or the install reading."""
    candidates = session.scalars(
        select(MeterReading).where(
            MeterReading.meter_id == meter.id,
            MeterReading.status == "valid",
            MeterReading.read_on >= install.installed_on,
            MeterReading.read_on <= before.date(),
        )
    )
    stored = pick_baseline(list(candidates), install=install, before=before)
    return to_vee(stored) if stored is not None else install_baseline(install)


def to_vee(stored: MeterReading) -> vee.MeterReading:
    tou = {n: getattr(stored, n) for n in TOU_NAMES if getattr(stored, n) is not None}
    return vee.MeterReading(
        read_at=_local_read_at(stored), total=stored.total, tou=tou, quality=QualityFlag(stored.quality)
    )


def _local_read_at(stored: MeterReading) -> datetime:
    if stored.read_at:
        return datetime.fromisoformat(stored.read_at).replace(tzinfo=None)
    return datetime.combine(stored.read_on, time(12))


def _usage(rows: Sequence[BillingDeterminant]) -> tuple[UsagePeriod, ...]:
    latest = sorted(rows, key=lambda d: d.start_on)[-HISTORY_PERIODS:]
    return tuple(UsagePeriod(Period(d.start_on, d.end_on), d.kwh_total) for d in latest)


def usage_history(session: Session, *, account_id: int | None) -> tuple[UsagePeriod, ...]:
    if account_id is None:
        return ()
    return _usage(
        list(
            session.scalars(
                select(BillingDeterminant)
                .where(BillingDeterminant.account_id == account_id)
                .order_by(BillingDeterminant.start_on.desc())
                .limit(HISTORY_PERIODS)
            )
        )
    )


def pick_task(tasks: Sequence[ReadingTask], *, day: date, schedule: SchedulePolicy) -> ReadingTask | None:
    """The task whose acceptance window holds ``day`` (the latest due, if windows overlap)."""
    holding = [
        t
        for t in tasks
        if t.due_on <= day + timedelta(days=schedule.early_days) and t.window_closes_on >= day
    ]
    return max(holding, key=lambda t: t.due_on, default=None)


def task_for(session: Session, *, meter_id: int, day: date, schedule: SchedulePolicy) -> ReadingTask | None:
    """The open task whose acceptance window holds ``day``."""
    return pick_task(
        list(session.scalars(select(ReadingTask).where(ReadingTask.meter_id == meter_id))),
        day=day,
        schedule=schedule,
    )


def _record_meter(
    session: Session,
    *,
    meter: Meter,
    readings: list[IncomingReading],
    loaded: _Loaded,
    batch: ReadingBatch,
    actor: str,
    as_of: datetime,
    report: IntakeReport,
    counts: Counter[str],
    vee_policy: VeePolicy,
    supply: AreaSupply,
) -> None:
    first_day = readings[0].read_at.date()
    install = pick_install(loaded.installs.get(meter.id, []), day=first_day)
    if install is None:
        raise InputRefused(
            _("Meter {meter} is not installed on {day}.").format(meter=meter.meter_no, day=first_day),
            [
                Problem(
                    reason=_("meter not installed on that day"),
                    row=readings[0].row,
                    column="read_at",
                    value=str(first_day),
                )
            ],
        )
    point = loaded.points.get(install.service_point_id)
    account = loaded.accounts.get(point.account_id) if point and point.account_id else None
    candidates = loaded.baselines.get(meter.id, [])
    stored_baseline = pick_baseline(candidates, install=install, before=readings[0].read_at)
    if stored_baseline is None and len(candidates) >= BASELINE_DEPTH:  # all candidates were too late
        previous = baseline_reading(session, meter=meter, install=install, before=readings[0].read_at)
    else:
        previous = to_vee(stored_baseline) if stored_baseline is not None else install_baseline(install)
    area_kwh = _area_supply_kwh(supply, account=account, since=previous.read_at.date(), readings=readings)
    checked = check_readings(
        vee.ReadingSet(
            meter=meter_facts(meter, install, account),
            readings=tuple(_to_check(r, area_kwh=kwh) for r, kwh in zip(readings, area_kwh, strict=True)),
            history=loaded.history.get(account.id, ()) if account else (),
            previous=previous,
            as_of=as_of,
        ),
        policy=vee_policy,
    )
    for incoming, verdict in zip(readings, checked.readings, strict=True):
        task = pick_task(
            loaded.tasks.get(meter.id, []), day=incoming.read_at.date(), schedule=loaded.schedule
        )
        stored = None
        if not any(f.code is VeeCode.INVALID for f in verdict.findings):
            stored = _new_reading(
                incoming=incoming,
                verdict=verdict,
                meter=meter,
                install=install,
                task=task,
                batch=batch,
                actor=actor,
            )
            report.stored += 1
            if verdict.billable:
                report.billable += 1
            else:
                report.held += 1
        answered = None
        if task is not None:
            task.attempts += 1
            if stored is not None and task.state in ("pending", "failed", "reread_requested"):
                task.state, answered = "read", task
        book_id = task.route_book_id if task else (account.route_book_id if account else None)
        exceptions = []
        for found in verdict.findings:
            counts[found.code.value] += 1
            if found.severity is Severity.INFO or book_id is None:
                continue
            exceptions.append(
                ReadingException(
                    route_book_id=book_id,
                    period=task.period if task else incoming.read_at.strftime("%Y-%m"),
                    meter_id=meter.id,
                    task_id=task.id if task else None,
                    code=found.code.value,
                    severity=found.severity.value,
                    reason=explain(found),
                    state="open",
                    opened_on=as_of.date(),
                )
            )
            report.exceptions += 1
        loaded.pending.append(_Pending(stored, answered, exceptions))


def _area_supply_kwh(
    supply: AreaSupply, *, account: Account | None, since: date, readings: Sequence[IncomingReading]
) -> list[Decimal | None]:
    """For each reading (in time order), the energy through its area's supply meter from the day
    of the reading before it (the archive's baseline for the first) to its own day. It assumes the
    reading before is accepted as the baseline, as it is unless the checks reject it."""
    found: list[Decimal | None] = []
    for reading in readings:
        day = reading.read_at.date()
        found.append(
            None if account is None else supply.kwh(area_id=account.transformer_area_id, start=since, end=day)
        )
        since = max(since, day)
    return found


def _to_check(incoming: IncomingReading, *, area_kwh: Decimal | None = None) -> vee.MeterReading:
    return vee.MeterReading(
        read_at=incoming.read_at,
        total=incoming.total,
        tou=dict(incoming.tou),
        multiplier=incoming.multiplier,
        meter_clock=incoming.meter_clock,
        source=SOURCE_TO_VEE.get(incoming.source, vee.ReadingSource.HANDHELD),
        quality=incoming.quality,
        area_supply_kwh=area_kwh,
    )


def _decimal(value: str | Decimal | None) -> Decimal | None:
    return None if value is None or value == "" else exact(value)


def _new_reading(
    *,
    incoming: IncomingReading,
    verdict: ReadingVerdict,
    meter: Meter,
    install: MeterInstall,
    task: ReadingTask | None,
    batch: ReadingBatch,
    actor: str,
) -> MeterReading:
    return MeterReading(
        meter_id=meter.id,
        service_point_id=install.service_point_id,
        read_on=incoming.read_at.date(),
        read_at=incoming.read_at.replace(tzinfo=BUSINESS_TZ).isoformat(),
        source=incoming.source,
        quality=incoming.quality.value,
        status="valid" if verdict.billable else "exception",
        total=exact(incoming.total),
        reactive=_decimal(incoming.reactive),
        max_demand_kw=_decimal(incoming.max_demand_kw),
        meter_clock=incoming.meter_clock.isoformat() if incoming.meter_clock else None,
        reported_multiplier=incoming.multiplier,
        task_id=task.id if task else None,
        batch_id=batch.id,
        photo_path=incoming.photo_path,
        entered_by=actor,
        **{n: _decimal(incoming.tou.get(n)) for n in TOU_NAMES},
    )
