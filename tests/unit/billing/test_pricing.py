"""The pricing engine on worked examples built by hand from the rules (domain-rules.md §2).

Each expected amount is computed in the comment beside it, from the tariff's numbers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from meter2cash.billing.bills import Component
from meter2cash.billing.pricing import is_whole_month
from meter2cash.billing.tariff import BasicChargeBy, Fund, Tier, TierBasis, Tou
from pricing_cases import (
    JUNE,
    P,
    amounts,
    bill,
    case,
    flat,
    general,
    quantities,
    refusal,
    residential,
    two_part,
)


class TestMonthlyTiers:
    def test_170_kwh_fill_tier_one_exactly(self) -> None:
        b = bill(residential(), case("170"))
        assert amounts(b) == {"energy.tier1": D("73.10")}  # 170 × 0.43
        assert b.total == D("73.10")

    def test_the_171st_kwh_is_priced_in_tier_two(self) -> None:
        b = bill(residential(), case("171"))
        assert amounts(b) == {"energy.tier1": D("73.10"), "energy.tier2": D("0.48")}
        assert b.total == D("73.58")

    def test_260_kwh_fill_tier_two_exactly(self) -> None:
        b = bill(residential(), case("260"))
        assert amounts(b) == {"energy.tier1": D("73.10"), "energy.tier2": D("43.20")}  # 90 × 0.48

    def test_the_261st_kwh_is_priced_in_tier_three(self) -> None:
        b = bill(residential(), case("261"))
        assert amounts(b)["energy.tier3"] == D("0.73")
        assert b.total == D("117.03")

    def test_a_fraction_of_a_kwh_over_the_threshold_is_priced_in_the_next_tier(self) -> None:
        b = bill(residential(), case("170.5"))
        assert quantities(b)["energy.tier2"] == D("0.5")
        assert amounts(b)["energy.tier2"] == D("0.24")  # 0.5 × 0.48

    def test_zero_energy_gives_a_zero_tier_one_line(self) -> None:
        b = bill(residential(), case("0"))
        assert amounts(b) == {"energy.tier1": D("0.00")}

    def test_every_line_names_its_tariff_version_and_rule(self) -> None:
        b = bill(residential(), case("300"))
        assert {line.tariff_version for line in b.lines} == {"T-RES@2024-01-01"}
        assert b.lines[2].rule == "第3档 月260kWh以上"


class TestProration:
    def test_a_part_month_prorates_the_thresholds_by_days_over_30(self) -> None:
        # 20 days: 170 × 20/30 = 113.33 → 113; 260 × 20/30 = 173.33 → 173
        b = bill(residential(), case("300", period=(date(2026, 6, 10), date(2026, 6, 30))))
        assert quantities(b) == {"energy.tier1": D(113), "energy.tier2": D(60), "energy.tier3": D(127)}
        assert amounts(b) == {
            "energy.tier1": D("48.59"),
            "energy.tier2": D("28.80"),
            "energy.tier3": D("92.71"),
        }
        assert "按20/30天折算" in b.lines[0].rule

    def test_a_whole_month_of_31_days_is_not_prorated(self) -> None:
        b = bill(residential(), case("300", period=(date(2026, 5, 15), date(2026, 6, 15))))
        assert quantities(b)["energy.tier1"] == D(170)

    def test_a_month_is_whole_from_a_day_to_the_same_day_next_month_or_its_last_day(self) -> None:
        assert is_whole_month(start=date(2026, 1, 31), end=date(2026, 2, 28))
        assert is_whole_month(start=date(2026, 12, 15), end=date(2027, 1, 15))
        assert not is_whole_month(start=date(2026, 1, 31), end=date(2026, 3, 1))
        assert not is_whole_month(start=date(2026, 6, 1), end=date(2026, 6, 30))


class TestAnnualTiers:
    def test_annual_tiers_split_the_year_to_date_range(self) -> None:
        tariff = residential(
            tiers=(Tier(D("0.43"), D(2160)), Tier(D("0.48"), D(4200)), Tier(D("0.73"))),
            tier_basis=TierBasis.ANNUAL,
        )
        b = bill(tariff, case("100", year_to_date_kwh=D(2100)))
        assert quantities(b) == {"energy.tier1": D(60), "energy.tier2": D(40)}
        assert amounts(b) == {"energy.tier1": D("25.80"), "energy.tier2": D("19.20")}

    def test_annual_thresholds_are_not_prorated_for_a_part_month(self) -> None:
        tariff = residential(tiers=(Tier(D("0.43"), D(2160)), Tier(D("0.48"))), tier_basis=TierBasis.ANNUAL)
        b = bill(tariff, case("100", period=(date(2026, 6, 1), date(2026, 6, 11)), year_to_date_kwh=D(2100)))
        assert quantities(b) == {"energy.tier1": D(60), "energy.tier2": D(40)}


class TestLowIncomeAllowance:
    def test_a_low_income_household_gets_its_free_kwh_credited_at_the_base_price(self) -> None:
        b = bill(residential(low_income_free_kwh=D(15)), case("300", low_income=True))
        assert amounts(b)["allowance.low_income"] == D("-6.45")  # −15 × 0.43
        assert b.total == D("139.05")  # 73.10 + 43.20 + 29.20 − 6.45

    def test_the_allowance_never_exceeds_the_energy_used(self) -> None:
        b = bill(residential(low_income_free_kwh=D(15)), case("10", low_income=True))
        assert amounts(b) == {"energy.tier1": D("4.30"), "allowance.low_income": D("-4.30")}
        assert b.total == D("0.00")

    def test_other_households_get_no_allowance(self) -> None:
        assert "allowance.low_income" not in amounts(
            bill(residential(low_income_free_kwh=D(15)), case("300"))
        )

    def test_a_negative_half_fen_rounds_away_from_zero(self) -> None:
        tariff = residential(tiers=(Tier(D("0.4330")),), low_income_free_kwh=D(15))
        b = bill(tariff, case("100", low_income=True))
        assert amounts(b)["allowance.low_income"] == D("-6.50")  # −6.495 → −6.50


class TestTimeOfUse:
    def test_each_period_is_priced_at_the_base_price_times_its_multiplier(self) -> None:
        b = bill(general(), case("1000", category="general", kwh_tou={P.PEAK: D(300), P.VALLEY: D(200)}))
        assert amounts(b) == {
            "energy.peak": D("225.00"),  # 300 × 0.5 × 1.5
            "energy.flat": D("250.00"),  # (1000 − 300 − 200) × 0.5
            "energy.valley": D("50.00"),  # 200 × 0.5 × 0.5
        }

    def test_flat_is_the_total_less_the_other_periods(self) -> None:
        b = bill(general(), case("1000", category="general", kwh_tou={P.PEAK: D(300), P.VALLEY: D(200)}))
        assert sum(quantities(b).values()) == D(1000)

    def test_periods_adding_up_to_more_than_the_total_are_refused(self) -> None:
        reason = refusal(general(), case("100", category="general", kwh_tou={P.PEAK: D(80), P.VALLEY: D(30)}))
        assert "大于总电量" in reason

    def test_a_meter_without_period_registers_is_priced_at_the_flat_price(self) -> None:
        b = bill(general(), case("1000", category="general"))
        assert amounts(b) == {"energy.flat": D("500.00")}
        assert "无分时示数" in b.lines[0].rule

    def test_a_period_across_seasons_gets_the_day_weighted_multiplier(self) -> None:
        # 17 windy days at 1.68 and 14 calm days at 1.54: 10000 × 0.4 × (17×1.68 + 14×1.54)/31 = 6467.0967…
        usage = case(
            "40000",
            category="general",
            period=(date(2026, 5, 15), date(2026, 6, 15)),
            kwh_tou={P.PEAK: D(10000), P.VALLEY: D(12000)},
        )
        b = bill(general(seasons=True), usage)
        assert amounts(b)["energy.peak"] == D("6467.10")
        assert amounts(b)["energy.valley"] == D("2217.29")  # 12000 × 0.4 × (17×0.48 + 14×0.44)/31
        assert "5月17天、6月14天" in b.lines[0].rule

    def test_the_calm_season_has_sharp_peak_and_deep_valley(self) -> None:
        usage = case("1000", category="general", kwh_tou={P.SHARP: D(100), P.DEEP_VALLEY: D(100)})
        b = bill(general(seasons=True), usage)
        assert amounts(b)["energy.sharp"] == D("73.92")  # 100 × 0.4 × 1.848
        assert amounts(b)["energy.deep_valley"] == D("14.08")  # 100 × 0.4 × 0.352

    def test_residential_tou_with_tiers_adds_the_tier_increments(self) -> None:
        tariff = residential(tou=Tou({P.PEAK: D("1.2"), P.FLAT: D(1), P.VALLEY: D("0.6")}))
        b = bill(tariff, case("300", kwh_tou={P.PEAK: D(100), P.VALLEY: D(100)}))
        assert amounts(b) == {
            "energy.peak": D("51.60"),  # 100 × 0.43 × 1.2
            "energy.flat": D("43.00"),  # 100 × 0.43
            "energy.valley": D("25.80"),  # 100 × 0.43 × 0.6
            "energy.tier2": D("4.50"),  # 90 × (0.48 − 0.43)
            "energy.tier3": D("12.00"),  # 40 × (0.73 − 0.43)
        }


class TestBasicCharge:
    def li(self, **kw: object) -> object:
        base = {"category": "large_industry", "capacity_kva": D(1000)}
        return case("40000", **{**base, **kw})

    def test_by_capacity_is_kva_times_the_capacity_price(self) -> None:
        b = bill(two_part(), self.li())  # type: ignore[arg-type]
        assert amounts(b)["basic.capacity"] == D("25000.00")

    def test_a_part_month_is_one_thirtieth_per_day_of_use(self) -> None:
        b = bill(two_part(), self.li(basic_days=10))  # type: ignore[arg-type]
        assert amounts(b)["basic.capacity"] == D("8333.33")  # 25000 × 10/30

    def test_a_contract_demand_below_40_percent_of_capacity_is_billed_at_40_percent(self) -> None:
        usage = self.li(
            basic_charge_by=BasicChargeBy.CONTRACT_DEMAND, contract_demand_kw=D(300), max_demand_kw=D(350)
        )
        b = bill(two_part(), usage)  # type: ignore[arg-type]
        assert quantities(b)["basic.demand"] == D(400)
        assert amounts(b)["basic.demand"] == D("15200.00")  # 400 × 38

    def test_actual_demand_at_exactly_105_percent_bills_the_contract(self) -> None:
        usage = self.li(
            basic_charge_by=BasicChargeBy.CONTRACT_DEMAND, contract_demand_kw=D(500), max_demand_kw=D(525)
        )
        b = bill(two_part(), usage)  # type: ignore[arg-type]
        assert amounts(b)["basic.demand"] == D("19000.00")  # 500 × 38
        assert "basic.demand_excess" not in amounts(b)

    def test_actual_demand_below_the_contract_still_bills_the_contract(self) -> None:
        usage = self.li(
            basic_charge_by=BasicChargeBy.CONTRACT_DEMAND, contract_demand_kw=D(500), max_demand_kw=D(100)
        )
        assert amounts(bill(two_part(), usage))["basic.demand"] == D("19000.00")  # type: ignore[arg-type]

    def test_the_part_above_105_percent_is_charged_at_double(self) -> None:
        # contract 500, actual 600: 525 × 38 + 2 × 75 × 38 (domain-rules §2.3)
        usage = self.li(
            basic_charge_by=BasicChargeBy.CONTRACT_DEMAND, contract_demand_kw=D(500), max_demand_kw=D(600)
        )
        b = bill(two_part(), usage)  # type: ignore[arg-type]
        assert quantities(b)["basic.demand"] == D(525) and quantities(b)["basic.demand_excess"] == D(75)
        assert amounts(b)["basic.demand"] == D("19950.00")
        assert amounts(b)["basic.demand_excess"] == D("5700.00")

    def test_just_above_105_percent_the_excess_is_charged(self) -> None:
        usage = self.li(
            basic_charge_by=BasicChargeBy.CONTRACT_DEMAND, contract_demand_kw=D(500), max_demand_kw=D("525.1")
        )
        b = bill(two_part(), usage)  # type: ignore[arg-type]
        assert amounts(b)["basic.demand_excess"] == D("7.60")  # 0.1 × 76

    def test_without_a_demand_reading_the_contract_demand_is_billed(self) -> None:
        usage = self.li(basic_charge_by=BasicChargeBy.CONTRACT_DEMAND, contract_demand_kw=D(500))
        assert amounts(bill(two_part(), usage))["basic.demand"] == D("19000.00")  # type: ignore[arg-type]

    def test_by_actual_demand_is_the_maximum_demand_times_the_price(self) -> None:
        usage = self.li(basic_charge_by=BasicChargeBy.ACTUAL_DEMAND, max_demand_kw=D(650))
        assert amounts(bill(two_part(), usage))["basic.demand"] == D("24700.00")  # type: ignore[arg-type]

    def test_by_actual_demand_without_a_demand_reading_cannot_be_priced(self) -> None:
        usage = self.li(basic_charge_by=BasicChargeBy.ACTUAL_DEMAND)
        assert "最大需量" in refusal(two_part(), usage)  # type: ignore[arg-type]


class TestPowerFactor:
    def test_the_issue_example_adds_5_percent_of_basic_plus_energy(self) -> None:
        usage = case(
            "40000",
            category="large_industry",
            capacity_kva=D(1000),
            kvarh=D(30000),
            pf_standard="0.90",
            basic_charge_by=BasicChargeBy.CONTRACT_DEMAND,
            contract_demand_kw=D(600),
            max_demand_kw=D(650),
        )
        b = bill(two_part(funds=(Fund("renewable", "可再生能源电价附加", D("0.019")),)), usage)
        # basic 630 × 38 + 20 × 76 = 25460; energy 40000 × 0.40 = 16000; 5 % of 41460 = 2073.00
        assert b.power_factor == D("0.80") and b.pf_adjustment_percent == D("5.0")
        assert amounts(b)["pf_adjustment"] == D("2073.00")
        assert b.lines[-2].rule == "力调 0.90标准 cosφ=0.80 +5.0%"
        assert b.total == D("25460") + D("16000") + D("2073.00") + D("760.00")

    def test_funds_enter_the_adjustment_only_when_the_tariff_says_so(self) -> None:
        usage = case(
            "40000", category="large_industry", capacity_kva=D(1000), kvarh=D(30000), pf_standard="0.90"
        )
        funds = (Fund("renewable", "可再生能源电价附加", D("0.019")),)
        without = bill(two_part(funds=funds), usage)
        with_funds = bill(two_part(funds=funds, pf_includes_funds=True), usage)
        assert amounts(without)["pf_adjustment"] == D("2050.00")  # 5 % of 25000 + 16000
        assert amounts(with_funds)["pf_adjustment"] == D("2088.00")  # 5 % of 41000 + 760

    def test_a_good_power_factor_reduces_the_bill(self) -> None:
        usage = case(
            "40000", category="large_industry", capacity_kva=D(1000), kvarh=D(10000), pf_standard="0.90"
        )
        b = bill(two_part(), usage)
        assert b.power_factor == D("0.97") and amounts(b)["pf_adjustment"] == D("-307.50")  # −0.75 % of 41000

    def test_an_account_without_a_standard_gets_no_adjustment(self) -> None:
        b = bill(two_part(), case("40000", category="large_industry", capacity_kva=D(1000), kvarh=D(30000)))
        assert "pf_adjustment" not in amounts(b)

    def test_an_assessed_account_without_reactive_energy_cannot_be_priced(self) -> None:
        usage = case("40000", category="large_industry", capacity_kva=D(1000), pf_standard="0.90")
        assert "无功" in refusal(two_part(), usage)


class TestLosses:
    def test_monthly_transformer_losses_are_prorated_by_days_and_billed_at_the_flat_price(self) -> None:
        # 304 × 20/30 = 202.67 → 203 kWh (domain-rules §2.6)
        usage = case(
            "1000",
            category="general",
            period=(date(2026, 6, 1), date(2026, 6, 21)),
            transformer_loss_kwh=D(304),
        )
        b = bill(flat(funds=(Fund("renewable", "可再生能源电价附加", D("0.019")),)), usage)
        assert quantities(b)["loss.transformer"] == D(203)
        assert amounts(b)["loss.transformer"] == D("101.50")  # 203 × 0.5
        assert quantities(b)["fund.renewable"] == D(1203)

    def test_losses_enter_the_power_factor(self) -> None:
        usage = case(
            "40000",
            category="large_industry",
            capacity_kva=D(1000),
            kvarh=D("29000"),
            pf_standard="0.90",
            transformer_loss_kvarh=D(1000),
            transformer_loss_kwh=D(0),
        )
        assert bill(two_part(), usage).power_factor == D("0.80")  # 40000 / √(40000² + 30000²)

    def test_a_line_loss_is_its_own_line(self) -> None:
        b = bill(flat(), case("1000", category="general", line_loss_kwh=D(20)))
        assert amounts(b)["loss.line"] == D("10.00")


class TestMasterAndSubMeters:
    def test_the_sub_meters_energy_is_deducted_from_the_master(self) -> None:
        b = bill(flat(), case("1000", category="general", deduct_kwh=D(200)))
        assert quantities(b) == {"energy": D(800)}

    def test_a_sub_meter_priced_on_the_same_bill_uses_its_own_tariff(self) -> None:
        sub = Component(prefix="sub1", label="套扣S1·", tariff=residential(), case=case("200"))
        b = bill(flat(), case("1000", category="general", deduct_kwh=D(200)), sub)
        assert amounts(b) == {
            "energy": D("400.00"),
            "sub1.energy.tier1": D("73.10"),
            "sub1.energy.tier2": D("14.40"),
        }
        assert b.lines[1].label == "套扣S1·第1档电度电费"

    def test_deducting_more_than_the_master_recorded_is_refused(self) -> None:
        assert "套扣" in refusal(flat(), case("100", category="general", deduct_kwh=D(200)))


class TestFixedSplit:
    def test_a_fixed_share_is_priced_at_the_other_tariff(self) -> None:
        split = Component(
            prefix="split", label="定比0.2·", tariff=flat("0.8", code="T-OTHER"), case=case("200")
        )
        b = bill(flat("0.5"), case("1000", category="agriculture", deduct_kwh=D(200)), split)
        assert amounts(b) == {"energy": D("400.00"), "split.energy": D("160.00")}
        assert b.total == D("560.00")


class TestFunds:
    def test_an_exempt_category_pays_no_fund(self) -> None:
        fund = Fund("renewable", "可再生能源电价附加", D("0.019"), frozenset({"agriculture"}))
        assert "fund.renewable" not in amounts(
            bill(flat(funds=(fund,)), case("1000", category="agriculture"))
        )
        assert amounts(bill(flat(funds=(fund,)), case("1000", category="general")))["fund.renewable"] == D(
            "19.00"
        )


def test_june_is_a_whole_month() -> None:
    assert is_whole_month(start=JUNE[0], end=JUNE[1])
