"""Storage model of prepaid electricity (预付费) — see docs/prepaid.md.

- ``card_vend``: one sale written to an IC card (售电): account, meter, card, purchase count (购电次数),
  amount, kWh, whether it is the first purchase (首次购电), the payment that took the money, who sold
  it and when. A card's purchase count is unique, and so is a meter's; the idempotency key makes a
  retried vend return the first one.
- ``card_meter_report``: what a card meter reports (handheld read or card write-back, 回写): its
  purchase count, cumulative purchase, remaining and cumulative use, one report per meter and day.
- ``prepaid_frozen_reading``: a smart-prepaid meter's daily frozen registers (日冻结示数), imported
  from the collection system's file; one per meter and day.
- ``prepaid_state``: where a smart-prepaid account's daily estimate stands (the `PrepaidState` the
  next run starts from).
- ``prepaid_estimate``: one account's estimated day (余额测算): usage, charge, balance, decisions.
- ``prepaid_action``: an alert, trip or close asked for by the daily run, and its outcome (queued
  notice; the meter's reply or the error).
- ``prepaid_exception``: a card-meter anomaly handed to revenue protection (稽查), open or closed.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from meter2cash.platform.db import Base
from meter2cash.platform.db_types import ExactDecimal

MONEY = ExactDecimal(scale=2, precision=18)
ENERGY = ExactDecimal(scale=4, precision=18)
PRICE = ExactDecimal(scale=6, precision=18)

ACTION_KINDS = ("alert", "trip", "close")
ACTION_STATES = ("queued", "requested", "acknowledged", "refused", "failed")
EXCEPTION_STATES = ("open", "closed")
CARD_UNITS = ("kwh", "yuan")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class CardVend(Base):
    __tablename__ = "card_vend"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meter.id"), index=True)
    card_no: Mapped[str] = mapped_column(String(40))
    purchase_count: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(8))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    kwh: Mapped[Decimal] = mapped_column(ENERGY)
    opening_kwh: Mapped[Decimal] = mapped_column(ENERGY)
    price: Mapped[Decimal | None] = mapped_column(PRICE)  # 元/kWh the kWh were sold at
    tariff_version: Mapped[str | None] = mapped_column(String(60))
    first_purchase: Mapped[bool] = mapped_column(Boolean)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    vended_by: Mapped[str] = mapped_column(String(64))
    vended_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("card_no", "purchase_count", name="uq_card_vend_card_count"),
        UniqueConstraint("meter_id", "purchase_count", name="uq_card_vend_meter_count"),
        CheckConstraint("purchase_count >= 1", name="count_positive"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("kwh >= 0 AND opening_kwh >= 0", name="kwh_not_negative"),
        CheckConstraint(_in("unit", CARD_UNITS), name="unit_known"),
        CheckConstraint("first_purchase = (purchase_count = 1)", name="first_is_count_one"),
    )


class CardMeterReport(Base):
    __tablename__ = "card_meter_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meter.id"), index=True)
    reported_on: Mapped[date] = mapped_column(Date)
    unit: Mapped[str] = mapped_column(String(8))
    purchase_count: Mapped[int] = mapped_column(Integer)
    cumulative_purchase: Mapped[Decimal] = mapped_column(ENERGY)
    remaining: Mapped[Decimal] = mapped_column(ENERGY)
    cumulative_used: Mapped[Decimal] = mapped_column(ENERGY)
    imported_by: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("meter_id", "reported_on", name="uq_card_meter_report_meter_day"),
        CheckConstraint("purchase_count >= 0", name="count_not_negative"),
        CheckConstraint(_in("unit", CARD_UNITS), name="unit_known"),
    )


class PrepaidFrozenReading(Base):
    __tablename__ = "prepaid_frozen_reading"

    id: Mapped[int] = mapped_column(primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meter.id"), index=True)
    frozen_on: Mapped[date] = mapped_column(Date)
    total: Mapped[Decimal] = mapped_column(ENERGY)
    imported_by: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("meter_id", "frozen_on", name="uq_prepaid_frozen_reading_meter_day"),
        CheckConstraint("total >= 0", name="total_not_negative"),
    )


class PrepaidStateRow(Base):
    __tablename__ = "prepaid_state"

    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), primary_key=True, autoincrement=False)
    next_day: Mapped[date] = mapped_column(Date)
    balance: Mapped[Decimal] = mapped_column(MONEY)
    base_frozen_on: Mapped[date | None] = mapped_column(Date)
    base_total: Mapped[Decimal | None] = mapped_column(ENERGY)
    alerted: Mapped[bool] = mapped_column(Boolean)
    notice_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    tripped: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PrepaidEstimate(Base):
    __tablename__ = "prepaid_estimate"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    opening: Mapped[Decimal] = mapped_column(MONEY)
    top_ups: Mapped[Decimal] = mapped_column(MONEY)
    kwh: Mapped[Decimal | None] = mapped_column(ENERGY)
    charge: Mapped[Decimal] = mapped_column(MONEY)
    balance: Mapped[Decimal] = mapped_column(MONEY)
    decision: Mapped[str | None] = mapped_column(String(40))  # kinds, comma-separated
    detail: Mapped[str] = mapped_column(Text)  # JSON: decisions and reading issues with reasons
    estimated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("account_id", "day", name="uq_prepaid_estimate_account_day"),)


class PrepaidAction(Base):
    __tablename__ = "prepaid_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    meter_id: Mapped[int | None] = mapped_column(ForeignKey("meter.id"))
    kind: Mapped[str] = mapped_column(String(8))
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reply: Mapped[str | None] = mapped_column(String(300))
    error: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (
        UniqueConstraint("account_id", "kind", "day", name="uq_prepaid_action_account_kind_day"),
        CheckConstraint(_in("kind", ACTION_KINDS), name="kind_known"),
        CheckConstraint(_in("state", ACTION_STATES), name="state_known"),
    )


class PrepaidException(Base):
    __tablename__ = "prepaid_exception"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meter.id"))
    card_no: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(40))
    reported_on: Mapped[date] = mapped_column(Date)
    details: Mapped[str] = mapped_column(Text)  # JSON: the exception's numbers, decimal strings
    reason: Mapped[str] = mapped_column(String(600))  # 中文 English
    state: Mapped[str] = mapped_column(String(8))
    opened_by: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        UniqueConstraint("meter_id", "kind", "reported_on", name="uq_prepaid_exception_meter_kind_report"),
        CheckConstraint(_in("state", EXCEPTION_STATES), name="state_known"),
    )
