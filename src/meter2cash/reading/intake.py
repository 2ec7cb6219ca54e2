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

from sqlalchemy import select
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
from meter2cash.registry.codes import TouRegister
from meter2cash.registry.model import Account, Meter, MeterInstall, ServicePoint

TOU_NAMES = ("sharp", "peak", "flat", "valley")
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
    """Check and store ``incoming`` inside the caller's unit of work."""
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
    for meter_no in sorted(groups, key=lambda number: meters[number].id not in supply_meters):
        readings = sorted(groups[meter_no], key=lambda r: r.read_at)
        _record_meter(
            session,
            meter=meters[meter_no],
            readings=readings,
            batch=batch,
            actor=actor,
            as_of=as_of,
            report=report,
            counts=counts,
            vee_policy=vee_policy,
            schedule=schedule,
            supply=supply,
        )
    report.findings_by_code = dict(sorted(counts.items()))
    return report


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


def install_on(session: Session, *, meter_id: int, day: date) -> MeterInstall | None:
    return session.scalar(
        select(MeterInstall).where(
            MeterInstall.meter_id == meter_id,
            MeterInstall.installed_on <= day,
            (MeterInstall.removed_on.is_(None)) | (MeterInstall.removed_on > day),
        )
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


def baseline_reading(
    session: Session, *, meter: Meter, install: MeterInstall, before: datetime
) -> vee.MeterReading:
    """The last valid reading of this meter on this install at or before ``before``, or the
    reading the meter was installed with. A stored reading at the very same time is the one a
    second reading is a DUPLICATE of; a later reading of the same day is not a baseline."""
    valid_on_install = (
        MeterReading.meter_id == meter.id,
        MeterReading.status == "valid",
        MeterReading.read_on >= install.installed_on,
    )
    same_day = [
        r
        for r in session.scalars(
            select(MeterReading).where(*valid_on_install, MeterReading.read_on == before.date())
        )
        if _local_read_at(r) <= before
    ]
    earlier = session.scalar(
        select(MeterReading)
        .where(*valid_on_install, MeterReading.read_on < before.date())
        .order_by(MeterReading.read_on.desc(), MeterReading.read_at.desc(), MeterReading.id.desc())
        .limit(1)
    )
    stored = max(same_day, key=lambda r: (_local_read_at(r), r.id), default=earlier)
    if stored is not None:
        return to_vee(stored)
    tou = {n: getattr(install, f"start_{n}") for n in TOU_NAMES if getattr(install, f"start_{n}") is not None}
    return vee.MeterReading(
        read_at=datetime.combine(install.installed_on, time()),
        total=install.start_total,
        tou=tou,
        source=vee.ReadingSource.MANUAL,
    )


def to_vee(stored: MeterReading) -> vee.MeterReading:
    tou = {n: getattr(stored, n) for n in TOU_NAMES if getattr(stored, n) is not None}
    return vee.MeterReading(
        read_at=_local_read_at(stored), total=stored.total, tou=tou, quality=QualityFlag(stored.quality)
    )


def _local_read_at(stored: MeterReading) -> datetime:
    if stored.read_at:
        return datetime.fromisoformat(stored.read_at).replace(tzinfo=None)
    return datetime.combine(stored.read_on, time(12))


def usage_history(session: Session, *, account_id: int | None) -> tuple[UsagePeriod, ...]:
    if account_id is None:
        return ()
    rows = session.scalars(
        select(BillingDeterminant)
        .where(BillingDeterminant.account_id == account_id)
        .order_by(BillingDeterminant.start_on.desc())
        .limit(HISTORY_PERIODS)
    )
    return tuple(
        sorted(
            (UsagePeriod(Period(d.start_on, d.end_on), d.kwh_total) for d in rows),
            key=lambda u: u.period.start,
        )
    )


def task_for(session: Session, *, meter_id: int, day: date, schedule: SchedulePolicy) -> ReadingTask | None:
    """The open task whose acceptance window holds ``day``."""
    return session.scalar(
        select(ReadingTask)
        .where(
            ReadingTask.meter_id == meter_id,
            ReadingTask.due_on <= day + timedelta(days=schedule.early_days),
            ReadingTask.window_closes_on >= day,
        )
        .order_by(ReadingTask.due_on.desc())
        .limit(1)
    )


def _record_meter(
    session: Session,
    *,
    meter: Meter,
    readings: list[IncomingReading],
    batch: ReadingBatch,
    actor: str,
    as_of: datetime,
    report: IntakeReport,
    counts: Counter[str],
    vee_policy: VeePolicy,
    schedule: SchedulePolicy,
    supply: AreaSupply,
) -> None:
    first_day = readings[0].read_at.date()
    install = install_on(session, meter_id=meter.id, day=first_day)
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
    point = session.get(ServicePoint, install.service_point_id)
    account = session.get(Account, point.account_id) if point and point.account_id else None
    facts = meter_facts(meter, install, account)
    previous = baseline_reading(session, meter=meter, install=install, before=readings[0].read_at)
    area_kwh = _area_supply_kwh(supply, account=account, since=previous.read_at.date(), readings=readings)
    checked = check_readings(
        vee.ReadingSet(
            meter=facts,
            readings=tuple(_to_check(r, area_kwh=kwh) for r, kwh in zip(readings, area_kwh, strict=True)),
            history=usage_history(session, account_id=account.id if account else None),
            previous=previous,
            as_of=as_of,
        ),
        policy=vee_policy,
    )
    for incoming, verdict in zip(readings, checked.readings, strict=True):
        task = task_for(session, meter_id=meter.id, day=incoming.read_at.date(), schedule=schedule)
        stored = None
        if not any(f.code is VeeCode.INVALID for f in verdict.findings):
            stored = _store(
                session,
                incoming=incoming,
                verdict=verdict,
                meter=meter,
                install=install,
                task=task,
                batch=batch,
                actor=actor,
            )
            report.stored += 1
            report.reading_ids.append(stored.id)
            if verdict.billable:
                report.billable += 1
            else:
                report.held += 1
        if task is not None:
            task.attempts += 1
            if stored is not None and task.state in ("pending", "failed", "reread_requested"):
                task.state, task.reading_id = "read", stored.id
        book_id = task.route_book_id if task else (account.route_book_id if account else None)
        for found in verdict.findings:
            counts[found.code.value] += 1
            if found.severity is Severity.INFO or book_id is None:
                continue
            session.add(
                ReadingException(
                    route_book_id=book_id,
                    period=task.period if task else incoming.read_at.strftime("%Y-%m"),
                    meter_id=meter.id,
                    reading_id=stored.id if stored else None,
                    task_id=task.id if task else None,
                    code=found.code.value,
                    severity=found.severity.value,
                    reason=explain(found),
                    state="open",
                    opened_on=as_of.date(),
                )
            )
            report.exceptions += 1
    session.flush()


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


def _store(
    session: Session,
    *,
    incoming: IncomingReading,
    verdict: ReadingVerdict,
    meter: Meter,
    install: MeterInstall,
    task: ReadingTask | None,
    batch: ReadingBatch,
    actor: str,
) -> MeterReading:
    reading = MeterReading(
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
    session.add(reading)
    session.flush()
    return reading
