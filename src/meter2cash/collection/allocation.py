"""Allocation (销账): which debts a payment settles. Pure.

Rules (docs/ledger.md; the order within a bill is the bureau's choice, in
``collection/data/collection_policy.yaml``):

1. **Oldest debt first.** Open items are settled in the order of their bill's due date, then its
   bill number (an older bill is always paid before a newer one, whatever the amounts).
2. **Within a bill,** the late payment penalty (违约金) before the bill's amount (电费), or the
   other way round, as the policy says (``late_fee_first``, the default, or ``principal_first``).
3. **Partial payments** settle items in that order until the money runs out; the last item may be
   settled in part.
4. **Overpayment** — what is left after every open item — becomes prepayment (预收电费) and settles
   the next bills automatically when they are posted.

Every amount is exact to the fen; the applied amounts and the prepayment add up to the payment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

ZERO = Decimal("0.00")


class ItemKind(StrEnum):
    LATE_FEE = "late_fee"  # 违约金
    PRINCIPAL = "principal"  # 电费


class WithinBill(StrEnum):
    LATE_FEE_FIRST = "late_fee_first"
    PRINCIPAL_FIRST = "principal_first"


@dataclass(frozen=True, slots=True)
class OpenItem:
    """An amount still owed on one bill: its principal or its late fee."""

    receivable_id: int
    bill_no: str
    due_on: date
    kind: ItemKind
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Applied:
    item: OpenItem
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Allocation:
    applied: tuple[Applied, ...]
    prepayment: Decimal

    @property
    def settled(self) -> Decimal:
        return sum((part.amount for part in self.applied), ZERO)


def settlement_order(*, items: Sequence[OpenItem], within_bill: WithinBill) -> list[OpenItem]:
    """The open items in the order a payment settles them (rules 1 and 2)."""
    first = ItemKind.LATE_FEE if within_bill is WithinBill.LATE_FEE_FIRST else ItemKind.PRINCIPAL
    return sorted(
        (item for item in items if item.amount > 0),
        key=lambda item: (item.due_on, item.bill_no, item.receivable_id, item.kind is not first),
    )


def allocate(*, amount: Decimal, items: Sequence[OpenItem], within_bill: WithinBill) -> Allocation:
    """Settle ``items`` with a payment of ``amount`` (rules 1–4). Items of zero or less are
    skipped: a credit is never "paid"."""
    if amount <= 0:
        raise ValueError(f"a payment must be positive, got {amount}")
    left = amount
    applied: list[Applied] = []
    for item in settlement_order(items=items, within_bill=within_bill):
        if left <= 0:
            break
        part = min(left, item.amount)
        applied.append(Applied(item=item, amount=part))
        left -= part
    return Allocation(applied=tuple(applied), prepayment=left)
