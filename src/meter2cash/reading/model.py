"""Storage model of meter reading (抄表): tasks per route book and period, readings with their
quality, collection attempts, exceptions and edits (four-eyes), billing determinants.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from meter2cash.platform.db import Base
from meter2cash.platform.db_types import ExactDecimal

READING = ExactDecimal(scale=4, precision=18)
ENERGY = ExactDecimal(scale=4, precision=20)

TASK_STATES = ("pending", "read", "estimated", "failed", "reread_requested", "done")
QUALITIES = ("actual", "estimated", "substituted", "edited", "customer_read")
SOURCES = ("auto", "handheld", "manual", "import", "estimate", "edit")
READING_STATUSES = ("valid", "exception", "superseded", "rejected")
EXCEPTION_STATES = ("open", "confirmed", "reread_requested", "edit_pending", "resolved")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ReadingBatch(Base):
    """One file import, one collection run or one manual entry: re-importing the same content
    finds its batch and changes nothing."""

    __tablename__ = "reading_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # file | collection | manual
    sha256: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("kind", "sha256", name="uq_reading_batch_kind_sha"),)


class ReadingTask(Base):
    __tablename__ = "reading_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    route_book_id: Mapped[int] = mapped_column(ForeignKey("route_book.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_point.id"))
    meter_id: Mapped[int] = mapped_column(ForeignKey("meter.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    window_closes_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    reading_id: Mapped[int | None] = mapped_column(
        ForeignKey("meter_reading.id", use_alter=True, name="fk_reading_task_reading")
    )

    __table_args__ = (
        UniqueConstraint("period", "service_point_id", "meter_id", name="uq_reading_task_period_point_meter"),
        CheckConstraint(_in("state", TASK_STATES), name="state_known"),
        CheckConstraint("window_closes_on >= due_on", name="window_after_due"),
        Index("ix_reading_task_book_period", "route_book_id", "period"),
    )


class MeterReading(Base):
    __tablename__ = "meter_reading"

    id: Mapped[int] = mapped_column(primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meter.id"))
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_point.id"))
    read_on: Mapped[date] = mapped_column(Date)  # business date, Asia/Shanghai
    read_at: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(12))
    quality: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(12), default="valid")
    total: Mapped[Decimal] = mapped_column(READING)
    sharp: Mapped[Decimal | None] = mapped_column(READING)
    peak: Mapped[Decimal | None] = mapped_column(READING)
    flat: Mapped[Decimal | None] = mapped_column(READING)
    valley: Mapped[Decimal | None] = mapped_column(READING)
    reactive: Mapped[Decimal | None] = mapped_column(READING)
    max_demand_kw: Mapped[Decimal | None] = mapped_column(READING)
    meter_clock: Mapped[str | None] = mapped_column(String(40))
    reported_multiplier: Mapped[Decimal | None] = mapped_column(READING)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("reading_task.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("reading_batch.id"), index=True)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("meter_reading.id"))
    photo_path: Mapped[str | None] = mapped_column(String(300))
    entered_by: Mapped[str] = mapped_column(String(64))
    estimation_method: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (
        CheckConstraint(_in("quality", QUALITIES), name="quality_known"),
        CheckConstraint(_in("source", SOURCES), name="source_known"),
        CheckConstraint(_in("status", READING_STATUSES), name="status_known"),
        CheckConstraint("total >= 0", name="total_not_negative"),
        Index("ix_meter_reading_meter_day", "meter_id", "read_on"),
    )


class CollectionAttempt(Base):
    """Every try to read a meter over DL/T 645, successful or not."""

    __tablename__ = "collection_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("reading_batch.id"), index=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meter.id"))
    attempt: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(12))  # ok | failed
    error_kind: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(String(300))
    duration_ms: Mapped[int] = mapped_column(Integer)


BILL_REJECTED = "BILL_REJECTED"
"""The exception code a bill rejected at review back to reading opens (量费审核退回抄表). While it is
open the account's period is held at closing; once resolved, closing recomputes the determinant."""


class ReadingException(Base):
    """A failed check, queued by route book for a clerk (抄表异常)."""

    __tablename__ = "reading_exception"

    id: Mapped[int] = mapped_column(primary_key=True)
    route_book_id: Mapped[int] = mapped_column(ForeignKey("route_book.id"))
    period: Mapped[str] = mapped_column(String(7))
    meter_id: Mapped[int] = mapped_column(ForeignKey("meter.id"))
    reading_id: Mapped[int | None] = mapped_column(ForeignKey("meter_reading.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("reading_task.id"))
    code: Mapped[str] = mapped_column(String(24))
    severity: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="open")
    opened_on: Mapped[date] = mapped_column(Date)
    resolved_on: Mapped[date | None] = mapped_column(Date)
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolution: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(_in("state", EXCEPTION_STATES), name="state_known"),
        Index("ix_reading_exception_queue", "route_book_id", "state"),
    )


class ReadingEdit(Base):
    """A clerk's correction of a reading. One that changes billed energy waits for a second
    person's approval (four-eyes); both people and both values are kept."""

    __tablename__ = "reading_edit"

    id: Mapped[int] = mapped_column(primary_key=True)
    exception_id: Mapped[int | None] = mapped_column(ForeignKey("reading_exception.id"))
    reading_id: Mapped[int] = mapped_column(ForeignKey("meter_reading.id"))
    old_values: Mapped[str] = mapped_column(Text)
    new_values: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    changes_energy: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(10), default="pending")  # pending | approved | rejected
    proposed_by: Mapped[str] = mapped_column(String(64))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    new_reading_id: Mapped[int | None] = mapped_column(ForeignKey("meter_reading.id"))

    __table_args__ = (
        CheckConstraint("state IN ('pending', 'approved', 'rejected')", name="state_known"),
        CheckConstraint("decided_by IS NULL OR decided_by <> proposed_by", name="four_eyes"),
    )


class BillingDeterminant(Base):
    """What billing prices for one account and period (计费电量): kWh per time-of-use period
    after multiplier, rollover and meter changes; kvarh; maximum demand; days; quality."""

    __tablename__ = "billing_determinant"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    period: Mapped[str] = mapped_column(String(7))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)
    kwh_total: Mapped[Decimal] = mapped_column(ENERGY)
    kwh_sharp: Mapped[Decimal | None] = mapped_column(ENERGY)
    kwh_peak: Mapped[Decimal | None] = mapped_column(ENERGY)
    kwh_flat: Mapped[Decimal | None] = mapped_column(ENERGY)
    kwh_valley: Mapped[Decimal | None] = mapped_column(ENERGY)
    kvarh: Mapped[Decimal | None] = mapped_column(ENERGY)
    max_demand_kw: Mapped[Decimal | None] = mapped_column(ENERGY)
    quality: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text)  # JSON: the segments (meters) and readings behind it
    computed_by: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("account_id", "period", name="uq_billing_determinant_account_period"),
        CheckConstraint("end_on > start_on", name="period_ordered"),
        CheckConstraint("kwh_total >= 0", name="energy_not_negative"),
    )
