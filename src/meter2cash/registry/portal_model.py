"""Customer portal access (网上营业厅): one row per account that a clerk enrolled.

A clerk gives the customer a one-time activation code (kept as an argon2 hash, expiring); the
customer activates with account number + code and chooses a password; later logins use account
number + password, with the same lockout as staff. The reminder preference (how the customer wants
payment reminders) is read by dunning when collection lands.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from meter2cash.platform.db import Base

REMINDER_CHANNELS = ("sms", "email", "letter", "none")


class PortalUser(Base):
    __tablename__ = "portal_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), unique=True)
    code_hash: Mapped[str | None] = mapped_column(String(200))
    code_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    activated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reminder_channel: Mapped[str] = mapped_column(String(10), default="sms")
    reminder_contact: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint(
            "reminder_channel IN ('sms', 'email', 'letter', 'none')", name="reminder_channel_known"
        ),
    )
