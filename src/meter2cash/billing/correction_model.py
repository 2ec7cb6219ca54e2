"""Storage model of corrections (退补, docs/corrections.md): a proposed correction of issued bills,
its decision by a second person, and the bills it corrects.

An issued bill is never edited. A correction keeps the reason category, the period it covers,
the energy and money difference computed by `billing.corrections` and the whole computation
(``detail``, JSON: the case as stated and the result line by line). It is ``proposed`` by a
billing clerk and ``approved`` or ``rejected`` by someone else (the database refuses
``decided_by = proposed_by``). Approving it issues an adjustment bill (``adjustment_bill_id``:
a bill of kind ``adj-<id>`` whose lines are the differences) with its receivable for collection.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from meter2cash.platform.db import Base
from meter2cash.platform.db_types import ExactDecimal

MONEY = ExactDecimal(scale=2, precision=18)
ENERGY = ExactDecimal(scale=4, precision=22)
CORRECTION_STATES = ("proposed", "approved", "rejected")
CORRECTION_REASONS = ("meter_error", "wrong_wiring", "wrong_multiplier", "misread", "wrong_tariff")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Correction(Base):
    __tablename__ = "correction"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)  # exclusive
    kwh_difference: Mapped[Decimal] = mapped_column(ENERGY)
    money_difference: Mapped[Decimal] = mapped_column(MONEY)
    detail: Mapped[str] = mapped_column(Text)  # JSON: {"case": …, "result": …}
    reason_text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="proposed")
    proposed_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(40))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[str | None] = mapped_column(String(40))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    adjustment_bill_id: Mapped[int | None] = mapped_column(ForeignKey("bill.id"), unique=True)

    __table_args__ = (
        CheckConstraint(_in("state", CORRECTION_STATES), name="state_known"),
        CheckConstraint(_in("reason", CORRECTION_REASONS), name="reason_known"),
        CheckConstraint("period_to > period_from", name="period_ordered"),
        CheckConstraint("decided_by <> proposed_by", name="four_eyes"),
        CheckConstraint(
            "state = 'proposed' OR (decided_by IS NOT NULL AND decided_at IS NOT NULL "
            "AND decision_reason IS NOT NULL)",
            name="decided_has_decider",
        ),
        CheckConstraint("state <> 'approved' OR adjustment_bill_id IS NOT NULL", name="approved_has_bill"),
        Index("ix_correction_account_reason", "account_id", "reason", "state"),
    )


class CorrectionBill(Base):
    """An issued bill a correction corrects, with that bill's share of the difference."""

    __tablename__ = "correction_bill"

    id: Mapped[int] = mapped_column(primary_key=True)
    correction_id: Mapped[int] = mapped_column(ForeignKey("correction.id"))
    bill_id: Mapped[int] = mapped_column(ForeignKey("bill.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))
    kwh_difference: Mapped[Decimal] = mapped_column(ENERGY)
    money_difference: Mapped[Decimal] = mapped_column(MONEY)

    __table_args__ = (UniqueConstraint("correction_id", "bill_id", name="uq_correction_bill"),)
