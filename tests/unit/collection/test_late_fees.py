"""Late payment penalty (电费违约金): hand-computed cases of 《供电营业规则》(1996) art. 98 with the
default policy, the policy file, configurable rates, the JSON case, and Hypothesis invariants."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meter2cash.collection.late_fee_case import late_fees_json, parse_late_fee_case, quote_late_fees
from meter2cash.collection.late_fee_policy import (
    DEFAULT_LATE_FEE_POLICY,
    BadLateFeePolicy,
    ClassRates,
    LateFeePolicy,
    YearSplit,
    bundled_late_fee_policy,
    policy_from_yaml,
)
from meter2cash.collection.late_fees import (
    Arrear,
    BadArrear,
    UnknownCustomerCategory,
    bill_year,
    late_fee_item,
    late_fees,
    overdue_days,
)
from meter2cash.platform.errors import InputRefused

ISSUE_ARREAR = Arrear(bill="2000-12", amount=D("2000.00"), due_date=date(2000, 12, 15))
ISSUE_PAY_DATE = date(2001, 1, 18)
CATEGORIES = ("residential", "general", "large_industry", "agriculture")


def fee(category: str, amount: str, due: date, paid: date, bill: str = "2026-10") -> D:
    arrear = Arrear(bill=bill, amount=D(amount), due_date=due)
    return late_fee_item(category=category, arrear=arrear, pay_date=paid).fee


class TestTheIssueExample:
    def test_a_general_customer_pays_2_per_mille_for_the_days_in_2000_and_3_per_mille_after(self) -> None:
        item = late_fee_item(category="general", arrear=ISSUE_ARREAR, pay_date=ISSUE_PAY_DATE)
        assert (item.days, item.days_in_year, item.days_after_year) == (34, 16, 18)
        assert item.fee == D("172.00")  # 2000 × 16 × 2‰ = 64.00, + 2000 × 18 × 3‰ = 108.00
        assert item.rule == "2000年内 16 天 × 2‰ + 跨年 18 天 × 3‰"

    def test_a_residential_customer_pays_1_per_mille_for_every_day(self) -> None:
        item = late_fee_item(category="residential", arrear=ISSUE_ARREAR, pay_date=ISSUE_PAY_DATE)
        assert item.fee == D("68.00")  # 2000 × 34 × 1‰
        assert item.rule == "居民 1‰/日 × 34 天"

    @pytest.mark.parametrize("category", ["large_industry", "agriculture"])
    def test_large_industry_and_agriculture_follow_the_same_rule_as_general(self, category: str) -> None:
        assert late_fee_item(category=category, arrear=ISSUE_ARREAR, pay_date=ISSUE_PAY_DATE).fee == D(
            "172.00"
        )

    def test_the_case_json_has_exactly_the_documented_keys_and_decimal_strings(self) -> None:
        data = {
            "customer_category": "general",
            "pay_date": "2001-01-18",
            "arrears": [{"bill": "2000-12", "amount": "2000.00", "due_date": "2000-12-15"}],
        }
        assert late_fees_json(quote_late_fees(data=data)) == {
            "total": "172.00",
            "items": [
                {
                    "bill": "2000-12",
                    "amount": "2000.00",
                    "days": "34",
                    "fee": "172.00",
                    "rule": "2000年内 16 天 × 2‰ + 跨年 18 天 × 3‰",
                }
            ],
        }


class TestCountingTheDays:
    def test_a_bill_paid_on_its_due_date_has_no_days_and_no_fee(self) -> None:
        due = date(2026, 11, 10)
        item = late_fee_item(
            category="general", arrear=Arrear(bill="2026-10", amount=D(1000), due_date=due), pay_date=due
        )
        assert (item.days, item.fee, item.rule) == (0, D("0.00"), "未逾期，不计违约金")

    def test_a_bill_paid_before_its_due_date_has_no_days(self) -> None:
        assert overdue_days(due_date=date(2026, 11, 10), pay_date=date(2026, 11, 1)) == 0

    def test_the_day_after_the_due_date_is_the_first_day(self) -> None:
        assert overdue_days(due_date=date(2026, 11, 10), pay_date=date(2026, 11, 11)) == 1
        assert fee("residential", "1000.00", date(2026, 11, 10), date(2026, 11, 11)) == D("1.00")
        assert fee("general", "1000.00", date(2026, 11, 10), date(2026, 11, 11)) == D("2.00")

    def test_a_leap_day_counts(self) -> None:
        # 29 Feb and 1 Mar 2024
        assert overdue_days(due_date=date(2024, 2, 28), pay_date=date(2024, 3, 1)) == 2
        assert fee("residential", "500.00", date(2024, 2, 28), date(2024, 3, 1), bill="2024-01") == D("1.00")

    def test_a_leap_year_december_bill_counts_every_day_of_its_year(self) -> None:
        # due 2024-01-31, paid 2025-01-01: 335 days in 2024 (a leap year) and 1 in 2025
        item = late_fee_item(
            category="general",
            arrear=Arrear(bill="2024-01", amount=D("1000.00"), due_date=date(2024, 1, 31)),
            pay_date=date(2025, 1, 1),
        )
        assert (item.days, item.days_in_year, item.days_after_year) == (336, 335, 1)
        assert item.fee == D("673.00")  # 1000 × (335 × 2‰ + 1 × 3‰) = 670 + 3


class TestTheYearEnd:
    def test_paid_on_31_december_every_day_is_in_the_bills_year(self) -> None:
        item = late_fee_item(
            category="general",
            arrear=Arrear(bill="2026-11", amount=D("1000.00"), due_date=date(2026, 12, 30)),
            pay_date=date(2026, 12, 31),
        )
        assert (item.days_in_year, item.days_after_year, item.fee) == (1, 0, D("2.00"))
        assert item.rule == "2026年内 1 天 × 2‰"

    def test_paid_on_1_january_that_day_is_after_the_year_end(self) -> None:
        item = late_fee_item(
            category="general",
            arrear=Arrear(bill="2026-11", amount=D("1000.00"), due_date=date(2026, 12, 30)),
            pay_date=date(2027, 1, 1),
        )
        assert (item.days_in_year, item.days_after_year, item.fee) == (1, 1, D("5.00"))

    def test_a_december_bill_due_in_january_is_after_its_year_from_the_first_day(self) -> None:
        item = late_fee_item(
            category="general",
            arrear=Arrear(bill="2026-12", amount=D("1000.00"), due_date=date(2027, 1, 10)),
            pay_date=date(2027, 1, 20),
        )
        assert (item.days_in_year, item.days_after_year, item.fee) == (0, 10, D("30.00"))
        assert item.rule == "跨年 10 天 × 3‰"

    def test_the_bills_year_is_its_period_labels_year(self) -> None:
        assert bill_year(bill="2025-12", due_date=date(2026, 1, 10)) == 2025

    @pytest.mark.parametrize("label", ["2026-000123", "2025-13", "十二月", "0000-05", ""])
    def test_a_label_that_is_not_a_period_takes_the_due_dates_year(self, label: str) -> None:
        assert bill_year(bill=label, due_date=date(2026, 1, 10)) == 2026

    def test_arrears_two_years_old_pay_the_after_year_rate_for_every_later_day(self) -> None:
        item = late_fee_item(
            category="general",
            arrear=Arrear(bill="2024-12", amount=D("100.00"), due_date=date(2024, 12, 21)),
            pay_date=date(2026, 1, 10),
        )
        # 10 days in 2024, then 365 (2025) + 10 (2026) = 375 days at 3‰
        assert (item.days_in_year, item.days_after_year) == (10, 375)
        assert item.fee == D("114.50")  # 100 × (10 × 2‰ + 375 × 3‰) = 2.00 + 112.50


class TestSeveralBillsAndTheMinimum:
    def test_each_bill_is_priced_on_its_own_and_the_total_is_their_sum(self) -> None:
        fees = late_fees(
            category="large_industry",
            arrears=[
                Arrear(bill="2026-10", amount=D("150000.00"), due_date=date(2026, 11, 10)),
                Arrear(bill="2026-11", amount=D("168000.00"), due_date=date(2026, 12, 10)),
                Arrear(bill="2026-12", amount=D("171234.56"), due_date=date(2027, 1, 12)),
            ],
            pay_date=date(2027, 1, 10),
        )
        assert [item.fee for item in fees.items] == [D("19800.00"), D("12096.00"), D("0.00")]
        # 150000 × (51 × 2‰ + 10 × 3‰); 168000 × (21 × 2‰ + 10 × 3‰); not yet due
        assert fees.total == fees.items_total == D("31896.00")
        assert not fees.minimum_applied

    def test_each_bills_fee_is_rounded_half_up_to_the_fen_once(self) -> None:
        # 3456.78 × (3 × 2‰ + 5 × 3‰) = 72.59238
        assert fee("agriculture", "3456.78", date(2026, 12, 28), date(2027, 1, 5), bill="2026-000123") == D(
            "72.59"
        )
        # 12.50 × 1‰ × 1 = 0.0125 → 0.01; 5.00 × 1‰ × 1 = 0.005 → 0.01 (half up)
        assert fee("residential", "12.50", date(2026, 1, 1), date(2026, 1, 2)) == D("0.01")
        assert fee("residential", "5.00", date(2026, 1, 1), date(2026, 1, 2)) == D("0.01")

    def test_a_total_under_one_yuan_is_charged_as_one_yuan(self) -> None:
        fees = late_fees(
            category="residential",
            arrears=[Arrear(bill="2026-09", amount=D("50.00"), due_date=date(2026, 10, 25))],
            pay_date=date(2026, 10, 30),
        )
        assert fees.items[0].fee == D("0.25")
        assert (fees.items_total, fees.total, fees.minimum_applied) == (D("0.25"), D("1.00"), True)

    def test_the_minimum_applies_to_the_total_not_to_each_bill(self) -> None:
        fees = late_fees(
            category="residential",
            arrears=[
                Arrear(bill="2026-08", amount=D("300.00"), due_date=date(2026, 9, 25)),
                Arrear(bill="2026-09", amount=D("300.00"), due_date=date(2026, 10, 25)),
            ],
            pay_date=date(2026, 10, 27),
        )
        assert [item.fee for item in fees.items] == [D("9.60"), D("0.60")]  # 32 and 2 days
        assert fees.total == D("10.20") and not fees.minimum_applied

    def test_a_total_of_exactly_one_yuan_is_not_raised(self) -> None:
        fees = late_fees(
            category="residential",
            arrears=[Arrear(bill="2026-09", amount=D("1000.00"), due_date=date(2026, 10, 25))],
            pay_date=date(2026, 10, 26),
        )
        assert fees.total == D("1.00") and not fees.minimum_applied

    def test_nothing_overdue_costs_nothing_not_the_minimum(self) -> None:
        fees = late_fees(
            category="general",
            arrears=[Arrear(bill="2026-09", amount=D("50.00"), due_date=date(2026, 10, 25))],
            pay_date=date(2026, 10, 25),
        )
        assert fees.total == D("0.00") and not fees.minimum_applied


class TestTheRatesAreConfigurable:
    def test_the_shipped_policy_file_holds_the_defaults(self) -> None:
        assert bundled_late_fee_policy() == DEFAULT_LATE_FEE_POLICY
        assert set(DEFAULT_LATE_FEE_POLICY.classes) == set(CATEGORIES)

    def test_a_contract_rate_changes_the_fee(self) -> None:
        policy = LateFeePolicy(
            classes=MappingProxyType(
                {"general": ClassRates(label="一般工商业", current_year=D("1.5"), after_year=D("2.5"))}
            )
        )
        item = late_fee_item(category="general", arrear=ISSUE_ARREAR, pay_date=ISSUE_PAY_DATE, policy=policy)
        assert item.fee == D("138.00")  # 2000 × (16 × 1.5‰ + 18 × 2.5‰) = 48 + 90
        assert item.rule == "2000年内 16 天 × 1.5‰ + 跨年 18 天 × 2.5‰"

    def test_all_days_mode_charges_every_day_at_the_after_year_rate_once_the_year_is_crossed(self) -> None:
        policy = LateFeePolicy(year_split=YearSplit.ALL_DAYS)
        item = late_fee_item(category="general", arrear=ISSUE_ARREAR, pay_date=ISSUE_PAY_DATE, policy=policy)
        assert item.fee == D("204.00")  # 2000 × 34 × 3‰
        assert item.rule == "跨年欠费 全部 34 天 × 3‰"
        within = late_fee_item(
            category="general", arrear=ISSUE_ARREAR, pay_date=date(2000, 12, 31), policy=policy
        )
        assert within.fee == D("64.00")  # not crossed: 16 days at 2‰

    def test_the_minimum_is_configurable_and_zero_turns_it_off(self) -> None:
        arrears = [Arrear(bill="2026-09", amount=D("50.00"), due_date=date(2026, 10, 25))]
        paid = date(2026, 10, 30)
        none = late_fees(
            category="residential", arrears=arrears, pay_date=paid, policy=LateFeePolicy(minimum_fee=D(0))
        )
        five = late_fees(
            category="residential",
            arrears=arrears,
            pay_date=paid,
            policy=LateFeePolicy(minimum_fee=D("5.00")),
        )
        assert (none.total, none.minimum_applied) == (D("0.25"), False)
        assert (five.total, five.minimum_applied) == (D("5.00"), True)

    def test_a_policy_file_is_read_exactly_and_every_problem_named(self) -> None:
        policy = policy_from_yaml(
            text="classes:\n"
            "  general: {label: 一般工商业, current_year_per_mille: 0.5, after_year_per_mille: 3}\n"
            "minimum_fee: 0\nyear_split: all_days\n"
        )
        assert policy.rates("general").current_year == D("0.5")
        assert (policy.minimum_fee, policy.year_split) == (D(0), YearSplit.ALL_DAYS)
        with pytest.raises(InputRefused) as refused:
            policy_from_yaml(
                text="classes:\n  general: {current_year_per_mille: -1, after_year_per_mille: abc}\n"
                "minimum_fee: 0.001\nyear_split: sometimes\nrates: 1\n"
            )
        assert {p.column for p in refused.value.problems} == {
            "rates",
            "classes.general.current_year_per_mille",
            "classes.general.after_year_per_mille",
            "classes.general.label",
            "minimum_fee",
            "year_split",
        }

    def test_nonsense_rates_are_refused(self) -> None:
        with pytest.raises(BadLateFeePolicy):
            ClassRates(label="x", current_year=D(-1), after_year=D(3))
        with pytest.raises(BadLateFeePolicy):
            ClassRates(label="x", current_year=D("2.0000001"), after_year=D(3))
        with pytest.raises(BadLateFeePolicy):
            LateFeePolicy(minimum_fee=D("0.001"))

    def test_a_class_the_policy_does_not_name_is_an_error_not_a_zero(self) -> None:
        with pytest.raises(UnknownCustomerCategory):
            late_fee_item(category="commercial", arrear=ISSUE_ARREAR, pay_date=ISSUE_PAY_DATE)

    def test_an_amount_finer_than_the_fen_or_negative_is_not_an_arrear(self) -> None:
        with pytest.raises(BadArrear):
            Arrear(bill="2026-09", amount=D("1.005"), due_date=date(2026, 10, 25))
        with pytest.raises(BadArrear):
            Arrear(bill="2026-09", amount=D("-1"), due_date=date(2026, 10, 25))


class TestTheCaseIsRefusedWhole:
    def test_every_problem_is_named_at_once(self) -> None:
        data = {
            "customer_category": "commercial",
            "arrears": [
                {"bill": "2000-12", "amount": "-5", "due_date": "2000-12-32"},
                {"bill": "2000-11", "amount": "12.345", "due_date": "2000/11/15"},
                {"bill": "2000-11", "amount": "abc", "due_date": "2000-11-15"},
                {"bill": "2000-10", "amount": 1.5, "due_date": "2000-10-15"},
            ],
        }
        with pytest.raises(InputRefused) as refused:
            parse_late_fee_case(data=data)
        assert {p.column for p in refused.value.problems} == {
            "customer_category",
            "pay_date",
            "arrears[0].amount",
            "arrears[0].due_date",
            "arrears[1].amount",
            "arrears[1].due_date",
            "arrears[2].bill",
            "arrears[2].amount",
            "arrears[3].amount",  # a binary float: refused; the CLI reads JSON numbers as Decimal
        }

    @pytest.mark.parametrize("arrears", [[], None, "2000-12", [1]])
    def test_a_case_without_arrears_is_refused(self, arrears: object) -> None:
        with pytest.raises(InputRefused):
            parse_late_fee_case(
                data={"customer_category": "general", "pay_date": "2001-01-18", "arrears": arrears}
            )

    def test_json_numbers_read_as_decimals_are_exact(self) -> None:
        case = parse_late_fee_case(
            data={
                "customer_category": "general",
                "pay_date": "2001-01-18",
                "arrears": [{"bill": "2000-12", "amount": D("0.10"), "due_date": "2000-12-15"}],
            }
        )
        assert case.arrears[0].amount == D("0.10")


# ---------------------------------------------------------------- properties

amounts = st.decimals(
    min_value=0, max_value=D("9999999999.99"), places=2, allow_nan=False, allow_infinity=False
)
days_offset = st.integers(min_value=-40, max_value=900)
per_mille = st.decimals(min_value=0, max_value=10, places=3, allow_nan=False, allow_infinity=False)
due_dates = st.dates(min_value=date(1996, 1, 1), max_value=date(2040, 12, 31))
categories = st.sampled_from(CATEGORIES)
year_splits = st.sampled_from(list(YearSplit))


@st.composite
def policies(draw: st.DrawFn) -> LateFeePolicy:
    """Random rates; the after-year rate is never below the current-year one (as in art. 98), so
    that ALL_DAYS mode stays monotone too."""
    classes = {}
    for category in CATEGORIES:
        current = draw(per_mille)
        classes[category] = ClassRates(
            label=category, current_year=current, after_year=current + draw(per_mille)
        )
    minimum = draw(st.decimals(min_value=0, max_value=5, places=2))
    return LateFeePolicy(classes=MappingProxyType(classes), minimum_fee=minimum, year_split=draw(year_splits))


def arrear(amount: D, due: date, bill: str = "2026-10") -> Arrear:
    return Arrear(bill=bill, amount=amount, due_date=due)


@settings(max_examples=300, deadline=None)
@given(amount=amounts, due=due_dates, offset=days_offset, category=categories, policy=policies())
def test_a_fee_is_never_negative(
    amount: D, due: date, offset: int, category: str, policy: LateFeePolicy
) -> None:
    fees = late_fees(
        category=category, arrears=[arrear(amount, due)], pay_date=due + timedelta(days=offset), policy=policy
    )
    assert fees.total >= 0 and all(item.fee >= 0 for item in fees.items)


@settings(max_examples=300, deadline=None)
@given(
    amount=amounts,
    due=due_dates,
    offset=days_offset,
    later=st.integers(min_value=0, max_value=400),
    category=categories,
    policy=policies(),
    label=st.sampled_from(["2026-10", "2025-12", "2027-01", "bill-1"]),
)
def test_paying_later_never_costs_less(
    amount: D, due: date, offset: int, later: int, category: str, policy: LateFeePolicy, label: str
) -> None:
    paid = due + timedelta(days=offset)
    early = late_fees(category=category, arrears=[arrear(amount, due, label)], pay_date=paid, policy=policy)
    late = late_fees(
        category=category,
        arrears=[arrear(amount, due, label)],
        pay_date=paid + timedelta(days=later),
        policy=policy,
    )
    assert late.items[0].fee >= early.items[0].fee
    assert late.total >= early.total


@settings(max_examples=300, deadline=None)
@given(
    amount=amounts, more=amounts, due=due_dates, offset=days_offset, category=categories, policy=policies()
)
def test_owing_more_never_costs_less(
    amount: D, more: D, due: date, offset: int, category: str, policy: LateFeePolicy
) -> None:
    paid = due + timedelta(days=offset)
    small = late_fees(category=category, arrears=[arrear(amount, due)], pay_date=paid, policy=policy)
    large = late_fees(category=category, arrears=[arrear(amount + more, due)], pay_date=paid, policy=policy)
    assert large.items[0].fee >= small.items[0].fee
    assert large.total >= small.total


@settings(max_examples=300, deadline=None)
@given(
    bills=st.lists(st.tuples(amounts, due_dates), min_size=1, max_size=6),
    paid=st.dates(min_value=date(1996, 1, 1), max_value=date(2042, 12, 31)),
    category=categories,
    policy=policies(),
)
def test_the_total_is_the_sum_of_the_items_unless_the_minimum_applies(
    bills: list[tuple[D, date]], paid: date, category: str, policy: LateFeePolicy
) -> None:
    fees = late_fees(
        category=category,
        arrears=[arrear(amount, due, f"bill-{i}") for i, (amount, due) in enumerate(bills)],
        pay_date=paid,
        policy=policy,
    )
    items_sum = sum((item.fee for item in fees.items), D(0))
    assert fees.items_total == items_sum
    if fees.minimum_applied:
        assert 0 < items_sum < policy.minimum_fee and fees.total == policy.minimum_fee
    else:
        assert fees.total == items_sum
    assert all(item.days == item.days_in_year + item.days_after_year for item in fees.items)
