"""Storage model of bill runs and bills (电费账单): a run, its bills with their explained lines,
the accounts it could not price; review findings and decisions (量费审核), the gap-free bill
number counter and the receivables of issued bills (发行, see docs/review-and-issue.md).

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


BILL_STATES = ("draft", "flagged", "approved", "rejected", "issued")
# States a bill run may price again (``--reprice`` or a recomputed determinant); the others are
# past review and are never touched by a run.
REPRICEABLE_STATES = ("draft", "flagged", "rejected")


class Bill(Base):
    """A bill of one account for one period.

    State machine (docs/review-and-issue.md): ``draft`` → review → ``approved`` (no finding
    needing a human: auto-approved, ``reviewed_by`` NULL) or ``flagged``; a reviewer approves
    (``approved``) or rejects (``rejected``) a flagged bill; ``approved`` → issue → ``issued``,
    which the database keeps immutable. A bill run prices ``draft``, ``flagged`` and ``rejected``
    bills again.
    """

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
    # Review (量费审核): NULL reviewer on an approved bill = auto-approved (no finding to look at).
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[str | None] = mapped_column(String(40))
    review_reason: Mapped[str | None] = mapped_column(Text)
    # Issue (发行): the gap-free number, the day issued and the payment due date.
    bill_no: Mapped[str | None] = mapped_column(String(20), unique=True)
    issued_on: Mapped[date | None] = mapped_column(Date)
    issued_by: Mapped[str | None] = mapped_column(String(64))
    due_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        UniqueConstraint("account_id", "period", "kind", name="uq_bill_account_period_kind"),
        CheckConstraint(
            "state IN ('draft', 'flagged', 'approved', 'rejected', 'issued')", name="state_known"
        ),
        CheckConstraint("end_on > start_on", name="period_ordered"),
        CheckConstraint("reviewed_by IS NULL OR reviewed_by <> computed_by", name="four_eyes"),
        CheckConstraint(
            "state <> 'issued' OR (bill_no IS NOT NULL AND issued_on IS NOT NULL AND due_on IS NOT NULL)",
            name="issued_has_number",
        ),
        Index("ix_bill_period_state", "period", "state"),
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


class BillFinding(Base):
    """A review rule that fired on a bill (``billing/review_rules.py``): its stable code, its
    severity (``flag`` needs a human, ``note`` is recorded only) and the reason in words."""

    __tablename__ = "bill_finding"

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bill.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(8))
    detail: Mapped[str] = mapped_column(Text)

    __table_args__ = (CheckConstraint("severity IN ('flag', 'note')", name="severity_known"),)


class BillReview(Base):
    """A reviewer's decision on a flagged bill, kept after the bill itself is priced again (a
    rejected bill is replaced by the next run): the review KPIs count these."""

    __tablename__ = "bill_review"

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(Integer)  # no key: the rejected bill may be replaced
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    decision: Mapped[str] = mapped_column(String(10))
    back_to: Mapped[str | None] = mapped_column(String(10))
    codes: Mapped[str] = mapped_column(String(300))  # the finding codes the reviewer saw, comma-separated
    reason: Mapped[str] = mapped_column(Text)
    computed_by: Mapped[str] = mapped_column(String(64))
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[str] = mapped_column(String(40))

    __table_args__ = (
        CheckConstraint("decision IN ('approved', 'rejected')", name="decision_known"),
        CheckConstraint("back_to IS NULL OR back_to IN ('reading', 'billing')", name="back_to_known"),
        CheckConstraint("decided_by <> computed_by", name="four_eyes"),
        Index("ix_bill_review_period", "period"),
    )


class BillNumber(Base):
    """The gap-free bill number counter, one row per year: issuing takes the row with
    ``SELECT … FOR UPDATE`` (PostgreSQL; SQLite's writer lock does the same), so numbers are
    handed out in order, never skipped and never reused — a rolled-back issue rolls the counter
    back with it."""

    __tablename__ = "bill_number"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_no: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (CheckConstraint("last_no >= 0", name="last_no_not_negative"),)


class Receivable(Base):
    """The amount an issued bill asks the customer to pay (应收): one row per issued bill, written
    in the issuing transaction and never changed (the database refuses UPDATE and DELETE). This is
    the contract with collection (收费), which posts these rows to its ledger; a negative amount is
    a credit. Corrections (退补) add rows of their own bills, they never edit these."""

    __tablename__ = "receivable"

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bill.id"), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    bill_no: Mapped[str] = mapped_column(String(20), unique=True)
    period: Mapped[str] = mapped_column(String(7))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    issued_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)

    __table_args__ = (CheckConstraint("due_on >= issued_on", name="due_after_issue"),)
