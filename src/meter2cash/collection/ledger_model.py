"""Storage model of the receivables ledger (应收电费账) and of payments (缴费) — see docs/ledger.md.

- ``ledger_txn`` is one balanced transaction (记账凭证): what it is (`kind`), where it came from
  (`source`, unique: posting the same bill, payment or accrual twice is refused by the
  database), the business day, who posted it and in which batch.
- ``ledger_entry`` is one line of it: a general-ledger account (`gl`, see `gl.py`), the customer
  account it belongs to (the sub-ledger), the bill (receivable) and payment it concerns, and a
  signed amount (debit positive, credit negative). The lines of a transaction sum to zero: the
  unit of work checks it on every backend before commit, and on PostgreSQL a deferred constraint
  trigger refuses a transaction that does not.
- Entries and transactions are immutable: the database refuses UPDATE and DELETE. A mistake is
  put right by a new, reversing transaction.
- ``payment`` is one payment received, on one channel, with its idempotency key or channel
  reference (each unique), its receipt number (收据号, counter payments), and its batch.
- ``payment_reversal`` is a request to reverse (冲正) a payment and a supervisor's decision.
- ``late_fee_charge`` explains each accrual of a late payment penalty (违约金) on a bill;
  ``late_fee_waiver`` a request to waive one and its approval; ``write_off`` a bad-debt write-off
  (坏账核销) and its approval; ``collection_close`` a closed collection month.
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
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from meter2cash.platform.db import Base
from meter2cash.platform.db_types import ExactDecimal

MONEY = ExactDecimal(scale=2, precision=18)


class LedgerTxn(Base):
    __tablename__ = "ledger_txn"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    source: Mapped[str] = mapped_column(String(120), unique=True)
    business_day: Mapped[date] = mapped_column(Date, index=True)
    posted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    batch: Mapped[str | None] = mapped_column(String(80), index=True)
    memo: Mapped[str | None] = mapped_column(String(300))


class LedgerEntry(Base):
    __tablename__ = "ledger_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    txn_id: Mapped[int] = mapped_column(ForeignKey("ledger_txn.id"), index=True)
    gl: Mapped[str] = mapped_column(String(60))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    receivable_id: Mapped[int | None] = mapped_column(ForeignKey("receivable.id"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"))
    amount: Mapped[Decimal] = mapped_column(MONEY)

    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        Index("ix_ledger_entry_account_gl", "account_id", "gl"),
        Index(
            "ix_ledger_entry_receivable",
            "receivable_id",
            postgresql_where=text("receivable_id IS NOT NULL"),
            sqlite_where=text("receivable_id IS NOT NULL"),
        ),
        Index(
            "ix_ledger_entry_payment",
            "payment_id",
            postgresql_where=text("payment_id IS NOT NULL"),
            sqlite_where=text("payment_id IS NOT NULL"),
        ),
    )


class Payment(Base):
    __tablename__ = "payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    method: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(40))  # bank, agent or gateway code; "counter"
    amount: Mapped[Decimal] = mapped_column(MONEY)
    paid_on: Mapped[date] = mapped_column(Date, index=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_on: Mapped[date] = mapped_column(Date)  # the business day the money was taken
    channel_ref: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    receipt_no: Mapped[str | None] = mapped_column(String(20), unique=True)
    batch: Mapped[str | None] = mapped_column(String(80), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    payer: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("idempotency_key IS NOT NULL OR channel_ref IS NOT NULL", name="keyed"),
        UniqueConstraint("channel", "source", "channel_ref", name="uq_payment_channel_ref"),
    )


class ReceiptNumber(Base):
    """The gap-free receipt (收据) counter of a year, locked while a number is taken."""

    __tablename__ = "receipt_number"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_no: Mapped[int] = mapped_column(Integer, default=0)


class PaymentReversal(Base):
    __tablename__ = "payment_reversal"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payment.id"), unique=True)
    reason: Mapped[str] = mapped_column(String(300))
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(12), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(String(300))
    txn_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_txn.id"))

    __table_args__ = (
        CheckConstraint("state IN ('pending', 'approved', 'rejected')", name="state_known"),
        CheckConstraint("decided_by IS NULL OR decided_by <> requested_by", name="four_eyes"),
    )


class LateFeeCharge(Base):
    __tablename__ = "late_fee_charge"

    id: Mapped[int] = mapped_column(primary_key=True)
    receivable_id: Mapped[int] = mapped_column(ForeignKey("receivable.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    txn_id: Mapped[int] = mapped_column(ForeignKey("ledger_txn.id"))
    through: Mapped[date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    total_to_date: Mapped[Decimal] = mapped_column(MONEY)
    rule: Mapped[str] = mapped_column(String(300))


class ApprovalRequest:
    """A request on one bill's debt that a supervisor decides (shared by waivers and write-offs)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    receivable_id: Mapped[int] = mapped_column(ForeignKey("receivable.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    reason: Mapped[str] = mapped_column(String(300))
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(12), default="pending")
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    txn_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_txn.id"))

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("state IN ('pending', 'approved', 'rejected')", name="state_known"),
        CheckConstraint("decided_by IS NULL OR decided_by <> requested_by", name="four_eyes"),
    )


class LateFeeWaiver(ApprovalRequest, Base):
    __tablename__ = "late_fee_waiver"


class WriteOff(ApprovalRequest, Base):
    __tablename__ = "write_off"


class CollectionClose(Base):
    """A collection month (收费月) closed: no payment, accrual or reversal may be dated in it."""

    __tablename__ = "collection_close"

    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    closed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str] = mapped_column(String(64))
