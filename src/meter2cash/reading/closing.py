"""Closing a reading period (抄表结算): missed readings, estimates, billing determinants.

- ``sweep_missed``: the day after a task's window closes with no reading, the task fails and a
  MISSING exception opens in the route book's queue (漏抄 made visible).
- ``close_period``: for every account of a route book, take the period's reading (or, when the
  meter was missed, an estimate — 估抄 — with quality ``estimated``), build the meter segments
  (a meter replaced inside the period counts as two: the old meter to its final reading, the new
  one from its install reading) and store the billing determinant. Accounts whose reading still
  has an open error are held back and listed; nothing unvalidated reaches a bill. Closing twice
  creates nothing twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from meter2cash.platform.audit import record_audit
from meter2cash.platform.clock import BUSINESS_TZ, business_date
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.periods import Period
from meter2cash.platform.permissions import Action
from meter2cash.reading.determinants import Segment, determinant
from meter2cash.reading.estimation import CannotEstimate, estimate_period, estimated_reading
from meter2cash.reading.intake import install_on, tou_list, usage_history
from meter2cash.reading.model import (
    BILL_REJECTED,
    BillingDeterminant,
    MeterReading,
    ReadingException,
    ReadingTask,
)
from meter2cash.reading.plans import route_books
from meter2cash.reading.vee.check_sequence import missing_in_window
from meter2cash.reading.vee.codes import QualityFlag
from meter2cash.reading.vee.register import RegisterSpec
from meter2cash.reading.vee.wording import explain
from meter2cash.registry.codes import TOU_NAMES
from meter2cash.registry.model import Meter, MeterInstall, RouteBook
from meter2cash.registry.registers import RegisterSet


@dataclass
class CloseReport:
    period: str
    determinants: int = 0
    existing: int = 0
    estimated: int = 0
    field_visits: int = 0
    held: list[dict[str, str]] = field(default_factory=list)


def sweep_missed(ctx: AppContext, *, actor: str, period: str, route_book: str | None = None) -> int:
    """Mark the period's unread tasks whose window has closed as failed, with a MISSING exception."""
    today = business_date(ctx.clock.now())
    as_of = datetime.combine(today, time())
    missed = 0
    with use_case(ctx, actor=actor, action=Action.READING_COLLECT) as (session, who):
        for book in route_books(session, route_book):
            tasks = session.scalars(
                select(ReadingTask).where(
                    ReadingTask.route_book_id == book.id,
                    ReadingTask.period == period,
                    ReadingTask.reading_id.is_(None),
                    ReadingTask.state.in_(("pending", "reread_requested")),
                )
            )
            for task in tasks:
                window = Period(task.due_on, date.fromordinal(task.window_closes_on.toordinal() + 1))
                for found in missing_in_window([], window=window, as_of=as_of):
                    task.state = "failed"
                    session.add(
                        ReadingException(
                            route_book_id=book.id,
                            period=period,
                            meter_id=task.meter_id,
                            task_id=task.id,
                            code=found.code.value,
                            severity=found.severity.value,
                            reason=explain(found),
                            state="open",
                            opened_on=today,
                        )
                    )
                    missed += 1
        record_audit(
            session,
            at=ctx.clock.now(),
            actor=who.username,
            action="reading.sweep_missed",
            object_type="reading_period",
            object_id=period,
            after={"route_book": route_book or "*", "missed": missed},
        )
    return missed


