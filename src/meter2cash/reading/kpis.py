"""Reading KPIs (抄表指标) of a period, for supervision.

- 抄表率 reading rate: tasks with a reading obtained (read or done, estimates not counted) ÷
  tasks planned.
- 实抄率 actual-read rate: readings behind the period's tasks that were read from the meter
  (quality actual or edited from an actual) ÷ all readings behind them, estimates included.
- 一次抄表成功率 first-try collection success: meters a collection run of the period read on the
  first attempt ÷ meters it tried.
- 差错率 error rate: the period's readings later corrected by an approved edit ÷ the period's
  readings.
- Exceptions by code and by state, and the open ones by age (days since opened).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from meter2cash.platform.money import round_to
from meter2cash.reading.model import (
    CollectionAttempt,
    MeterReading,
    ReadingBatch,
    ReadingEdit,
    ReadingException,
    ReadingTask,
)

AGE_BUCKETS = ((0, 2, "0-2"), (3, 7, "3-7"), (8, 30, "8-30"), (31, 10**6, ">30"))


@dataclass
class ReadingKpis:
    period: str
    planned: int = 0
    obtained: int = 0
    estimated: int = 0
    missing: int = 0
    actual_readings: int = 0
    readings: int = 0
    collection_tried: int = 0
    collection_first_try: int = 0
    corrected: int = 0
    exceptions_by_code: dict[str, int] = field(default_factory=dict)
    exceptions_by_state: dict[str, int] = field(default_factory=dict)
    open_by_age_days: dict[str, int] = field(default_factory=dict)

    @staticmethod
    def _rate(part: int, whole: int) -> str | None:
        return None if whole == 0 else str(round_to(Decimal(part) * 100 / whole, places=2))

    def as_dict(self) -> dict[str, object]:
        return {
            "period": self.period,
            "planned": self.planned,
            "reading_rate_pct": self._rate(self.obtained, self.planned),
            "actual_read_rate_pct": self._rate(self.actual_readings, self.readings),
            "first_try_success_pct": self._rate(self.collection_first_try, self.collection_tried),
            "error_rate_pct": self._rate(self.corrected, self.readings),
            "counts": {
                "obtained": self.obtained,
                "estimated": self.estimated,
                "missing": self.missing,
                "readings": self.readings,
                "actual_readings": self.actual_readings,
                "collection_tried": self.collection_tried,
                "collection_first_try": self.collection_first_try,
                "corrected": self.corrected,
            },
            "exceptions_by_code": self.exceptions_by_code,
            "exceptions_by_state": self.exceptions_by_state,
            "open_exceptions_by_age_days": self.open_by_age_days,
        }


def reading_kpis(session: Session, *, period: str, today: date) -> ReadingKpis:
    kpis = ReadingKpis(period=period)
    states = Counter(
        dict(
            session.execute(
                select(ReadingTask.state, func.count())
                .where(ReadingTask.period == period)
                .group_by(ReadingTask.state)
            ).all()
        )
    )
    kpis.planned = sum(states.values())
    kpis.obtained = states["read"] + states["done"]
    kpis.estimated = states["estimated"]
    kpis.missing = states["failed"] + states["pending"] + states["reread_requested"]
    used = Counter(
        dict(
            session.execute(
                select(MeterReading.quality, func.count())
                .join(ReadingTask, ReadingTask.reading_id == MeterReading.id)
                .where(ReadingTask.period == period)
                .group_by(MeterReading.quality)
            ).all()
        )
    )
    kpis.readings = sum(used.values())
    kpis.actual_readings = used["actual"] + used["edited"]
    tried = (
        select(CollectionAttempt.meter_id)
        .join(ReadingBatch, ReadingBatch.id == CollectionAttempt.batch_id)
        .where(ReadingBatch.kind == "collection", ReadingBatch.name.like(f"collection {period}%"))
    )
    kpis.collection_tried = (
        session.scalar(select(func.count(func.distinct(tried.subquery().c.meter_id)))) or 0
    )
    first = tried.where(CollectionAttempt.attempt == 1, CollectionAttempt.outcome == "ok").subquery()
    kpis.collection_first_try = session.scalar(select(func.count(func.distinct(first.c.meter_id)))) or 0
    period_readings = (
        select(MeterReading.id)
        .join(ReadingTask, ReadingTask.id == MeterReading.task_id)
        .where(ReadingTask.period == period, MeterReading.source != "edit")
    )
    kpis.corrected = (
        session.scalar(
            select(func.count(func.distinct(ReadingEdit.reading_id))).where(
                ReadingEdit.state == "approved", ReadingEdit.reading_id.in_(period_readings)
            )
        )
        or 0
    )
    exceptions = session.execute(
        select(ReadingException.code, ReadingException.state, ReadingException.opened_on).where(
            ReadingException.period == period
        )
    ).all()
    kpis.exceptions_by_code = dict(sorted(Counter(code for code, _, _ in exceptions).items()))
    kpis.exceptions_by_state = dict(sorted(Counter(state for _, state, _ in exceptions).items()))
    ages: Counter[str] = Counter()
    for _, state, opened in exceptions:
        if state in ("open", "edit_pending"):
            age = (today - opened).days
            ages[next(label for low, high, label in AGE_BUCKETS if low <= age <= high)] += 1
    kpis.open_by_age_days = {label: ages[label] for _, _, label in AGE_BUCKETS}
    return kpis
