"""Arrears aging (欠费账龄) and the recovery rate (电费回收率): the default buckets, the due date as
day 0, not-yet-due amounts apart, a custom policy, and Hypothesis invariants (the buckets partition
the total exactly)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meter2cash.collection.aging import (
    DEFAULT_AGING,
    Aging,
    AgingPolicy,
    BadAgingPolicy,
    OpenAmount,
    age,
    days_overdue,
    empty_buckets,
    recovery_rate,
)


def amounts(aged: Aging) -> dict[str, D]:
    return {bucket.key: bucket.amount for bucket in aged.buckets}


class TestTheBuckets:
    def test_the_default_buckets_are_0_30_31_90_91_180_181_365_and_over_365(self) -> None:
        assert [(b.key, b.min_days, b.max_days) for b in empty_buckets()] == [
            ("0-30", 0, 30),
            ("31-90", 31, 90),
            ("91-180", 91, 180),
            ("181-365", 181, 365),
            ("over_365", 366, None),
        ]

    def test_each_bound_day_falls_in_the_bucket_it_closes_and_the_next_day_in_the_next(self) -> None:
        items = [OpenAmount(days, D("1.00")) for days in (0, 30, 31, 90, 91, 180, 181, 365, 366, 4000)]
        assert amounts(age(items=items)) == {
            "0-30": D("2.00"),
            "31-90": D("2.00"),
            "91-180": D("2.00"),
            "181-365": D("2.00"),
            "over_365": D("2.00"),
        }

    def test_an_amount_not_yet_due_is_current_and_in_no_bucket(self) -> None:
        aged = age(items=[OpenAmount(-1, D("50.00")), OpenAmount(-20, D("25.50")), OpenAmount(3, D("10.00"))])
        assert (aged.current, aged.current_items) == (D("75.50"), 2)
        assert aged.overdue == D("10.00")
        assert aged.total == D("85.50")
        assert aged.items == 3

    def test_the_due_date_itself_is_day_0_and_the_day_before_is_not_yet_due(self) -> None:
        assert days_overdue(due_on=date(2026, 2, 10), as_of=date(2026, 2, 10)) == 0
        assert days_overdue(due_on=date(2026, 2, 10), as_of=date(2026, 2, 9)) == -1
        assert days_overdue(due_on=date(2025, 12, 31), as_of=date(2026, 3, 1)) == 60

    def test_an_amount_standing_for_several_bills_counts_them_all(self) -> None:
        aged = age(items=[OpenAmount(45, D("300.00"), items=3)])
        assert [(b.key, b.items) for b in aged.buckets if b.items] == [("31-90", 3)]

    def test_no_open_items_give_empty_buckets_and_zero_totals(self) -> None:
        aged = age(items=[])
        assert aged.total == D("0.00") and aged.items == 0
        assert all(b.amount == D("0.00") for b in aged.buckets)

    def test_a_bureau_may_set_its_own_bounds(self) -> None:
        policy = AgingPolicy(bounds=(60, 120))
        aged = age(items=[OpenAmount(61, D("1.00")), OpenAmount(500, D("2.00"))], policy=policy)
        assert amounts(aged) == {"0-60": D("0.00"), "61-120": D("1.00"), "over_120": D("2.00")}

    @pytest.mark.parametrize("bounds", [(), (30, 30), (90, 30), (-1, 30)])
    def test_bounds_that_are_empty_repeated_decreasing_or_negative_are_refused(
        self, bounds: tuple[int, ...]
    ) -> None:
        with pytest.raises(BadAgingPolicy):
            AgingPolicy(bounds=bounds)


class TestTheRecoveryRate:
    def test_it_is_collected_over_issued_as_a_percent_rounded_half_up_to_two_places(self) -> None:
        assert recovery_rate(collected=D("200.00"), issued=D("300.00")) == D("66.67")
        assert recovery_rate(collected=D("1.00"), issued=D("800.00")) == D("0.13")  # 0.125 → 0.13
        assert recovery_rate(collected=D("300.00"), issued=D("300.00")) == D("100.00")

    def test_it_is_none_when_nothing_was_issued(self) -> None:
        assert recovery_rate(collected=D("0.00"), issued=D("0.00")) is None
        assert recovery_rate(collected=D("5.00"), issued=D("0.00")) is None


money = st.decimals(min_value=D("0.01"), max_value=D("9999999.99"), places=2)
open_amounts = st.builds(
    OpenAmount, days_overdue=st.integers(-400, 5000), amount=money, items=st.integers(1, 50)
)
policies = st.lists(st.integers(0, 2000), min_size=1, max_size=6, unique=True).map(
    lambda bounds: AgingPolicy(bounds=tuple(sorted(bounds)))
)


class TestInvariants:
    @given(items=st.lists(open_amounts, max_size=60), policy=policies)
    def test_current_and_the_buckets_partition_the_total_exactly(
        self, items: list[OpenAmount], policy: AgingPolicy
    ) -> None:
        aged = age(items=items, policy=policy)
        assert aged.total == sum((item.amount for item in items), D("0.00"))
        assert aged.items == sum(item.items for item in items)
        assert aged.current == sum((i.amount for i in items if i.days_overdue < 0), D("0.00"))

    @given(days=st.integers(0, 100_000), policy=policies)
    def test_every_day_overdue_falls_in_exactly_one_bucket(self, days: int, policy: AgingPolicy) -> None:
        holding = [bucket for bucket in empty_buckets(policy) if bucket.holds(days)]
        assert len(holding) == 1
        aged = age(items=[OpenAmount(days, D("1.00"))], policy=policy)
        assert [b.key for b in aged.buckets if b.items] == [holding[0].key]

    @given(collected=money, issued=money)
    def test_the_rate_is_within_half_a_hundredth_of_the_exact_ratio(self, collected: D, issued: D) -> None:
        rate = recovery_rate(collected=collected, issued=issued)
        assert rate is not None and rate == rate.quantize(D("0.01"))
        assert abs(rate - collected * 100 / issued) <= D("0.005")


def test_the_default_policy_is_the_issues_buckets() -> None:
    assert DEFAULT_AGING.bounds == (30, 90, 180, 365)