def close_period(ctx: AppContext, *, actor: str, period: str, route_book: str | None = None) -> CloseReport:
    report = CloseReport(period=period)
    today = business_date(ctx.clock.now())
    with use_case(ctx, actor=actor, action=Action.READING_CLOSE) as (session, who):
        for book in route_books(session, route_book):
            tasks = list(
                session.scalars(
                    select(ReadingTask)
                    .where(ReadingTask.route_book_id == book.id, ReadingTask.period == period)
                    .order_by(ReadingTask.id)
                )
            )
            by_account: dict[int, list[ReadingTask]] = {}
            for task in tasks:
                if task.account_id is not None:
                    by_account.setdefault(task.account_id, []).append(task)
            done = set(
                session.scalars(
                    select(BillingDeterminant.account_id).where(
                        BillingDeterminant.period == period,
                        BillingDeterminant.account_id.in_(list(by_account) or [-1]),
                    )
                )
            )
            cache = _BookCache.load(session, tasks=[t for t in tasks if t.account_id not in done])
            sent_back = _sent_back(session, period=period, book=book)
            for account_id, account_tasks in by_account.items():
                if account_id in done:
                    report.existing += 1
                    continue
                waiting = [sent_back[t.meter_id] for t in account_tasks if t.meter_id in sent_back]
                if waiting:
                    report.held.append(
                        {
                            "account_id": str(account_id),
                            "meter_no": waiting[0][1],
                            "reason": _(
                                "the bill was rejected at review back to reading: resolve exception "
                                "{exception} first"
                            ).format(exception=waiting[0][0]),
                        }
                    )
                    continue
                _close_account(
                    session,
                    account_id=account_id,
                    tasks=account_tasks,
                    period=period,
                    today=today,
                    actor=who.username,
                    report=report,
                    book=book,
                    cache=cache,
                )
        record_audit(
            session,
            at=ctx.clock.now(),
            actor=who.username,
            action="reading.close",
            object_type="reading_period",
            object_id=period,
            after={
                "route_book": route_book or "*",
                "determinants": report.determinants,
                "estimated": report.estimated,
                "held": len(report.held),
                "existing": report.existing,
            },
        )
    return report


def _sent_back(session: Session, *, period: str, book: RouteBook) -> dict[int, tuple[int, str]]:
    """Meters of the book whose bill for the period was rejected back to reading and whose
    BILL_REJECTED exception is not yet resolved: meter id → (exception id, meter number)."""
    return {
        meter_id: (exception_id, meter_no)
        for exception_id, meter_id, meter_no in session.execute(
            select(ReadingException.id, ReadingException.meter_id, Meter.meter_no)
            .join(Meter, Meter.id == ReadingException.meter_id)
            .where(
                ReadingException.route_book_id == book.id,
                ReadingException.period == period,
                ReadingException.code == BILL_REJECTED,
                ReadingException.state.in_(("open", "edit_pending")),
            )
        )
    }


class _Held(Exception):
    def __init__(self, meter_no: str, reason: str) -> None:
        super().__init__(reason)
        self.meter_no, self.reason = meter_no, reason


def _close_account(
    session: Session,
    *,
    account_id: int,
    tasks: list[ReadingTask],
    period: str,
    today: date,
    actor: str,
    report: CloseReport,
    book: RouteBook,
    cache: _BookCache,
) -> None:
    previous_end = cache.previous_end.get(account_id)
    segments: list[Segment] = []
    starts, ends = [], []
    try:
        for task in tasks:
            closing = _closing_reading(
                session, task=task, today=today, actor=actor, report=report, account_id=account_id, book=book
            )
            found, since, until = _segments(
                session, task=task, closing=closing, since=previous_end, cache=cache
            )
            segments += found
            starts.append(since)
            ends.append(until)
    except _Held as held:
        report.held.append({"account_id": str(account_id), "meter_no": held.meter_no, "reason": held.reason})
        return
    start, end = min(starts), max(ends)
    if end <= start:
        report.held.append(
            {
                "account_id": str(account_id),
                "meter_no": segments[0].meter_no,
                "reason": _("the period has no days"),
            }
        )
        return
    result = determinant(start=start, end=end, segments=segments)
    session.add(
        BillingDeterminant(
            account_id=account_id,
            period=period,
            start_on=start,
            end_on=end,
            days=result.days,
            kwh_total=result.kwh_total,
            kwh_sharp=result.kwh_tou.get("sharp"),
            kwh_peak=result.kwh_tou.get("peak"),
            kwh_flat=result.kwh_tou.get("flat"),
            kwh_valley=result.kwh_tou.get("valley"),
            kvarh=result.kvarh,
            max_demand_kw=result.max_demand_kw,
            quality=result.quality.value,
            computed_by=actor,
            detail=json.dumps([_segment_detail(s) for s in segments], ensure_ascii=False),
        )
    )
    report.determinants += 1


