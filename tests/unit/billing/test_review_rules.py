"""The bill review rules (量费审核), one by one, at, just below and just above each threshold."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from meter2cash.billing.review_codes import TITLES, ReviewCode, ReviewSeverity
from meter2cash.billing.review_policy import DEFAULT_REVIEW_POLICY, BadReviewPolicy, ReviewPolicy
from meter2cash.billing.review_rules import (
    BillFacts,
    PastPeriod,
    TariffChange,
    needs_a_human,
    review_bill,
    review_bills,
)

START = date(2026, 6, 1)
END = date(2026, 7, 1)  # 30 days
D = Decimal


def bill(**changes: object) -> BillFacts:
    """A clean residential bill of 30 days: 300 kWh, 150.00 元, actual readings."""
    base = BillFacts(
        bill_id=1,
        category="residential",
        account_status="active",
        start_on=START,
        end_on=END,
        kwh=D("300"),
        total=D("150.00"),
        quality="actual",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def codes(facts: BillFacts, policy: ReviewPolicy = DEFAULT_REVIEW_POLICY) -> list[str]:
    return [f.code.value for f in review_bill(facts, policy=policy)]


def month_before(value: str, *, months: int = 1) -> PastPeriod:
    """A 30-day history period ``months`` before the bill."""
    end = START - timedelta(days=30 * (months - 1))
    return PastPeriod(end - timedelta(days=30), end, D(value))


def test_a_clean_bill_has_no_finding() -> None:
    assert review_bill(bill()) == []
    assert not needs_a_human([])


class TestEnergyJump:
    """±50 % of the previous periods' kWh a day, and more than 3 kWh a day."""

    history = (month_before("300"),)  # 10 kWh a day

    @pytest.mark.parametrize(
        ("kwh", "flagged"),
        [
            ("450", False),  # +50 % exactly (15 kWh a day): at the threshold
            ("449.99", False),
            ("450.01", True),
            ("150", False),  # −50 % exactly
            ("150.01", False),
            ("149.99", True),
        ],
    )
    def test_the_relative_tolerance(self, kwh: str, flagged: bool) -> None:
        found = codes(bill(kwh=D(kwh), energy_history=self.history))
        assert ("ENERGY_JUMP" in found) is flagged

    @pytest.mark.parametrize(("kwh", "flagged"), [("150", False), ("149.99", False), ("150.01", True)])
    def test_the_absolute_floor_spares_small_users(self, kwh: str, flagged: bool) -> None:
        history = (month_before("60"),)  # 2 kWh a day: +50 % would be 3, the floor asks for 2 + 3 = 5
        assert ("ENERGY_JUMP" in codes(bill(kwh=D(kwh), energy_history=history))) is flagged

    def test_without_history_there_is_nothing_to_compare(self) -> None:
        assert "ENERGY_JUMP" not in codes(bill(kwh=D("99999")))

    def test_only_the_last_periods_make_the_reference(self) -> None:
        history = (month_before("3000", months=4), *(month_before("300", months=m) for m in (1, 2, 3)))
        assert "ENERGY_JUMP" not in codes(bill(kwh=D("300"), energy_history=history))
        assert "ENERGY_JUMP" in codes(
            bill(kwh=D("300"), energy_history=history), ReviewPolicy(history_periods=4)
        )

    def test_the_reference_is_weighted_by_days(self) -> None:
        short = PastPeriod(
            START - timedelta(days=40), START - timedelta(days=30), D("400")
        )  # 40 a day, 10 days
        long = month_before("300")  # 10 a day, 30 days → (400 + 300) ÷ 40 = 17.5 a day
        found = review_bill(bill(kwh=D("525"), energy_history=(short, long)))  # 17.5 a day
        assert found == []

    def test_the_reason_gives_both_daily_uses_and_the_change(self) -> None:
        (found,) = review_bill(bill(kwh=D("600"), energy_history=self.history))
        assert found.params == {"current": "20.00", "reference": "10.00", "change": "+100.0"}
        assert found.severity is ReviewSeverity.FLAG


