"""Allocating a batch of payments, at most one per account, and the ledger lines of each.

The rule is `allocation.allocate` (oldest debt first, the policy's order within a bill, a partial
payment settles items in that order, the rest is prepayment), called for every account that owes
more than one item. An account that owes one item or none — most accounts, on a bank file — takes
the same rule's trivial case without building objects: the payment settles ``min(payment, item)``
and the rest is prepayment. A property test checks that a batch allocates as single payments do.

Each payment's lines carry its payment id and balance on their own: debit the channel's clearing
account for the amount, credit the receivable or late-fee receivable of each item settled (with
its bill), credit prepayment with the rest — as `payments.record_payment` writes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from meter2cash.collection import gl
from meter2cash.collection.allocation import ItemKind, WithinBill, allocate
from meter2cash.collection.batch_posting import as_open_item, yuan
from meter2cash.collection.batch_reads import Item

CODES = {ItemKind.PRINCIPAL: gl.RECEIVABLE, ItemKind.LATE_FEE: gl.LATE_FEE_RECEIVABLE}


@dataclass
class PaymentLines:
    """Ledger lines as columns; ``payment`` is the payment's position in the round."""

    payment: list[int] = field(default_factory=list)
    gl: list[str] = field(default_factory=list)
    account_id: list[int] = field(default_factory=list)
    receivable_id: list[int | None] = field(default_factory=list)
    amount: list[int] = field(default_factory=list)
    settled: int = 0  # fen applied to open items
    prepayment: int = 0  # fen left over as prepayment

    def add(self, payment: int, code: str, account: int, receivable: int | None, fen: int) -> None:
        self.payment.append(payment)
        self.gl.append(code)
        self.account_id.append(account)
        self.receivable_id.append(receivable)
        self.amount.append(fen)


def allocate_payments(
    *,
    accounts: Sequence[int],
    amounts: Sequence[int],
    owed: Mapping[int, Sequence[Item]],
    clearing: str,
    within_bill: WithinBill,
) -> PaymentLines:
    """The lines of payment ``i`` of ``amounts[i]`` fen on account ``accounts[i]``, which owes
    ``owed[account]`` (its open items, each account at most once in ``accounts``)."""
    lines = PaymentLines()
    add = lines.add
    for position, (account, fen) in enumerate(zip(accounts, amounts, strict=True)):
        add(position, clearing, account, None, fen)
        items = [item for item in owed.get(account, ()) if item.amount > 0]
        if len(items) == 1:
            item = items[0]
            part = min(fen, item.amount)
            add(position, CODES[item.kind], account, item.receivable_id, -part)
            left = fen - part
        elif not items:
            left = fen
        else:
            allocation = allocate(
                amount=yuan(fen), items=[as_open_item(item) for item in items], within_bill=within_bill
            )
            for applied in allocation.applied:
                add(
                    position,
                    CODES[applied.item.kind],
                    account,
                    applied.item.receivable_id,
                    -int(applied.amount.scaleb(2)),
                )
            left = int(allocation.prepayment.scaleb(2))
        lines.settled += fen - left
        if left > 0:
            add(position, gl.PREPAYMENT, account, None, -left)
            lines.prepayment += left
    return lines