def _segment_detail(segment: Segment) -> dict[str, object]:
    return {
        "meter_no": segment.meter_no,
        "multiplier": str(segment.multiplier),
        "opening": segment.opening.as_dict(),
        "closing": segment.closing.as_dict(),
        "opening_quality": segment.opening_quality.value,
        "closing_quality": segment.closing_quality.value,
    }


def _closing_reading(
    session: Session,
    *,
    task: ReadingTask,
    today: date,
    actor: str,
    report: CloseReport,
    account_id: int,
    book: RouteBook,
) -> MeterReading:
    meter = session.get(Meter, task.meter_id)
    assert meter is not None
    reading = session.get(MeterReading, task.reading_id) if task.reading_id else None
    if reading is not None and reading.status == "valid":
        return reading
    open_error = session.scalar(
        select(ReadingException.code)
        .where(
            ReadingException.task_id == task.id,
            ReadingException.severity == "error",
            ReadingException.state.in_(("open", "edit_pending")),
        )
        .limit(1)
    )
    if open_error is not None and open_error != "MISSING":
        raise _Held(meter.meter_no, _("open exception {code} must be resolved first").format(code=open_error))
    if today <= task.window_closes_on:
        raise _Held(meter.meter_no, _("not read yet; the reading window is still open"))
    return _estimate(
        session,
        task=task,
        meter=meter,
        actor=actor,
        report=report,
        account_id=account_id,
        book=book,
        today=today,
    )


def _estimate(
    session: Session,
    *,
    task: ReadingTask,
    meter: Meter,
    actor: str,
    report: CloseReport,
    account_id: int,
    book: RouteBook,
    today: date,
) -> MeterReading:
    install = install_on(session, meter_id=meter.id, day=task.due_on)
    if install is None:
        raise _Held(meter.meter_no, _("meter not installed on the reading day"))
    baseline = _last_valid(session, meter_id=meter.id, install=install, before=task.due_on)
    start_day = baseline.read_on if baseline else install.installed_on
    opening = _registers_of(baseline) if baseline else _install_start(install)
    spec = RegisterSpec(integer_digits=meter.integer_digits, decimal_digits=meter.decimal_digits)
    earlier = list(
        session.scalars(
            select(BillingDeterminant.quality)
            .where(BillingDeterminant.account_id == account_id)
            .order_by(BillingDeterminant.end_on)
        )
    )
    try:
        outcome = estimate_period(
            history=usage_history(session, account_id=account_id),
            period=Period(start_day, task.due_on),
            earlier_qualities=[QualityFlag(q) for q in earlier],
        )
    except CannotEstimate:
        raise _Held(meter.meter_no, _("missed, and there is no history to estimate from")) from None
    total = estimated_reading(
        previous=opening.total, kwh=outcome.estimate.kwh, multiplier=install.multiplier, spec=spec
    )
    tou = _split_tou(opening, total - opening.total if total >= opening.total else None, meter, spec)
    reading = MeterReading(
        meter_id=meter.id,
        service_point_id=task.service_point_id,
        read_on=task.due_on,
        read_at=datetime.combine(task.due_on, time(12), tzinfo=BUSINESS_TZ).isoformat(),
        source="estimate",
        quality=QualityFlag.ESTIMATED.value,
        status="valid",
        total=total,
        task_id=task.id,
        entered_by=actor,
        estimation_method=outcome.estimate.method.value,
        **tou,
    )
    session.add(reading)
    session.flush()
    task.state, task.reading_id = "estimated", reading.id
    report.estimated += 1
    if outcome.field_visit is not None:
        report.field_visits += 1
        session.add(
            ReadingException(
                route_book_id=book.id,
                period=task.period,
                meter_id=meter.id,
                reading_id=reading.id,
                task_id=task.id,
                code="FIELD_VISIT",
                severity="warning",
                reason=_("{count} periods in a row were estimated; send someone to read the meter").format(
                    count=outcome.field_visit.consecutive
                ),
                state="open",
                opened_on=today,
            )
        )
    return reading


