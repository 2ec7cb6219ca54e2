"""Storage model of bill runs and bills (电费账单): a run, its draft bills with their explained
lines, and the accounts it could not price.

A bill belongs to one account and period and is priced from one billing determinant; it keeps
the determinant's id so a run can tell a bill that is still current from one whose determinant
was recomputed. Lines keep everything a clerk needs to explain them: code, Chinese label,
quantity, unit, unit price, amount, the rule in words and the tariff version.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from meter2cash.platform.db import Base
from meter2cash.platform.db_types import ExactDecimal

MONEY = ExactDecimal(scale=2, precision=18)
QUANTITY = ExactDecimal(scale=8, precision=26)
FACTOR = ExactDecimal(scale=2, precision=6)
PERCENT = ExactDecimal(scale=4, precision=10)


class BillRun(Base):
    """One ``m2c bill run`` for a period and a scope (all route books, or one)."""

    __tablename__ = "bill_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(7))
    scope: Mapped[str] = mapped_column(String(32))  # a route book code, or "*" for all
    state: Mapped[str] = mapped_column(String(12), default="running")  # running | done
    started_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[str] = mapped_column(String(40))
    finished_at: Mapped[str | None] = mapped_column(String(40))
    priced: Mapped[int] = mapped_column(Integer, default=0)
    unpriced: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        UniqueConstraint("period", "scope", name="uq_bill_run_period_scope"),
        CheckConstraint("state IN ('running', 'done')", name="state_known"),
    )


class Bill(Base):
    """A bill of one account for one period; ``draft`` until reviewed (issue 5 adds the rest)."""

    __tablename__ = "bill"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    period: Mapped[str] = mapped_column(String(7))
    kind: Mapped[str] = mapped_column(String(12), default="regular")
    state: Mapped[str] = mapped_column(String(12), default="draft")
    run_id: Mapped[int] = mapped_column(ForeignKey("bill_run.id"), index=True)
    determinant_id: Mapped[int] = mapped_column(ForeignKey("billing_determinant.id"))
    tariff_version: Mapped[str] = mapped_column(String(60))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date)
    kwh: Mapped[Decimal] = mapped_column(QUANTITY)
    total: Mapped[Decimal] = mapped_column(MONEY)
    power_factor: Mapped[Decimal | None] = mapped_column(FACTOR)
    pf_percent: Mapped[Decimal | None] = mapped_column(PERCENT)
    quality: Mapped[str] = mapped_column(String(16))
    computed_by: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[str] = mapped_column(String(40))

    __table_args__ = (
        UniqueConstraint("account_id", "period", "kind", name="uq_bill_account_period_kind"),
        CheckConstraint("state IN ('draft')", name="state_known"),
        CheckConstraint("end_on > start_on", name="period_ordered"),
    )


class BillLine(Base):
    __tablename__ = "bill_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bill.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(100))
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    unit: Mapped[str] = mapped_column(String(10))
    unit_price: Mapped[str] = mapped_column(String(24))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    rule: Mapped[str] = mapped_column(Text)
    tariff_version: Mapped[str] = mapped_column(String(60))

    __table_args__ = (Index("ix_bill_line_bill_seq", "bill_id", "seq", unique=True),)


class BillRunIssue(Base):
    """An account a run could not price, with the reason (no tariff, missing determinants …)."""

    __tablename__ = "bill_run_issue"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("bill_run.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    reason: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("run_id", "account_id", name="uq_bill_run_issue_account"),)
