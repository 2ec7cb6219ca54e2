"""Storage model of lawful disconnection and reconnection (停复电) — migration 0011,
docs/dunning-disconnection.md "The service".

- ``account_protection``: a medical or social flag that bars disconnecting an account (important
  and low-income customers are flagged on ``account`` itself). Set with a note by a named user;
  cleared, never deleted. At most one flag of a reason is in force per account (a partial unique
  index where ``cleared_at IS NULL``).
- ``disconnection_case``: one case (`disconnection_rules.DisconnectionCase`): the account, its
  class, the planned cut, the method (``remote`` 1CH or ``work_order``), its state, the arrears
  and oldest due date at the proposal, the field work orders' numbers and the reconnection
  deadline. At most one open case per account (a partial unique index over the open states).
- ``disconnection_step``: each step the case took (``proposed`` … ``reconnected``, or
  ``cancelled``): when, by whom, and what it did (the outbox messages, the meter's 1CH reply, the
  work order). One step of a state per case (unique); steps are never changed or deleted.

The database itself refuses a cut without its steps: a trigger (both backends) aborts an
``executed`` step of a case that lacks its ``approved``, ``notice_sent`` and
``final_notice_sent`` steps, and a case whose state becomes ``executed`` without an ``executed``
step.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from meter2cash.platform.db import Base
from meter2cash.platform.db_types import ExactDecimal

MONEY = ExactDecimal(scale=2, precision=18)
PROTECTION_REASONS = ("medical", "social")
METHODS = ("remote", "work_order")
STATES = (
    "proposed",
    "approved",
    "notice_sent",
    "final_notice_sent",
    "executed",
    "reconnection_due",
    "reconnected",
    "cancelled",
)
OPEN_STATES = STATES[:6]


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class AccountProtection(Base):
    __tablename__ = "account_protection"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    reason: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(String(300))
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cleared_by: Mapped[str | None] = mapped_column(String(64))
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(_in("reason", PROTECTION_REASONS), name="reason_known"),
        Index(
            "uq_account_protection_in_force",
            "account_id",
            "reason",
            unique=True,
            sqlite_where=text("cleared_at IS NULL"),
            postgresql_where=text("cleared_at IS NULL"),
        ),
    )


class DisconnectionCaseRow(Base):
    __tablename__ = "disconnection_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    planned_cut: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    method: Mapped[str] = mapped_column(String(12))
    state: Mapped[str] = mapped_column(String(20))
    arrears: Mapped[Decimal] = mapped_column(MONEY)
    oldest_due_date: Mapped[date] = mapped_column(Date)
    meter_id: Mapped[int | None] = mapped_column(ForeignKey("meter.id"))
    work_order_no: Mapped[str | None] = mapped_column(String(40), unique=True)
    reconnect_order_no: Mapped[str | None] = mapped_column(String(40), unique=True)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reconnect_by: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(_in("method", METHODS), name="method_known"),
        CheckConstraint(_in("state", STATES), name="state_known"),
        CheckConstraint("arrears > 0", name="arrears_positive"),
        Index(
            "uq_disconnection_case_open",
            "account_id",
            unique=True,
            sqlite_where=text(_in("state", OPEN_STATES)),
            postgresql_where=text(_in("state", OPEN_STATES)),
        ),
    )


class DisconnectionStepRow(Base):
    __tablename__ = "disconnection_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("disconnection_case.id"), index=True)
    state: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(_in("state", STATES), name="state_known"),
        UniqueConstraint("case_id", "state", name="uq_disconnection_step_case_state"),
    )