def _split_tou(
    opening: RegisterSet, moved: Decimal | None, meter: Meter, spec: RegisterSpec
) -> dict[str, Decimal]:
    """Spread an estimated advance over the time-of-use registers in the shares they hold so far,
    the remainder of rounding going to 平 (flat), so the registers still add up to the total."""
    names = [n for n in tou_list(meter.tou_registers) if getattr(opening, n) is not None]
    if not names or moved is None:
        return {}
    held = {n: getattr(opening, n) for n in names}
    whole = sum(held.values(), Decimal(0))
    shares = {n: (held[n] / whole if whole else Decimal(1) / len(names)) for n in names}
    step = spec.resolution
    parts = {n: (moved * shares[n]).quantize(step) for n in names}
    sink = "flat" if "flat" in parts else names[-1]
    parts[sink] += moved - sum(parts.values(), Decimal(0))
    return {n: (held[n] + parts[n]) % spec.modulus for n in names}


def _last_valid(
    session: Session, *, meter_id: int, install: MeterInstall, before: date
) -> MeterReading | None:
    return session.scalar(
        select(MeterReading)
        .where(
            MeterReading.meter_id == meter_id,
            MeterReading.status == "valid",
            MeterReading.read_on >= install.installed_on,
            MeterReading.read_on < before,
        )
        .order_by(MeterReading.read_on.desc(), MeterReading.id.desc())
        .limit(1)
    )


def _registers_of(reading: MeterReading) -> RegisterSet:
    return RegisterSet(total=reading.total, **{n: getattr(reading, n) for n in TOU_NAMES})


def _install_start(install: MeterInstall) -> RegisterSet:
    return RegisterSet(total=install.start_total, **{n: getattr(install, f"start_{n}") for n in TOU_NAMES})


def _install_end(install: MeterInstall) -> RegisterSet:
    assert install.end_total is not None
    return RegisterSet(total=install.end_total, **{n: getattr(install, f"end_{n}") for n in TOU_NAMES})


def _segments(
    session: Session, *, task: ReadingTask, closing: MeterReading, since: date | None, cache: _BookCache
) -> tuple[list[Segment], date, date]:
    """The meters on the task's service point from the opening to the closing reading, and the
    period they span. ``since`` is where the account's previous determinant ended, if any."""
    end = closing.read_on
    installs = sorted(
        (i for i in cache.installs.get(task.service_point_id, []) if i.installed_on < end),
        key=lambda i: i.installed_on,
    )
    current = next(
        i for i in installs if i.meter_id == closing.meter_id and (i.removed_on is None or i.removed_on > end)
    )
    if since is None:  # the account's first determinant: from the point's last reading before this one
        first = _latest(cache.point_readings.get(task.service_point_id, []), before=end)
        since = first.read_on if first else current.installed_on
    segments = []
    for install in installs:
        if install.removed_on is not None and install.removed_on <= since:
            continue
        meter = session.get(Meter, install.meter_id)
        assert meter is not None
        found = None
        if install.installed_on < since:
            found = cache.last_valid(session, install=install, before=date.fromordinal(since.toordinal() + 1))
        if install is current:
            closing_set, closing_quality, closing_reactive = (
                _registers_of(closing),
                QualityFlag(closing.quality),
                closing.reactive,
            )
        else:
            closing_set, closing_quality, closing_reactive = _install_end(install), QualityFlag.ACTUAL, None
        segments.append(
            Segment(
                meter_no=meter.meter_no,
                spec=RegisterSpec(integer_digits=meter.integer_digits, decimal_digits=meter.decimal_digits),
                multiplier=install.multiplier,
                opening=_registers_of(found) if found else _install_start(install),
                closing=closing_set,
                opening_quality=QualityFlag(found.quality) if found else QualityFlag.ACTUAL,
                closing_quality=closing_quality,
                tou_registers=tuple(tou_list(meter.tou_registers)),
                opening_reactive=found.reactive if found else None,
                closing_reactive=closing_reactive,
                max_demand=closing.max_demand_kw if install is current else None,
            )
        )
    return segments, since, end


