"""Late fees as the ledger accrues them: day by day on the principal still owed, the rates and year
split of the one late-fee rule, the 1-元 minimum per bill, and agreement with `late_fees`."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from meter2cash.collection.late_fee_accrual import Balance, accrued_late_fee
from meter2cash.collection.late_fee_policy import bundled_late_fee_policy
from meter2cash.collection.late_fees import Arrear, late_fee_item

POLICY = bundled_late_fee_policy()
DUE = date(2000, 12, 15)


def test_the_issue_example_accrues_172_yuan_for_a_general_customer_across_the_year_end() -> None:
    result = accrued_late_fee(
        category="general",
        bill="2000-12",
        due_date=DUE,
        balances=[Balance(date(2000, 12, 1), Decimal("2000.00"))],
        through=date(2001, 1, 18),
        policy=POLICY,
    )
    assert (result.days, result.accrued) == (34, Decimal("172.00"))


def test_a_part_payment_stops_the_fee_on_the_part_paid_from_the_next_day() -> None:
    # 1000 owed from day 1 to 10 after due, 400 from day 11 to 20: residential 1‰ → 10.00 + 4.00.
    result = accrued_late_fee(
        category="residential",
        bill="2026-01",
        due_date=date(2026, 2, 1),
        balances=[
            Balance(date(2026, 1, 20), Decimal("1000.00")),
            Balance(date(2026, 2, 12), Decimal("400.00")),
        ],
        through=date(2026, 2, 21),
        policy=POLICY,
    )
    assert result.accrued == Decimal("14.00")


def test_a_small_fee_is_raised_to_the_minimum_and_nothing_overdue_charges_nothing() -> None:
    small = accrued_late_fee(
        category="residential",
        bill="2026-01",
        due_date=date(2026, 2, 1),
        balances=[Balance(date(2026, 1, 20), Decimal("10.00"))],
        through=date(2026, 2, 3),
        policy=POLICY,
    )
    assert small.accrued == Decimal("1.00")
    on_time = accrued_late_fee(
        category="residential",
        bill="2026-01",
        due_date=date(2026, 2, 1),
        balances=[Balance(date(2026, 1, 20), Decimal("10.00"))],
        through=date(2026, 2, 1),
        policy=POLICY,
    )
    assert on_time.accrued == Decimal("0.00")


amounts = st.integers(min_value=100_000, max_value=100_000_000).map(lambda n: Decimal(n).scaleb(-2))


@given(
    amount=amounts,
    days=st.integers(min_value=0, max_value=800),
    category=st.sampled_from(["residential", "general", "large_industry", "agriculture"]),
)
def test_on_a_constant_balance_the_accrual_equals_the_one_late_fee_rule(
    amount: Decimal, days: int, category: str
) -> None:
    through = DUE + timedelta(days=days)
    accrued = accrued_late_fee(
        category=category,
        bill="2000-12",
        due_date=DUE,
        balances=[Balance(date(2000, 12, 1), amount)],
        through=through,
        policy=POLICY,
    )
    single = late_fee_item(
        category=category, arrear=Arrear("2000-12", amount, DUE), pay_date=through, policy=POLICY
    )
    expected = single.fee if single.fee == 0 or single.fee >= POLICY.minimum_fee else POLICY.minimum_fee
    assert accrued.accrued == expected


@given(
    amount=amounts,
    split=st.integers(min_value=1, max_value=300),
    more=st.integers(min_value=0, max_value=300),
)
def test_accruing_in_two_steps_never_charges_less_than_accruing_to_the_first_day(
    amount: Decimal, split: int, more: int
) -> None:
    balances = [Balance(date(2000, 12, 1), amount)]
    first = accrued_late_fee(
        category="general",
        bill="2000-12",
        due_date=DUE,
        balances=balances,
        through=DUE + timedelta(days=split),
        policy=POLICY,
    )
    later = accrued_late_fee(
        category="general",
        bill="2000-12",
        due_date=DUE,
        balances=balances,
        through=DUE + timedelta(days=split + more),
        policy=POLICY,
    )
    assert later.accrued >= first.accrued