class TestAmountJump:
    """±50 % of the previous bills' 元 a day, and more than 2 元 a day."""

    history = (month_before("300.00"),)  # 10 元 a day

    @pytest.mark.parametrize(
        ("total", "flagged"),
        [("450.00", False), ("450.01", True), ("449.99", False), ("150.00", False), ("149.99", True)],
    )
    def test_the_relative_tolerance(self, total: str, flagged: bool) -> None:
        found = codes(bill(total=D(total), amount_history=self.history))
        assert ("AMOUNT_JUMP" in found) is flagged

    @pytest.mark.parametrize(("total", "flagged"), [("120.00", False), ("120.01", True)])
    def test_the_absolute_floor(self, total: str, flagged: bool) -> None:
        history = (month_before("60.00"),)  # 2 元 a day: the floor asks for more than 4 元 a day
        assert ("AMOUNT_JUMP" in codes(bill(total=D(total), amount_history=history))) is flagged


class TestZeroBill:
    @pytest.mark.parametrize(
        ("kwh", "total", "flagged"),
        [("0", "0.00", True), ("0", "12.00", True), ("0.0001", "0.05", False), ("5", "0.00", True)],
    )
    def test_zero_energy_or_zero_money_on_an_active_account(
        self, kwh: str, total: str, flagged: bool
    ) -> None:
        assert ("ZERO_BILL" in codes(bill(kwh=D(kwh), total=D(total)))) is flagged

    def test_a_suspended_account_may_use_nothing(self) -> None:
        assert "ZERO_BILL" not in codes(bill(kwh=D(0), total=D("0.00"), account_status="suspended"))

    @pytest.mark.parametrize(("kwh", "flagged"), [("1", True), ("0.9999", True), ("1.0001", False)])
    def test_the_zero_threshold_is_policy(self, kwh: str, flagged: bool) -> None:
        policy = ReviewPolicy(zero_kwh=D(1))
        assert ("ZERO_BILL" in codes(bill(kwh=D(kwh)), policy)) is flagged


class TestNegativeBill:
    @pytest.mark.parametrize(("total", "flagged"), [("-0.01", True), ("0.00", False), ("0.01", False)])
    def test_a_credit_is_flagged(self, total: str, flagged: bool) -> None:
        assert ("NEGATIVE_BILL" in codes(bill(total=D(total)))) is flagged


class TestOverLimit:
    @pytest.mark.parametrize(
        ("total", "flagged"), [("2000.00", False), ("1999.99", False), ("2000.01", True)]
    )
    def test_the_residential_limit(self, total: str, flagged: bool) -> None:
        assert ("OVER_LIMIT" in codes(bill(total=D(total)))) is flagged

    def test_each_class_has_its_own_limit(self) -> None:
        assert "OVER_LIMIT" not in codes(bill(category="large_industry", total=D("2999999.99")))
        assert "OVER_LIMIT" in codes(bill(category="large_industry", total=D("3000000.01")))

    def test_a_class_without_a_limit_uses_the_default(self) -> None:
        policy = ReviewPolicy(amount_limits={}, default_amount_limit=D("100"))
        assert "OVER_LIMIT" in codes(bill(total=D("100.01")), policy)
        assert "OVER_LIMIT" not in codes(bill(total=D("100.00")), policy)


class TestEstimated:
    @pytest.mark.parametrize(
        ("quality", "flagged"),
        [
            ("estimated", True),
            ("substituted", True),
            ("actual", False),
            ("edited", False),
            ("customer_read", False),
        ],
    )
    def test_estimated_or_substituted_readings(self, quality: str, flagged: bool) -> None:
        assert ("ESTIMATED" in codes(bill(quality=quality))) is flagged


class TestLowPowerFactor:
    @pytest.mark.parametrize(("factor", "flagged"), [("0.80", False), ("0.79", True), ("0.81", False)])
    def test_below_the_floor(self, factor: str, flagged: bool) -> None:
        assert ("LOW_POWER_FACTOR" in codes(bill(power_factor=D(factor)))) is flagged

    def test_an_account_without_a_power_factor_is_not_checked(self) -> None:
        assert "LOW_POWER_FACTOR" not in codes(bill(power_factor=None))