def _latest(readings: list[MeterReading], *, before: date) -> MeterReading | None:
    return max(
        (r for r in readings if r.status == "valid" and r.read_on < before),
        key=lambda r: (r.read_on, r.id),
        default=None,
    )


CANDIDATES = 4  # latest valid readings per meter loaded for a route book's closing


@dataclass
class _BookCache:
    """What closing a route book looks up, loaded in a few queries instead of per account."""

    previous_end: dict[int, date]
    installs: dict[int, list[MeterInstall]]
    meter_readings: dict[int, list[MeterReading]]
    point_readings: dict[int, list[MeterReading]]

    @classmethod
    def load(cls, session: Session, *, tasks: list[ReadingTask]) -> _BookCache:
        accounts = list({t.account_id for t in tasks if t.account_id is not None})
        points = list({t.service_point_id for t in tasks})
        previous_end = {
            account: end
            for account, end in session.execute(
                select(BillingDeterminant.account_id, func.max(BillingDeterminant.end_on))
                .where(BillingDeterminant.account_id.in_(accounts))
                .group_by(BillingDeterminant.account_id)
            )
        }
        installs: dict[int, list[MeterInstall]] = {}
        for install in session.scalars(select(MeterInstall).where(MeterInstall.service_point_id.in_(points))):
            installs.setdefault(install.service_point_id, []).append(install)
        meter_ids = list({i.meter_id for found in installs.values() for i in found})
        list(session.scalars(select(Meter).where(Meter.id.in_(meter_ids))))  # into the identity map
        reading_ids = [t.reading_id for t in tasks if t.reading_id is not None]
        list(session.scalars(select(MeterReading).where(MeterReading.id.in_(reading_ids))))
        ranked = (
            select(
                MeterReading.id,
                func.row_number()
                .over(
                    partition_by=MeterReading.meter_id,
                    order_by=(MeterReading.read_on.desc(), MeterReading.id.desc()),
                )
                .label("rank"),
            )
            .where(MeterReading.meter_id.in_(meter_ids), MeterReading.status == "valid")
            .subquery()
        )
        meter_readings: dict[int, list[MeterReading]] = {}
        point_readings: dict[int, list[MeterReading]] = {}
        for reading in session.scalars(
            select(MeterReading)
            .join(ranked, ranked.c.id == MeterReading.id)
            .where(ranked.c.rank <= CANDIDATES)
        ):
            meter_readings.setdefault(reading.meter_id, []).append(reading)
            point_readings.setdefault(reading.service_point_id, []).append(reading)
        return cls(previous_end, installs, meter_readings, point_readings)

    def last_valid(self, session: Session, *, install: MeterInstall, before: date) -> MeterReading | None:
        """`_last_valid` from the loaded candidates, asking the database only when they run out."""
        candidates = self.meter_readings.get(install.meter_id, [])
        found = _latest([r for r in candidates if r.read_on >= install.installed_on], before=before)
        if found is None and len(candidates) >= CANDIDATES:
            return _last_valid(session, meter_id=install.meter_id, install=install, before=before)
        return found
