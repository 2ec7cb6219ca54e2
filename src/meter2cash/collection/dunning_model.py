"""Storage model of dunning (催费) notices — migration 0010, docs/dunning-disconnection.md.

``dunning_notice`` is one step of the dunning policy sent to one account for one arrears: the
step, the channels it went by (comma-separated, e.g. ``sms,letter``), the day, the overdue amount
and the oldest unpaid due date it was about, and the first outbox message of the notice (every
channel's message carries the account and the notice's dedupe key prefix). One step per account
and arrears (unique account, step, oldest due date): a step is never sent twice for the same
arrears.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from meter2cash.platform.db import Base
from meter2cash.platform.db_types import ExactDecimal

MONEY = ExactDecimal(scale=2, precision=18)


class DunningNotice(Base):
    __tablename__ = "dunning_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    step: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(40))
    issued_on: Mapped[date] = mapped_column(Date)
    arrears: Mapped[Decimal] = mapped_column(MONEY)
    oldest_due_date: Mapped[date] = mapped_column(Date)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("message_outbox.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("account_id", "step", "oldest_due_date", name="uq_dunning_notice_step"),
        Index("ix_dunning_notice_issued_on", "issued_on"),
    )
