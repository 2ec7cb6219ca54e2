"""Card meters (IC卡表): checking a vend against the meter's earlier vends (首次购电, the purchase
count, duplicates), and reconciling vends against what the meter reports — pending vends, and the
exceptions handed to revenue protection (稽查)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meter2cash.collection.card_meters import (
    BadCardRecord,
    CardExceptionKind,
    CardUnit,
    MeterReport,
    VendProblemKind,
    VendRecord,
    VendRefused,
    check_vend,
    reconcile,
    vend_problems,
)
from meter2cash.collection.prepaid_policy import DEFAULT_PREPAID_POLICY, CardMeterRules
from meter2cash.collection.prepaid_wording import bilingual, explain
from meter2cash.platform.clock import BUSINESS_TZ
from meter2cash.platform.i18n import use_lang

RULES = DEFAULT_PREPAID_POLICY.card_meters  # 1 kWh / 0.50 元 tolerance, 90 days
START = datetime(2026, 1, 5, 10, tzinfo=BUSINESS_TZ)
METER = "M-0001"
CARD = "C-8800001"


def vend(count: int, kwh: str = "100", amount: str = "50.00", *, days: int = 0, **kw: object) -> VendRecord:
    fields: dict[str, object] = {
        "card_no": CARD,
        "meter_no": METER,
        "purchase_count": count,
        "amount": D(amount),
        "kwh": D(kwh),
        "vended_at": START + timedelta(days=days or 10 * (count - 1)),
        **kw,
    }
    return VendRecord(**fields)  # type: ignore[arg-type]


def report(
    count: int, purchase: str, used: str, *, on: date = date(2026, 3, 1), unit: CardUnit = CardUnit.KWH
) -> MeterReport:
    return MeterReport(
        meter_no=METER,
        reported_on=on,
        unit=unit,
        purchase_count=count,
        cumulative_purchase=D(purchase),
        remaining=D(purchase) - D(used),
        cumulative_used=D(used),
    )


def kinds(
    vends: Sequence[VendRecord], reports: Sequence[MeterReport], as_of: date = date(2026, 3, 1)
) -> set[str]:
    result = reconcile(vends=vends, reports=reports, as_of=as_of, rules=RULES)
    return {e.kind.value for e in result.exceptions}


class TestCheckingAVend:
    def test_the_first_purchase_has_count_1_and_may_carry_an_opening_kwh_and_fee(self) -> None:
        first = vend(1, opening_kwh=D(10), opening_fee=D("5.00"))
        assert check_vend(vend=first, previous=[]) is first

    def test_each_later_purchase_is_the_last_count_plus_one(self) -> None:
        assert vend_problems(vend=vend(3), previous=[vend(1), vend(2)]) == ()

    def test_a_first_purchase_with_another_count_is_out_of_sequence(self) -> None:
        (problem,) = vend_problems(vend=vend(2), previous=[])
        assert problem.kind is VendProblemKind.OUT_OF_SEQUENCE
        assert problem.params == {"count": "2", "meter": METER, "expected": "1"}

    def test_a_skipped_count_is_out_of_sequence(self) -> None:
        (problem,) = vend_problems(vend=vend(4), previous=[vend(1), vend(2)])
        assert (problem.kind, problem.params["expected"]) == (VendProblemKind.OUT_OF_SEQUENCE, "3")

    def test_a_count_already_used_is_a_duplicate(self) -> None:
        (problem,) = vend_problems(vend=vend(2), previous=[vend(1), vend(2)])
        assert problem.kind is VendProblemKind.DUPLICATE

    def test_only_the_first_purchase_may_carry_an_opening_kwh_or_fee(self) -> None:
        problems = vend_problems(vend=vend(2, opening_fee=D("5.00")), previous=[vend(1)])
        assert [p.kind for p in problems] == [VendProblemKind.OPENING_NOT_FIRST]

    def test_another_card_on_the_meter_is_refused(self) -> None:
        problems = vend_problems(vend=vend(2, card_no="C-9999999"), previous=[vend(1)])
        assert [(p.kind, p.params["expected"]) for p in problems] == [(VendProblemKind.OTHER_CARD, CARD)]

    def test_a_vend_before_the_previous_one_is_refused(self) -> None:
        problems = vend_problems(vend=vend(2, days=-1), previous=[vend(1)])
        assert [p.kind for p in problems] == [VendProblemKind.BEFORE_PREVIOUS]

    def test_a_vend_that_sells_nothing_is_refused(self) -> None:
        problems = vend_problems(vend=vend(1, kwh="0", amount="0.00"), previous=[])
        assert [p.kind for p in problems] == [VendProblemKind.NOTHING_SOLD]

    def test_every_problem_is_named_at_once_when_refused(self) -> None:
        with pytest.raises(VendRefused) as refused:
            check_vend(vend=vend(5, card_no="C-2", opening_kwh=D(1)), previous=[vend(1), vend(2)])
        assert {p.column for p in refused.value.problems} == {
            "out_of_sequence",
            "opening_not_first",
            "other_card",
        }

    def test_earlier_vends_of_another_meter_are_a_caller_error(self) -> None:
        with pytest.raises(BadCardRecord):
            vend_problems(vend=vend(2), previous=[vend(1, meter_no="M-0002")])

    @pytest.mark.parametrize(
        "change",
        [
            {"amount": D("1.005")},
            {"kwh": D(-1)},
            {"purchase_count": 0},
            {"card_no": " "},
            {"vended_at": datetime(2026, 1, 5)},  # noqa: DTZ001 - naive on purpose
            {"opening_fee": 5.0},
        ],
    )
    def test_a_malformed_vend_is_not_a_vend(self, change: dict[str, object]) -> None:
        with pytest.raises(BadCardRecord):
            vend(1, **change)  # type: ignore[arg-type]


class TestReconcilingVendsAgainstTheMeter:
    def test_a_meter_that_agrees_with_the_vends_has_no_exception(self) -> None:
        result = reconcile(
            vends=[vend(1), vend(2)], reports=[report(2, "200", "150")], as_of=date(2026, 3, 1), rules=RULES
        )
        assert (result.bought, result.pending, result.exceptions) == (D(200), (), ())

    def test_a_vend_not_yet_inserted_into_the_meter_is_pending_not_an_error(self) -> None:
        result = reconcile(
            vends=[vend(1), vend(2), vend(3)],
            reports=[report(2, "200", "190")],
            as_of=date(2026, 3, 1),
            rules=RULES,
        )
        assert [v.purchase_count for v in result.pending] == [3]
        assert result.bought == D(200) and result.exceptions == ()

    def test_the_opening_kwh_counts_as_bought(self) -> None:
        assert kinds([vend(1, opening_kwh=D(10))], [report(1, "110", "105")]) == set()

    def test_a_meter_that_used_more_than_was_bought_is_an_exception_with_its_numbers(self) -> None:
        result = reconcile(
            vends=[vend(1)], reports=[report(1, "100", "101.5")], as_of=date(2026, 3, 1), rules=RULES
        )
        (found,) = result.exceptions
        assert found.kind is CardExceptionKind.USED_MORE_THAN_BOUGHT
        assert (found.meter_no, found.card_no) == (METER, CARD)
        assert found.numbers == {"used": D("101.5"), "bought": D(100), "excess": D("1.5")}

    def test_using_up_to_the_tolerance_more_is_not_an_exception(self) -> None:
        assert kinds([vend(1)], [report(1, "100", "101")]) == set()

    def test_a_meter_claiming_more_purchases_than_were_sold_points_to_a_forged_card(self) -> None:
        assert kinds([vend(1), vend(2)], [report(3, "300", "150")]) == {"meter_purchase_exceeds_vends"}

    def test_a_meter_claiming_more_energy_than_was_sold_points_to_a_forged_card(self) -> None:
        assert kinds([vend(1), vend(2)], [report(2, "400", "150")]) == {"meter_purchase_exceeds_vends"}

    def test_a_meter_credited_less_than_was_sold_is_an_exception(self) -> None:
        assert kinds([vend(1), vend(2)], [report(2, "150", "100")]) == {"meter_purchase_below_vends"}

    def test_a_money_meter_is_reconciled_in_yuan(self) -> None:
        vends = [vend(1, amount="50.00"), vend(2, amount="60.00")]
        assert kinds(vends, [report(2, "110.00", "110.40", unit=CardUnit.YUAN)]) == set()
        assert kinds(vends, [report(2, "110.00", "110.60", unit=CardUnit.YUAN)]) == {"used_more_than_bought"}

    def test_an_account_that_stops_buying_while_its_meter_runs_is_an_exception(self) -> None:
        vends = [vend(1, kwh="500")]  # 2026-01-05
        reports = [report(1, "500", "20", on=date(2026, 1, 5)), report(1, "500", "300", on=date(2026, 4, 10))]
        result = reconcile(vends=vends, reports=reports, as_of=date(2026, 4, 10), rules=RULES)
        (found,) = result.exceptions
        assert found.kind is CardExceptionKind.STOPPED_BUYING_WHILE_RUNNING
        assert found.params["last_vend"] == "2026-01-05"
        assert (found.numbers["days"], found.numbers["growth"], found.numbers["remaining"]) == (
            D(95),
            D(280),
            D(200),
        )

    def test_not_buying_for_fewer_days_than_the_policy_is_not_an_exception(self) -> None:
        reports = [report(1, "500", "20", on=date(2026, 1, 5)), report(1, "500", "300", on=date(2026, 4, 4))]
        assert kinds([vend(1, kwh="500")], reports, as_of=date(2026, 4, 4)) == set()  # 89 days

    def test_a_meter_that_stands_still_is_not_running(self) -> None:
        reports = [report(1, "500", "20", on=date(2026, 1, 5)), report(1, "500", "21", on=date(2026, 6, 1))]
        assert kinds([vend(1, kwh="500")], reports, as_of=date(2026, 6, 1)) == set()

    def test_with_one_report_the_growth_is_unknown_and_nothing_is_claimed(self) -> None:
        assert (
            kinds([vend(1, kwh="500")], [report(1, "500", "300", on=date(2026, 6, 1))], date(2026, 6, 1))
            == set()
        )

    def test_the_stopped_buying_days_are_configurable(self) -> None:
        reports = [report(1, "500", "20", on=date(2026, 1, 5)), report(1, "500", "300", on=date(2026, 2, 5))]
        strict = CardMeterRules(stopped_buying_days=30)
        result = reconcile(vends=[vend(1, kwh="500")], reports=reports, as_of=date(2026, 2, 5), rules=strict)
        assert [e.kind for e in result.exceptions] == [CardExceptionKind.STOPPED_BUYING_WHILE_RUNNING]

    def test_reports_of_another_meter_or_from_the_future_are_refused(self) -> None:
        other = MeterReport(METER + "X", date(2026, 3, 1), CardUnit.KWH, 1, D(100), D(0), D(100))
        with pytest.raises(BadCardRecord):
            reconcile(
                vends=[vend(1)], reports=[report(1, "100", "1"), other], as_of=date(2026, 3, 1), rules=RULES
            )
        with pytest.raises(BadCardRecord):
            reconcile(vends=[vend(1)], reports=[report(1, "100", "1")], as_of=date(2026, 2, 1), rules=RULES)
        with pytest.raises(BadCardRecord):
            reconcile(vends=[vend(1)], reports=[], as_of=date(2026, 2, 1), rules=RULES)


class TestTheExceptionsInWords:
    def test_an_exception_reads_in_chinese_and_english_with_its_numbers(self) -> None:
        result = reconcile(
            vends=[vend(1)], reports=[report(1, "100", "120")], as_of=date(2026, 3, 1), rules=RULES
        )
        (found,) = result.exceptions
        with use_lang("zh_CN"):
            assert explain(found) == "表计 M-0001 累计用电 120 kWh，比已购买并写入表计的 100 kWh 多 20 kWh"
        assert bilingual(found).endswith(
            "Meter M-0001 has used 120 kWh, 20 kWh more than the 100 kWh bought and loaded"
        )


# ---------------------------------------------------------------- invariants


@settings(max_examples=200, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=0, max_value=500), min_size=1, max_size=12),
    inserted=st.integers(min_value=0, max_value=12),
    used_share=st.decimals(min_value=0, max_value=1, places=2),
)
def test_a_meter_consistent_with_its_loaded_vends_raises_nothing_and_pending_vends_are_the_rest(
    sizes: list[int], inserted: int, used_share: D
) -> None:
    vends: list[VendRecord] = []
    for count, size in enumerate(sizes, start=1):
        new = vend(count, kwh=str(size), amount=f"{size}.00" if size else "1.00")
        vends.append(check_vend(vend=new, previous=vends))
    inserted = min(inserted, len(vends))
    bought = sum((v.kwh for v in vends[:inserted]), D(0))
    result = reconcile(
        vends=vends,
        reports=[report(inserted, str(bought), str(bought * used_share))],
        as_of=date(2026, 6, 1),
        rules=RULES,
    )
    assert result.exceptions == ()
    assert len(result.loaded) + len(result.pending) == len(vends)
    assert all(v.purchase_count > inserted for v in result.pending)


@settings(max_examples=200, deadline=None)
@given(counts=st.lists(st.integers(min_value=1, max_value=8), min_size=1, max_size=8))
def test_only_an_unbroken_sequence_of_counts_from_1_is_accepted(counts: list[int]) -> None:
    accepted: list[VendRecord] = []
    for count in counts:
        if not vend_problems(vend=vend(count, days=len(accepted) + 1), previous=accepted):
            accepted.append(vend(count, days=len(accepted) + 1))
    assert [v.purchase_count for v in accepted] == list(range(1, len(accepted) + 1))
