"""Allocation (销账): oldest debt first, the within-bill order from the policy, partial payments,
overpayment to prepayment — and the money always adds up."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meter2cash.collection.allocation import ItemKind, OpenItem, WithinBill, allocate, settlement_order

OLD = date(2026, 1, 15)
NEW = date(2026, 2, 15)


def item(receivable_id: int, due_on: date, kind: ItemKind, amount: str) -> OpenItem:
    return OpenItem(receivable_id, f"B{receivable_id}", due_on, kind, Decimal(amount))


ITEMS = [
    item(2, NEW, ItemKind.PRINCIPAL, "80.00"),
    item(1, OLD, ItemKind.PRINCIPAL, "100.00"),
    item(1, OLD, ItemKind.LATE_FEE, "5.00"),
]


def test_the_oldest_bill_is_settled_before_a_newer_one_and_its_late_fee_first_by_default() -> None:
    result = allocate(amount=Decimal("150.00"), items=ITEMS, within_bill=WithinBill.LATE_FEE_FIRST)
    assert [(a.item.receivable_id, a.item.kind, a.amount) for a in result.applied] == [
        (1, ItemKind.LATE_FEE, Decimal("5.00")),
        (1, ItemKind.PRINCIPAL, Decimal("100.00")),
        (2, ItemKind.PRINCIPAL, Decimal("45.00")),
    ]
    assert result.prepayment == 0


def test_a_bureau_may_settle_the_principal_before_the_late_fee() -> None:
    order = settlement_order(items=ITEMS, within_bill=WithinBill.PRINCIPAL_FIRST)
    assert [(i.receivable_id, i.kind) for i in order] == [
        (1, ItemKind.PRINCIPAL),
        (1, ItemKind.LATE_FEE),
        (2, ItemKind.PRINCIPAL),
    ]


def test_an_overpayment_becomes_prepayment() -> None:
    result = allocate(amount=Decimal("200.00"), items=ITEMS, within_bill=WithinBill.LATE_FEE_FIRST)
    assert result.settled == Decimal("185.00")
    assert result.prepayment == Decimal("15.00")


def test_a_payment_of_zero_or_less_is_not_allocated() -> None:
    with pytest.raises(ValueError, match="positive"):
        allocate(amount=Decimal("0.00"), items=ITEMS, within_bill=WithinBill.LATE_FEE_FIRST)


fen = st.integers(min_value=1, max_value=10_000_000).map(lambda n: Decimal(n).scaleb(-2))
items_strategy = st.lists(
    st.tuples(st.integers(0, 400), st.sampled_from(list(ItemKind)), fen), min_size=0, max_size=12
).map(
    lambda rows: [
        OpenItem(index, f"B{index:03d}", OLD + timedelta(days=offset), kind, amount)
        for index, (offset, kind, amount) in enumerate(rows)
    ]
)


@given(amount=fen, items=items_strategy, within=st.sampled_from(list(WithinBill)))
def test_the_applied_amounts_and_the_prepayment_always_add_up_to_the_payment(
    amount: Decimal, items: list[OpenItem], within: WithinBill
) -> None:
    result = allocate(amount=amount, items=items, within_bill=within)
    assert result.settled + result.prepayment == amount
    assert all(0 < part.amount <= part.item.amount for part in result.applied)
    assert result.prepayment == 0 or result.settled == sum((i.amount for i in items), Decimal(0))


@given(amount=fen, items=items_strategy, within=st.sampled_from(list(WithinBill)))
def test_a_newer_bill_is_never_touched_while_an_older_one_is_still_owed(
    amount: Decimal, items: list[OpenItem], within: WithinBill
) -> None:
    result = allocate(amount=amount, items=items, within_bill=within)
    paid = {(p.item.receivable_id, p.item.kind): p.amount for p in result.applied}
    for part in result.applied:
        for other in items:
            older = (other.due_on, other.bill_no) < (part.item.due_on, part.item.bill_no)
            if older:
                assert paid.get((other.receivable_id, other.kind)) == other.amount
