"""Smart prepaid (费控): daily usage from frozen readings, the daily balance estimate and its
decisions (alert, trip after notice, close on top-up), and pricing the days with the billing engine.
Hypothesis checks the invariants: the balance adds up to the fen, no trip without a prior notice,
no energy lost or invented, and a period's days add up to its bill."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from functools import partial
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meter2cash.billing.bills import price_case
from meter2cash.billing.tariff import BasicCharge, Fund, TierBasis, Tou, TouPeriod
from meter2cash.billing.usage import UsageCase
from meter2cash.collection.prepaid_balance import (
    BadPrepaidInput,
    DayResult,
    DecisionKind,
    PrepaidEstimate,
    PrepaidState,
    TopUp,
    closes_on_top_up,
    decision_moment,
    estimate_balance,
)
from meter2cash.collection.prepaid_policy import DEFAULT_PREPAID_POLICY, SmartPrepaidRules
from meter2cash.collection.prepaid_pricing import BillPeriod, CannotPrice, TierPosition, engine_charges
from meter2cash.collection.prepaid_usage import (
    BadReading,
    DayUsage,
    FrozenReading,
    IssueKind,
    daily_usage,
)
from meter2cash.collection.prepaid_wording import bilingual, explain
from meter2cash.platform.clock import BUSINESS_TZ
from meter2cash.platform.i18n import use_lang
from meter2cash.platform.money import round_fen
from pricing_cases import flat, residential

JUNE = BillPeriod(label="2026-06", start=date(2026, 6, 1), end=date(2026, 7, 1))
JULY = BillPeriod(label="2026-07", start=date(2026, 7, 1), end=date(2026, 8, 1))
DAY1 = date(2026, 6, 1)
RULES = DEFAULT_PREPAID_POLICY.rules("residential")  # alert below 20.00, trip at 0.00 after 24 h
P = TouPeriod


def day(n: int) -> date:
    """The n-th day of June 2026 (n may run past the month)."""
    return DAY1 + timedelta(days=n - 1)


def reading(frozen_on: date, total: str, **periods: str) -> FrozenReading:
    return FrozenReading(
        frozen_on=frozen_on, total=D(total), periods={P(k): D(v) for k, v in periods.items()}
    )


def half_yuan_per_kwh(usages: Sequence[DayUsage]) -> list[D]:
    """A flat 0.50 元/kWh through the billing engine, as the service would build it."""
    return list(engine_charges(tariffs=[flat("0.5")], periods=[JUNE, JULY], position=TierPosition())(usages))


def run(
    *,
    balance: str,
    kwh_per_day: Sequence[str | None],
    top_ups: Sequence[TopUp] = (),
    alerted: bool = False,
    notice_sent_at: datetime | None = None,
    tripped: bool = False,
    rules: SmartPrepaidRules = RULES,
) -> list[DayResult]:
    """Days 1…n of June from a register at 1000 kWh; ``None`` is a missing reading."""
    readings, total = [], D(1000)
    for n, kwh in enumerate(kwh_per_day, start=1):
        if kwh is not None:
            total += D(kwh)
            readings.append(FrozenReading(frozen_on=day(n + 1), total=total))
    state = PrepaidState(
        on=DAY1,
        balance=D(balance),
        base=FrozenReading(frozen_on=DAY1, total=D(1000)),
        alerted=alerted,
        notice_sent_at=notice_sent_at,
        tripped=tripped,
    )
    estimate = estimate_balance(
        state=state,
        readings=readings,
        multiplier=D(1),
        top_ups=top_ups,
        charge_days=half_yuan_per_kwh,
        rules=rules,
        last_day=day(len(kwh_per_day)),
    )
    return list(estimate.days)


def beijing(day_: date, hour: int) -> datetime:
    return datetime(day_.year, day_.month, day_.day, hour, tzinfo=BUSINESS_TZ)


class TestDailyUsageFromFrozenReadings:
    def test_a_reading_frozen_on_a_day_closes_the_day_before(self) -> None:
        usage = daily_usage(
            base=reading(day(1), "100"),
            readings=[reading(day(2), "112.5")],
            multiplier=D(1),
            first_day=day(1),
            last_day=day(1),
        )
        assert [(u.day, u.kwh, u.days) for u in usage.usages] == [(day(1), D("12.5"), 1)]
        assert usage.issues == () and usage.base == reading(day(2), "112.5")

    def test_the_multiplier_scales_the_energy(self) -> None:
        usage = daily_usage(
            base=reading(day(1), "10.25"),
            readings=[reading(day(2), "10.50")],
            multiplier=D(40),
            first_day=day(1),
            last_day=day(1),
        )
        assert usage.usages[0].kwh == D(10)

    def test_a_missing_reading_leaves_the_day_uncharged_and_the_next_reading_charges_the_span(self) -> None:
        usage = daily_usage(
            base=reading(day(1), "100"),
            readings=[reading(day(2), "110"), reading(day(4), "130")],
            multiplier=D(1),
            first_day=day(1),
            last_day=day(3),
        )
        assert [(u.first_day, u.day, u.kwh, u.days) for u in usage.usages] == [
            (day(1), day(1), D(10), 1),
            (day(2), day(3), D(20), 2),
        ]
        assert [(i.kind, i.day) for i in usage.issues] == [(IssueKind.MISSING, day(2))]

    def test_a_register_that_goes_backwards_is_skipped_and_the_last_good_reading_stays_the_base(self) -> None:
        usage = daily_usage(
            base=reading(day(1), "100"),
            readings=[reading(day(2), "50"), reading(day(3), "101")],
            multiplier=D(1),
            first_day=day(1),
            last_day=day(2),
        )
        assert [(u.day, u.kwh, u.days) for u in usage.usages] == [(day(2), D(1), 2)]  # not 51
        kinds = [(i.kind, i.day) for i in usage.issues]
        assert kinds == [(IssueKind.BACKWARDS, day(1)), (IssueKind.MISSING, day(1))]
        assert usage.issues[0].params["previous"] == "100"

    def test_a_replaced_meter_is_reported_every_day_and_never_charged(self) -> None:
        usage = daily_usage(
            base=reading(day(1), "5000"),
            readings=[reading(day(n), str(n)) for n in range(2, 6)],
            multiplier=D(1),
            first_day=day(1),
            last_day=day(4),
        )
        assert usage.usages == ()
        assert sum(i.kind is IssueKind.BACKWARDS for i in usage.issues) == 4
        assert usage.base == reading(day(1), "5000")

    def test_a_late_reading_is_charged_on_the_runs_first_day_with_the_next_one(self) -> None:
        usage = daily_usage(
            base=reading(day(1), "100"),
            readings=[reading(day(3), "120"), reading(day(4), "125")],
            multiplier=D(1),
            first_day=day(3),
            last_day=day(3),
        )
        assert [(u.first_day, u.day, u.kwh) for u in usage.usages] == [(day(1), day(3), D(25))]

    def test_time_of_use_registers_are_differenced_like_the_total(self) -> None:
        usage = daily_usage(
            base=reading(day(1), "100", peak="40", valley="60"),
            readings=[reading(day(2), "110", peak="43", valley="67")],
            multiplier=D(2),
            first_day=day(1),
            last_day=day(1),
        )
        assert usage.usages[0].periods == {P.PEAK: D(6), P.VALLEY: D(14)}

    def test_a_reading_with_other_registers_than_the_base_is_skipped(self) -> None:
        usage = daily_usage(
            base=reading(day(1), "100", peak="40"),
            readings=[reading(day(2), "110")],
            multiplier=D(1),
            first_day=day(1),
            last_day=day(1),
        )
        assert usage.usages == ()
        assert usage.issues[0].kind is IssueKind.REGISTERS_DIFFER

    def test_a_new_meter_starts_from_its_first_reading(self) -> None:
        usage = daily_usage(
            base=None,
            readings=[reading(day(2), "7"), reading(day(3), "9")],
            multiplier=D(1),
            first_day=day(1),
            last_day=day(2),
        )
        assert [(u.day, u.kwh) for u in usage.usages] == [(day(2), D(2))]
        assert [i.day for i in usage.issues] == [day(1)]

    @pytest.mark.parametrize(
        "readings",
        [
            [reading(day(2), "1"), reading(day(2), "2")],  # twice
            [reading(day(1), "1")],  # not after the base
            [reading(day(4), "1")],  # after the run's last closing reading
        ],
    )
    def test_readings_given_twice_or_outside_the_run_are_refused(self, readings: list[FrozenReading]) -> None:
        with pytest.raises(BadReading):
            daily_usage(
                base=reading(day(1), "0"),
                readings=readings,
                multiplier=D(1),
                first_day=day(1),
                last_day=day(2),
            )

    def test_a_negative_register_or_a_float_is_refused(self) -> None:
        with pytest.raises(BadReading):
            reading(day(1), "-1")
        with pytest.raises(BadReading):
            FrozenReading(frozen_on=day(1), total=1.5)  # type: ignore[arg-type]


class TestTheBalance:
    def test_top_ups_are_credited_and_each_days_energy_charged(self) -> None:
        days = run(
            balance="100.00", kwh_per_day=["10", "10", "10"], top_ups=[TopUp(day=day(2), amount=D("30.00"))]
        )
        assert [(d.opening, d.topped_up, d.charge, d.balance) for d in days] == [
            (D("100.00"), D("0.00"), D("5.00"), D("95.00")),
            (D("95.00"), D("30.00"), D("5.00"), D("120.00")),
            (D("120.00"), D("0.00"), D("5.00"), D("115.00")),
        ]

    def test_a_day_without_a_closing_reading_is_not_charged_and_the_next_one_charges_both_days(self) -> None:
        days = run(balance="100.00", kwh_per_day=["10", None, "10"])
        assert [(d.kwh, d.charge) for d in days] == [
            (D(10), D("5.00")),
            (None, D("0.00")),
            (D(10), D("5.00")),
        ]
        span = days[2].usage
        assert span is not None and (span.first_day, span.day, span.days) == (day(2), day(3), 2)

    def test_the_alert_is_raised_once_when_the_balance_falls_below_the_threshold(self) -> None:
        days = run(balance="30.00", kwh_per_day=["10", "10", "10"])  # 25.00, 20.00, 15.00
        assert [d.alert for d in days] == [False, False, True]
        alert = days[2].decisions[0]
        assert alert.params == {"balance": "15.00", "threshold": "20.00"}

    def test_an_alert_already_raised_is_not_raised_again(self) -> None:
        days = run(balance="15.00", kwh_per_day=["2", "2"], alerted=True)
        assert not any(d.alert for d in days)

    def test_a_top_up_to_the_threshold_rearms_the_alert_and_voids_the_notice(self) -> None:
        notice = beijing(day(1), 9)
        days = run(
            balance="10.00",
            kwh_per_day=["0", "30", "30"],
            alerted=True,
            notice_sent_at=notice,
            top_ups=[TopUp(day=day(1), amount=D("10.00"))],
        )
        assert [d.balance for d in days] == [D("20.00"), D("5.00"), D("-10.00")]
        assert days[1].alert  # a new alert …
        assert days[2].decisions[-1].reason == "no_notice"  # … and the old notice no longer counts

    def test_without_a_notice_a_meter_at_zero_does_not_trip(self) -> None:
        days = run(balance="10.00", kwh_per_day=["20", "20"])
        assert [d.balance for d in days] == [D("0.00"), D("-10.00")]
        assert days[0].alert and not any(d.trip for d in days)
        assert [d.decisions[-1].reason for d in days] == ["no_notice", "no_notice"]

    def test_a_notice_younger_than_notice_hours_holds_the_trip_and_says_until_when(self) -> None:
        days = run(balance="5.00", kwh_per_day=["20", "0"], alerted=True, notice_sent_at=beijing(day(1), 8))
        assert [d.trip for d in days] == [False, True]  # decided at 06-02 00:00, then at 06-03 00:00
        held = days[0].decisions[-1]
        assert held.kind is DecisionKind.TRIP_HELD
        assert held.params["trip_from"] == "2026-06-02T08:00+08:00"

    def test_a_notice_old_enough_trips_the_meter_at_zero_once(self) -> None:
        days = run(
            balance="5.00",
            kwh_per_day=["10", "10"],
            alerted=True,
            notice_sent_at=beijing(day(1) - timedelta(days=2), 8),
        )
        assert [d.trip for d in days] == [True, False]
        assert days[0].decisions[0].params["notice_sent_at"] == "2026-05-30T08:00+08:00"

    def test_a_balance_of_exactly_zero_trips(self) -> None:
        days = run(balance="5.00", kwh_per_day=["10"], alerted=True, notice_sent_at=beijing(day(-5), 8))
        assert days[0].balance == D("0.00") and days[0].trip

    def test_a_notice_sent_after_the_decision_moment_is_not_a_prior_notice(self) -> None:
        days = run(balance="5.00", kwh_per_day=["20"], alerted=True, notice_sent_at=beijing(day(3), 8))
        assert not days[0].trip and days[0].decisions[-1].reason == "no_notice"

    def test_an_overdraft_allowance_trips_only_at_its_limit(self) -> None:
        rules = SmartPrepaidRules(label="居民", alert_threshold=D("20.00"), trip_at=D("-10.00"))
        days = run(
            balance="0.00",
            kwh_per_day=["10", "10"],
            alerted=True,
            notice_sent_at=beijing(day(-5), 8),
            rules=rules,
        )
        assert [(d.balance, d.trip) for d in days] == [(D("-5.00"), False), (D("-10.00"), True)]

    def test_a_top_up_above_zero_closes_a_tripped_meter(self) -> None:
        days = run(
            balance="-3.00",
            kwh_per_day=["2"],
            tripped=True,
            alerted=True,
            notice_sent_at=beijing(day(-5), 8),
            top_ups=[TopUp(day=day(1), amount=D("3.01"))],
        )
        assert days[0].close
        assert days[0].decisions[0].params == {"balance": "0.01", "minimum": "0.00"}
        assert days[0].trip  # 0.01 − 1.00 is below zero again, and the notice still stands

    def test_a_top_up_that_leaves_the_balance_at_the_minimum_does_not_close(self) -> None:
        days = run(
            balance="-3.00", kwh_per_day=["0"], tripped=True, top_ups=[TopUp(day=day(1), amount=D("3.00"))]
        )
        assert not days[0].close

    def test_a_reconnection_minimum_above_zero_is_honoured(self) -> None:
        rules = SmartPrepaidRules(label="居民", alert_threshold=D("20.00"), reconnect_minimum=D("50.00"))
        assert closes_on_top_up(balance=D("50.00"), tripped=True, rules=rules) is None
        assert closes_on_top_up(balance=D("50.01"), tripped=True, rules=rules) is not None
        assert closes_on_top_up(balance=D("80.00"), tripped=False, rules=rules) is None

    def test_two_runs_end_where_one_run_ends(self) -> None:
        readings = [reading(day(n), str(1000 + 7 * (n - 1))) for n in range(1, 6)]
        state = PrepaidState(on=day(1), balance=D("25.00"), base=readings[0])
        common = partial(
            estimate_balance, multiplier=D(1), top_ups=[], charge_days=half_yuan_per_kwh, rules=RULES
        )
        whole = common(state=state, readings=readings[1:], last_day=day(4))
        first = common(state=state, readings=readings[1:3], last_day=day(2))
        second = common(state=first.state, readings=readings[3:], last_day=day(4))
        assert first.days + second.days == whole.days
        assert second.state == whole.state

    def test_a_charge_finer_than_the_fen_is_refused(self) -> None:
        with pytest.raises(BadPrepaidInput):
            estimate_balance(
                state=PrepaidState(on=day(1), balance=D(0), base=reading(day(1), "0")),
                readings=[reading(day(2), "1")],
                multiplier=D(1),
                top_ups=[],
                charge_days=lambda usages: [D("0.001") for _ in usages],
                rules=RULES,
                last_day=day(1),
            )

    def test_a_top_up_outside_the_run_is_refused(self) -> None:
        with pytest.raises(BadPrepaidInput):
            run(balance="1.00", kwh_per_day=["1"], top_ups=[TopUp(day=day(5), amount=D("1.00"))])

    @pytest.mark.parametrize("amount", ["0.00", "-1.00", "1.005"])
    def test_a_top_up_must_be_positive_whole_fen(self, amount: str) -> None:
        with pytest.raises(BadPrepaidInput):
            TopUp(day=day(1), amount=D(amount))

    def test_a_notice_without_an_alert_or_a_naive_time_is_an_inconsistent_state(self) -> None:
        with pytest.raises(BadPrepaidInput):
            PrepaidState(on=day(1), balance=D(0), base=None, notice_sent_at=beijing(day(1), 8))
        with pytest.raises(BadPrepaidInput):
            naive = datetime(2026, 6, 1)  # noqa: DTZ001 - naive on purpose
            PrepaidState(on=day(1), balance=D(0), base=None, alerted=True, notice_sent_at=naive)

    def test_the_decision_moment_is_midnight_in_beijing_after_the_day(self) -> None:
        assert decision_moment(day=day(1)) == datetime(2026, 6, 1, 16, tzinfo=UTC)


class TestTheDecisionsInWords:
    def test_an_alert_reads_in_chinese_and_in_english(self) -> None:
        alert = run(balance="21.00", kwh_per_day=["10"])[0].decisions[0]
        with use_lang("zh_CN"):
            assert explain(alert) == "余额 16.00 元，低于预警值 20.00 元：请发送余额不足通知"
        assert bilingual(alert).endswith(
            "Balance 16.00 yuan is below the alert threshold 20.00 yuan: send the notice"
        )


class TestPricingTheDaysWithTheBillingEngine:
    def charges(self, kwh: Sequence[str], *, position: TierPosition | None = None, **kw: object) -> list[D]:
        usages = [DayUsage(day=day(n), first_day=day(n), kwh=D(k)) for n, k in enumerate(kwh, start=1)]
        tariffs = kw.pop("tariffs", [residential()])
        periods = kw.pop("periods", [JUNE])
        charge = engine_charges(tariffs=tariffs, periods=periods, position=position or TierPosition(), **kw)  # type: ignore[arg-type]
        return list(charge(usages))

    def test_a_day_that_crosses_a_tier_threshold_pays_each_part_at_its_tiers_price(self) -> None:
        # tiers ≤170 at 0.43, ≤260 at 0.48, then 0.73 (monthly)
        assert self.charges(["169", "2"]) == [D("72.67"), D("0.91")]  # 1 × 0.43 + 1 × 0.48

    def test_the_energy_already_used_in_the_period_sets_the_marginal_price(self) -> None:
        assert self.charges(["10"], position=TierPosition(period_kwh=D(200))) == [D("4.80")]
        assert self.charges(["10"], position=TierPosition(period_kwh=D(300))) == [D("7.30")]

    def test_a_new_bill_period_restarts_monthly_tiers(self) -> None:
        usages = [
            DayUsage(day=date(2026, 6, 30), first_day=date(2026, 6, 30), kwh=D(10)),
            DayUsage(day=date(2026, 7, 1), first_day=date(2026, 7, 1), kwh=D(10)),
        ]
        charge = engine_charges(
            tariffs=[residential()], periods=[JUNE, JULY], position=TierPosition(period_kwh=D(300))
        )
        assert list(charge(usages)) == [D("7.30"), D("4.30")]

    def test_annual_tiers_carry_the_earlier_periods_of_the_year_and_restart_in_a_new_year(self) -> None:
        annual = residential(tier_basis=TierBasis.ANNUAL)
        dec = BillPeriod(label="2026-12", start=date(2026, 12, 1), end=date(2027, 1, 1))
        jan = BillPeriod(label="2027-01", start=date(2027, 1, 1), end=date(2027, 2, 1))
        usages = [
            DayUsage(day=date(2026, 12, 31), first_day=date(2026, 12, 31), kwh=D(10)),
            DayUsage(day=date(2027, 1, 1), first_day=date(2027, 1, 1), kwh=D(10)),
        ]
        position = TierPosition(period_kwh=D(100), year_kwh=D(200))  # 300 kWh this year already
        charge = engine_charges(tariffs=[annual], periods=[dec, jan], position=position)
        assert list(charge(usages)) == [D("7.30"), D("4.30")]
        july = engine_charges(
            tariffs=[annual], periods=[JUNE, JULY], position=TierPosition(period_kwh=D(100), year_kwh=D(60))
        )
        june_30 = DayUsage(day=date(2026, 6, 30), first_day=date(2026, 6, 30), kwh=D(10))
        july_1 = DayUsage(day=date(2026, 7, 1), first_day=date(2026, 7, 1), kwh=D(10))
        assert list(july([june_30, july_1])) == [D("4.30"), D("4.80")]  # 170 → 180: the year goes on

    def test_the_low_income_allowance_makes_the_first_kwh_of_the_period_free(self) -> None:
        generous = residential(low_income_free_kwh=D(15))
        assert self.charges(["10", "10"], tariffs=[generous], low_income=True) == [D("0.00"), D("2.15")]

    def test_the_funds_are_charged_with_the_energy(self) -> None:
        fund = Fund(code="renewable", name="可再生能源电价附加", price=D("0.019"))
        assert self.charges(["100"], tariffs=[flat("0.5", funds=(fund,))]) == [D("51.90")]

    def test_time_of_use_registers_are_priced_per_period(self) -> None:
        tou = residential(tou=Tou({P.PEAK: D("1.5"), P.FLAT: D(1), P.VALLEY: D("0.5")}))
        usages = [DayUsage(day=day(1), first_day=day(1), kwh=D(10), periods={P.PEAK: D(4), P.VALLEY: D(4)})]
        charge = engine_charges(tariffs=[tou], periods=[JUNE], position=TierPosition())
        assert list(charge(usages)) == [D("4.30")]  # 4 × 0.645 + 2 × 0.43 + 4 × 0.215

    def test_the_version_in_force_on_the_periods_last_day_prices_it(self) -> None:
        dearer = tuple(replace(t, price=t.price + D("0.10")) for t in residential().energy.tiers)
        old = replace(residential(), effective_to=date(2026, 6, 15))
        new = replace(residential(tiers=dearer), effective_from=date(2026, 6, 15))
        assert self.charges(["10"], tariffs=[old, new]) == [D("5.30")]

    def test_a_two_part_tariff_is_refused_because_its_basic_charge_is_monthly(self) -> None:
        two_part = flat("0.5", basic=BasicCharge(capacity_price=D(25)))
        with pytest.raises(CannotPrice, match="two-part"):
            engine_charges(tariffs=[two_part], periods=[JUNE], position=TierPosition())

    def test_a_day_outside_the_bill_periods_cannot_be_priced(self) -> None:
        with pytest.raises(CannotPrice):
            self.charges(["1"], periods=[JULY])

    def test_bill_periods_must_meet(self) -> None:
        august = BillPeriod(label="2026-08", start=date(2026, 8, 2), end=date(2026, 9, 1))
        with pytest.raises(CannotPrice):
            engine_charges(tariffs=[residential()], periods=[JULY, august], position=TierPosition())

    def test_energy_finer_than_the_engine_keeps_is_refused_not_rounded(self) -> None:
        with pytest.raises(CannotPrice):
            self.charges(["0.00001"])


# ---------------------------------------------------------------- invariants

increments = st.one_of(
    st.none(),  # a missing reading
    st.decimals(min_value=0, max_value=60, places=2),
    st.just(D(-5)),  # a register that goes backwards
)


@dataclass(frozen=True)
class Scenario:
    """A run of June from a register at 5000 kWh, with a notice sent before it or none."""

    readings: list[FrozenReading]
    last_day: date
    top_ups: list[TopUp]
    balance: D
    notice: datetime | None
    tripped: bool
    multiplier: D

    def state(self) -> PrepaidState:
        return PrepaidState(
            on=day(1),
            balance=self.balance,
            base=reading(day(1), "5000"),
            alerted=self.notice is not None,
            notice_sent_at=self.notice,
            tripped=self.tripped,
        )

    def estimate(self) -> PrepaidEstimate:
        periods = [JUNE, JULY, BillPeriod(label="2026-08", start=date(2026, 8, 1), end=date(2026, 9, 1))]
        return estimate_balance(
            state=self.state(),
            readings=self.readings,
            multiplier=self.multiplier,
            top_ups=self.top_ups,
            charge_days=engine_charges(tariffs=[residential()], periods=periods, position=TierPosition()),
            rules=RULES,
            last_day=self.last_day,
        )


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    steps = draw(st.lists(increments, min_size=1, max_size=40))
    register, readings = D(5000), []
    for n, step in enumerate(steps, start=1):
        if step is not None:
            readings.append(reading(day(n + 1), str(register + step)))
            register += step if step >= 0 else 0
    top_up_days = draw(st.lists(st.integers(min_value=1, max_value=len(steps)), max_size=5))
    amounts = st.decimals(min_value="0.01", max_value=200, places=2)
    hours_before = draw(st.one_of(st.none(), st.integers(min_value=-48, max_value=24 * 40)))
    return Scenario(
        readings=readings,
        last_day=day(len(steps)),
        top_ups=[TopUp(day=day(n), amount=draw(amounts)) for n in top_up_days],
        balance=draw(st.decimals(min_value=-50, max_value=300, places=2)),
        notice=None if hours_before is None else decision_moment(day=day(1)) - timedelta(hours=hours_before),
        tripped=draw(st.booleans()),
        multiplier=draw(st.sampled_from([D(1), D(30), D("2.5")])),
    )


@settings(max_examples=150, deadline=None)
@given(s=scenarios())
def test_the_balance_is_the_opening_plus_the_top_ups_minus_the_charges_to_the_fen(s: Scenario) -> None:
    estimate = s.estimate()
    top_ups = sum((t.amount for t in s.top_ups), D(0))
    charges = sum((d.charge for d in estimate.days), D(0))
    assert estimate.state.balance == s.balance + top_ups - charges
    for before, after in pairwise(estimate.days):
        assert after.opening == before.balance
    for d in estimate.days:
        assert d.balance == d.opening + d.topped_up - d.charge and d.charge >= 0
        assert d.balance == round_fen(d.balance)


@settings(max_examples=150, deadline=None)
@given(s=scenarios())
def test_no_meter_trips_without_a_notice_sent_notice_hours_before(s: Scenario) -> None:
    for d in s.estimate().days:
        if d.trip:
            assert s.notice is not None
            assert s.notice + timedelta(hours=RULES.notice_hours) <= decision_moment(day=d.day)
            assert d.balance <= RULES.trip_at


@settings(max_examples=150, deadline=None)
@given(s=scenarios())
def test_energy_is_never_lost_or_invented(s: Scenario) -> None:
    estimate = s.estimate()
    charged = sum((d.kwh for d in estimate.days if d.kwh is not None), D(0))
    last_good = estimate.state.base
    assert last_good is not None
    assert charged == (last_good.total - D(5000)) * s.multiplier


@settings(max_examples=100, deadline=None)
@given(kwh=st.lists(st.decimals(min_value=0, max_value=40, places=1), min_size=30, max_size=30))
def test_the_days_of_a_bill_period_add_up_to_its_bill(kwh: list[D]) -> None:
    tariff = residential(
        low_income_free_kwh=D(15), tou=Tou({P.PEAK: D("1.5"), P.FLAT: D(1), P.VALLEY: D("0.5")})
    )
    usages = [
        DayUsage(day=day(n), first_day=day(n), kwh=k, periods={P.PEAK: k / 2, P.VALLEY: k / 4})
        for n, k in enumerate(kwh, start=1)
    ]
    charges = engine_charges(tariffs=[tariff], periods=[JUNE], position=TierPosition(), low_income=True)(
        usages
    )
    total = sum(kwh, D(0))
    case = UsageCase(
        start=JUNE.start,
        end=JUNE.end,
        category="residential",
        kwh_total=total,
        kwh_tou={P.PEAK: total / 2, P.VALLEY: total / 4},
        low_income=True,
    )
    bill, reason = price_case(tariff=tariff, case=case, pf_tables={})
    assert bill is not None, reason
    assert sum(charges, D(0)) == bill.total
