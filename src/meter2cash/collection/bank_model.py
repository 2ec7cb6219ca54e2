"""Storage model of bank withholding (银行代扣) and bank reconciliation (银行对账) — migration 0009,
docs/bank-files.md.

- ``withholding_agreement`` is a customer's mandate (代扣协议) letting the bureau have one bank debit
  one bank account for an electricity account, from ``signed_on`` until ``ended_on`` (the day it
  ends, not included). At most one agreement per account is active (no ``ended_on``): a partial
  unique index refuses a second on both backends.
- ``bank_file`` is every bank file the bureau sent or received: a debit file exported
  (``debit_export``), a bank's withholding result, a bank statement, an agent's settlement file;
  its bank or agent, name, SHA-256, rows and total, who and when. A received file is recorded once
  per kind and SHA-256 (unique), so the same file imported twice is recognised and posts nothing.
- ``bank_debit_line`` is one instruction of an exported debit file: our reference (unique), the
  account and amount asked, and, once the result file is in, the bank's answer.
- ``reconciliation_run`` is one reconciliation of a statement or settlement file, with its report;
  ``reconciliation_item`` one difference it found, open until a supervisor resolves it with a
  resolution and a note.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from meter2cash.platform.db import Base
from meter2cash.platform.db_types import ExactDecimal

MONEY = ExactDecimal(scale=2, precision=18)
FILE_KINDS = ("debit_export", "withholding_result", "statement", "agent_settlement")
ITEM_KINDS = ("missing_in_bank", "missing_in_ledger", "duplicate", "amount_mismatch")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class WithholdingAgreement(Base):
    __tablename__ = "withholding_agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    bank: Mapped[str] = mapped_column(String(40))
    bank_account: Mapped[str] = mapped_column(String(64))
    holder: Mapped[str] = mapped_column(String(200))
    signed_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("ended_on IS NULL OR ended_on >= signed_on", name="ends_after_signing"),
        Index(
            "uq_withholding_agreement_active",
            "account_id",
            unique=True,
            sqlite_where=text("ended_on IS NULL"),
            postgresql_where=text("ended_on IS NULL"),
        ),
    )


class BankFileRecord(Base):
    __tablename__ = "bank_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    source: Mapped[str] = mapped_column(String(40))  # the bank or agent code
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    encoding: Mapped[str] = mapped_column(String(12))
    rows: Mapped[int] = mapped_column(Integer)
    total: Mapped[Decimal] = mapped_column(MONEY)
    batch: Mapped[str | None] = mapped_column(String(80), index=True)  # a debit export's batch
    as_of: Mapped[date | None] = mapped_column(Date)  # a debit export's day
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(_in("kind", FILE_KINDS), name="kind_known"),
        CheckConstraint("rows >= 0", name="rows_not_negative"),
        Index("uq_bank_file_kind_sha256", "kind", "sha256", unique=True),
    )


class BankDebitLine(Base):
    __tablename__ = "bank_debit_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_file_id: Mapped[int] = mapped_column(ForeignKey("bank_file.id"), index=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    bank_account: Mapped[str] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    status: Mapped[str | None] = mapped_column(String(12))  # None until the result is in
    bank_ref: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(200))
    result_file_id: Mapped[int | None] = mapped_column(ForeignKey("bank_file.id"))

    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("status IS NULL OR status IN ('succeeded', 'failed')", name="status_known"),
    )


class ReconciliationRun(Base):
    __tablename__ = "reconciliation_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_file_id: Mapped[int] = mapped_column(ForeignKey("bank_file.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(120))  # bank code, or the agents' codes
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    matched_count: Mapped[int] = mapped_column(Integer)
    matched_amount: Mapped[Decimal] = mapped_column(MONEY)
    differences: Mapped[int] = mapped_column(Integer)
    report: Mapped[str] = mapped_column(Text)  # ReconciliationReport.as_json(), as JSON
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (CheckConstraint("kind IN ('statement', 'agent_settlement')", name="kind_known"),)


class ReconciliationItem(Base):
    __tablename__ = "reconciliation_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("reconciliation_run.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(String(40))  # a duplicate's reason
    reference: Mapped[str | None] = mapped_column(String(80))
    bank_ref: Mapped[str | None] = mapped_column(String(64))
    bank_row: Mapped[int | None] = mapped_column(Integer)
    account_no: Mapped[str | None] = mapped_column(String(32))
    bank_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"), index=True)
    ledger_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    detail: Mapped[str] = mapped_column(Text)  # the difference as the report's JSON gives it
    state: Mapped[str] = mapped_column(String(12), default="open")
    resolution: Mapped[str | None] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(String(300))
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    posted_payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"))
    reversal_id: Mapped[int | None] = mapped_column(ForeignKey("payment_reversal.id"))

    __table_args__ = (
        CheckConstraint(_in("kind", ITEM_KINDS), name="kind_known"),
        CheckConstraint("state IN ('open', 'resolved')", name="state_known"),
        CheckConstraint(
            "(state = 'open') = (resolution IS NULL AND resolved_by IS NULL)", name="resolved_with_who"
        ),
    )