class TestDemandOverContract:
    """The tariff's 105 % tolerance decides the ``basic.demand_excess`` line; the rule reads it."""

    @pytest.mark.parametrize(
        ("excess", "flagged"), [(None, False), ("0", False), ("0.0001", True), ("75", True)]
    )
    def test_a_demand_excess_line(self, excess: str | None, flagged: bool) -> None:
        facts = bill(demand_excess_kw=None if excess is None else D(excess))
        assert ("DEMAND_OVER_CONTRACT" in codes(facts)) is flagged


class TestTariffChange:
    @pytest.mark.parametrize(
        ("day", "flagged"),
        [(START, False), (START + timedelta(days=1), True), (END - timedelta(days=1), True), (END, False)],
    )
    def test_a_change_strictly_inside_the_period(self, day: date, flagged: bool) -> None:
        facts = bill(tariff_changes=(TariffChange(day, "assignment", "MX-GEN-1"),))
        assert ("TARIFF_CHANGE" in codes(facts)) is flagged

    def test_a_new_version_counts_too(self) -> None:
        (found,) = review_bill(bill(tariff_changes=(TariffChange(date(2026, 6, 10), "version", "新版本"),)))
        assert found.params["changes"] == "2026-06-10 新版本"


class TestMeterChange:
    def test_two_meter_segments_in_the_determinant(self) -> None:
        assert codes(bill(segments=2)) == ["METER_CHANGE"]

    @pytest.mark.parametrize(
        ("day", "flagged"),
        [
            (START - timedelta(days=1), False),
            (START, True),  # a meter replaced on the reading day: this is its first bill
            (END - timedelta(days=1), True),
            (END, False),  # the next bill's
        ],
    )
    def test_a_replacement_installed_in_the_period(self, day: date, flagged: bool) -> None:
        assert ("METER_CHANGE" in codes(bill(replacements_on=(day,)))) is flagged


class TestSeverity:
    def test_every_code_flags_by_default(self) -> None:
        found = review_bill(bill(quality="estimated", total=D("-1.00"), segments=2))
        assert {f.severity for f in found} == {ReviewSeverity.FLAG}
        assert needs_a_human(found)

    def test_a_code_made_a_note_is_recorded_but_needs_no_human(self) -> None:
        policy = ReviewPolicy(notes=frozenset({ReviewCode.ESTIMATED}))
        found = review_bill(bill(quality="estimated"), policy=policy)
        assert [(f.code, f.severity) for f in found] == [(ReviewCode.ESTIMATED, ReviewSeverity.NOTE)]
        assert not needs_a_human(found)

    def test_every_code_has_a_title(self) -> None:
        assert set(TITLES) == set(ReviewCode)


class TestPolicy:
    @pytest.mark.parametrize(
        "changes",
        [
            {"energy_jump_relative": D("-0.1")},
            {"history_periods": 0},
            {"power_factor_floor": D("1.2")},
            {"amount_limits": {"residential": D("-1")}},
            {"zero_kwh": True},
        ],
    )
    def test_a_policy_out_of_range_is_refused(self, changes: dict[str, object]) -> None:
        with pytest.raises(BadReviewPolicy):
            ReviewPolicy(**changes)  # type: ignore[arg-type]


def test_twenty_thousand_bills_are_reviewed_in_a_few_seconds() -> None:
    history = (month_before("300"), month_before("280", months=2), month_before("320", months=3))
    amounts = (month_before("150.00"), month_before("140.00", months=2))
    many = [
        bill(bill_id=i, kwh=D(250 + i % 400), energy_history=history, amount_history=amounts)
        for i in range(20000)
    ]
    started = time.perf_counter()
    found = review_bills(many)
    assert len(found) == 20000
    assert time.perf_counter() - started < 5
