"""Corrections (退补) on worked examples built by hand from the rules (domain-rules §3 "计量差错退补",
《供电营业规则》1996 art. 80–81), and invariants checked by Hypothesis.

Each expected figure is computed in the comment beside it from the tariff's numbers; the money is
always the engine's (each line to the fen), the energy exact until its one rounding."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meter2cash.billing.catalog_files import bundled_catalog, find_version
from meter2cash.billing.correction_quote import correction_quote, parse_correction
from meter2cash.billing.corrections import (
    BilledPeriod,
    CorrectionCase,
    CorrectionResult,
    Device,
    MeterError,
    Misread,
    Parameters,
    Reason,
    WrongMultiplier,
    WrongTariff,
    WrongWiring,
    compute,
    covered_days,
    half_time_window,
    period_label,
    round_energy,
)
from meter2cash.billing.pf_tables import official_tables
from meter2cash.billing.tariff import BasicChargeBy, Fund, Tariff
from meter2cash.billing.usage import UsageCase
from meter2cash.platform.errors import InputRefused
from pricing_cases import P, case, flat, general, residential, two_part

RENEWABLE_RES = Fund("renewable", "可再生能源电价附加", D("0.001"))
RENEWABLE = Fund("renewable", "可再生能源电价附加", D("0.019"))


def period(tariff: Tariff, usage: UsageCase, label: str | None = None) -> BilledPeriod:
    return BilledPeriod(label=label or period_label(usage.start, usage.end), tariff=tariff, usage=usage)


def run(
    reason: Reason, parameters: Parameters, *periods: BilledPeriod, decimals: int = 4
) -> CorrectionResult:
    return compute(
        case=CorrectionCase(reason=reason, periods=periods, parameters=parameters, energy_decimals=decimals),
        pf_tables=official_tables(),
    )


def differences(result: CorrectionResult, index: int = 0) -> dict[str, D]:
    return {line.code: line.difference for line in result.periods[index].lines if line.difference}


def month(year: int, number: int) -> tuple[date, date]:
    return date(year, number, 1), date(year + number // 12, number % 12 + 1, 1)


class TestMeterError:
    """Art. 80(1): settle to zero error over the most recent HALF of the time since the last test."""

    def res(self) -> Tariff:
        return replace(residential(), funds=(RENEWABLE_RES,))

    def quarters(self) -> tuple[BilledPeriod, BilledPeriod]:
        # Installed 2026-01-01, found +5 % fast on 2026-06-30: 180 days, 1800 kWh recorded, billed
        # in two 90-day periods of 900 kWh (tier thresholds 170/260 × 90/30 = 510/780 kWh).
        first = case("900", period=(date(2026, 1, 1), date(2026, 4, 1)))
        second = case("900", period=(date(2026, 4, 1), date(2026, 6, 30)))
        return period(self.res(), first, "2026Q1"), period(self.res(), second, "2026Q2")

    def params(self, percent: str = "5") -> MeterError:
        return MeterError(
            error_percent=D(percent), last_test=date(2026, 1, 1), corrected_on=date(2026, 6, 30)
        )

    def test_a_meter_5_percent_fast_refunds_over_the_last_half_of_the_time(self) -> None:
        result = run(Reason.METER_ERROR, self.params(), *self.quarters())
        first, second = result.periods
        # The first 90 days are outside the half: nothing changes.
        assert first.kwh_difference == 0 and first.money_difference == 0
        # The last 90 days: 900 ÷ 1.05 = 857.142857… → 857.1429 kWh; refund 42.8571 kWh.
        assert second.corrected_kwh == D("857.1429")
        assert result.kwh_difference == D("-42.8571")
        # All of it comes off tier 3: billed (900 − 780) × 0.73 = 87.60, corrected
        # 77.1429 × 0.73 = 56.314317 → 56.31; the fund 0.90 → 857.1429 × 0.001 = 0.86.
        assert differences(result, 1) == {"energy.tier3": D("-31.29"), "fund.renewable": D("-0.04")}
        assert result.money_difference == D("-31.33")
        assert result.direction == "退还"
        assert result.rule.startswith("电能表误差+5.0%，按自上次校验起的1/2时间退补")
        assert "共180天" in result.rule and "退补自2026-04-01起的90天" in result.rule

    def test_settled_in_hundredths_of_a_kwh_the_refund_is_42_86_kwh(self) -> None:
        result = run(Reason.METER_ERROR, self.params(), *self.quarters(), decimals=2)
        assert result.periods[1].corrected_kwh == D("857.14")  # 900 ÷ 1.05 = 857.142857…
        assert result.kwh_difference == D("-42.86")
        assert result.money_difference == D("-31.33")  # 77.14 × 0.73 = 56.3122 → 56.31

    def test_a_period_straddling_the_half_way_point_is_prorated_by_days(self) -> None:
        # Last test 2026-01-01, found −2 % slow on 2026-06-15: 165 days, the half is 82.5 days,
        # from 2026-03-24 at noon. Flat 0.5 元/kWh, 300 kWh a month, 140 kWh in 06-01 … 06-15.
        tariff = flat("0.5")
        periods = [
            period(tariff, case("300", period=month(2026, m), category="general")) for m in range(1, 6)
        ]
        periods.append(
            period(tariff, case("140", period=(date(2026, 6, 1), date(2026, 6, 15)), category="general"))
        )
        params = MeterError(error_percent=D(-2), last_test=date(2026, 1, 1), corrected_on=date(2026, 6, 15))
        result = run(Reason.METER_ERROR, params, *periods)
        got = [(p.label, p.covered_days, p.corrected_kwh, p.money_difference) for p in result.periods]
        assert got == [
            ("2026-01", D(0), D(300), D("0.00")),
            ("2026-02", D(0), D(300), D("0.00")),
            # 7.5 of 31 days: 300 × (1 + 7.5/31 × (1/0.98 − 1)) = 301.481237… → 301.4812;
            # 301.4812 × 0.5 = 150.7406 → 150.74, billed 150.00
            ("2026-03", D("7.5"), D("301.4812"), D("0.74")),
            # whole months: 300 ÷ 0.98 = 306.122448… → 306.1224; × 0.5 = 153.0612 → 153.06
            ("2026-04", D(30), D("306.1224"), D("3.06")),
            ("2026-05", D(31), D("306.1224"), D("3.06")),
            # 140 ÷ 0.98 = 142.857142… → 142.8571; × 0.5 = 71.42855 → 71.43, billed 70.00
            ("2026-06-01/2026-06-15", D(14), D("142.8571"), D("1.43")),
        ]
        assert sum(p.covered_days for p in result.periods) == D("82.5")  # half of 165 days
        assert result.kwh_difference == D("16.5831")
        assert result.money_difference == D("8.29")
        assert result.direction == "补收"
        assert "退补自2026-03-24 12:00起的82.5天" in result.rule
        assert "÷(1-2.0%)" in result.rule

    def test_time_of_use_registers_are_corrected_with_the_total_and_kvarh_only_when_asked(self) -> None:
        tariff = general()
        usage = case("1050", category="general", kwh_tou={P.PEAK: D(210), P.VALLEY: D(315)}, kvarh=D(500))
        params = MeterError(D(5), date(2026, 6, 1), date(2026, 7, 1), device=Device.INSTRUMENT_TRANSFORMER)
        # The half of June 1 … July 1 is the last 15 days: share 15/30 = 1/2.
        # corrected = x × (1 + 1/2 × (1/1.05 − 1)) = x × 41/42
        result = run(Reason.METER_ERROR, params, period(tariff, usage))
        assert result.periods[0].corrected_kwh == D(1025)  # 1050 × 41/42
        amounts = {line.code: line.corrected for line in result.periods[0].lines}
        assert amounts["energy.peak"] == D("153.75")  # 210 × 41/42 = 205 × 0.5 × 1.5
        assert amounts["energy.valley"] == D("76.88")  # 315 × 41/42 = 307.5 × 0.25 = 76.875
        assert amounts["energy.flat"] == D("256.25")  # 1025 − 205 − 307.5 = 512.5 × 0.5
        assert result.rule.startswith("互感器误差+5.0%")

    def test_a_period_outside_the_time_since_the_last_test_is_refused(self) -> None:
        params = MeterError(D(5), last_test=date(2026, 3, 1), corrected_on=date(2026, 6, 1))
        with pytest.raises(InputRefused) as refused:
            run(
                Reason.METER_ERROR,
                params,
                period(flat(), case("1", period=month(2026, 1), category="general")),
            )
        assert refused.value.problems[0].column == "periods[0].period"


class TestWrongWiring:
    """Art. 81(1): by 更正系数 K = correct ÷ wrong registration over the WHOLE time."""

    def months(self) -> list[BilledPeriod]:
        # 一般工商业 TOU, base 0.4, windy season 1.68 : 1 : 0.48 (March–May).
        tariff = general(seasons=True)
        rows = [(3, "4000", 1000, 1200), (4, "4200", 1100, 1300), (5, "3800", 900, 1100)]
        return [
            period(
                tariff,
                case(
                    total,
                    period=month(2026, m),
                    category="general",
                    kwh_tou={P.PEAK: D(peak), P.VALLEY: D(valley)},
                ),
            )
            for m, total, peak, valley in rows
        ]

    def test_k_1_5_over_three_months_back_bills_half_again(self) -> None:
        params = WrongWiring(last_test=date(2026, 3, 1), corrected_on=date(2026, 6, 1), factor=D("1.5"))
        result = run(Reason.WRONG_WIRING, params, *self.months())
        # March: billed peak 1000 × 0.672 = 672.00, flat 1800 × 0.4 = 720.00, valley 1200 × 0.192
        # = 230.40 (1622.40); × 1.5: 1008.00 + 1080.00 + 345.60 = 2433.60 → +811.20.
        assert differences(result, 0) == {
            "energy.peak": D("336.00"),
            "energy.flat": D("360.00"),
            "energy.valley": D("115.20"),
        }
        # April 1708.80 → +854.40; May 1536.00 → +768.00.
        assert [p.money_difference for p in result.periods] == [D("811.20"), D("854.40"), D("768.00")]
        assert result.kwh_difference == D(6000)  # (4000 + 4200 + 3800) × 0.5
        assert result.money_difference == D("2433.60")
        assert result.rule.startswith("接线错误，更正系数K=1.5，按自上次校验或换装起的全部时间退补")

    def test_k_from_the_registrations_is_the_same(self) -> None:
        by_factor = run(
            Reason.WRONG_WIRING,
            WrongWiring(last_test=date(2026, 3, 1), corrected_on=date(2026, 6, 1), factor=D("1.5")),
            *self.months(),
        )
        by_registrations = run(
            Reason.WRONG_WIRING,
            WrongWiring.from_registrations(
                correct=D(1500), wrong=D(1000), last_test=date(2026, 3, 1), corrected_on=date(2026, 6, 1)
            ),
            *self.months(),
        )
        assert by_registrations.as_json()["periods"] == by_factor.as_json()["periods"]
        assert "K=1500/1000=1.5" in by_registrations.rule

    def test_a_non_terminating_k_stays_exact_until_the_one_rounding(self) -> None:
        # K = 1/3 (a phase missing of three): 3000 × 1/3 = 1000 exactly, not 999.9999.
        params = WrongWiring.from_registrations(
            correct=D(1), wrong=D(3), last_test=date(2026, 6, 1), corrected_on=date(2026, 7, 1)
        )
        result = run(Reason.WRONG_WIRING, params, period(flat("0.5"), case("3000", category="general")))
        assert result.periods[0].corrected_kwh == D(1000)
        assert result.money_difference == D("-1000.00")  # 2000 kWh × 0.5
        assert "K=1/3≈0.3333" in result.rule

    def test_the_whole_time_is_prorated_when_the_last_test_falls_inside_a_period(self) -> None:
        # Last test 2026-03-11: 21 of March's 31 days; 4000 × (1 + 21/31 × 0.5) = 5354.8387…
        params = WrongWiring(last_test=date(2026, 3, 11), corrected_on=date(2026, 4, 1), factor=D("1.5"))
        result = run(Reason.WRONG_WIRING, params, self.months()[0])
        assert result.periods[0].covered_days == 21
        assert result.periods[0].corrected_kwh == D("5354.8387")


class TestWrongMultiplier:
    """Art. 81(3): every register × the right ÷ the billed multiplier."""

    def test_multiplier_30_billed_instead_of_40(self) -> None:
        # 200 kWh on the dial: billed 200 × 30 = 6000, should be 200 × 40 = 8000.
        tariff = flat("0.5", funds=(RENEWABLE,))
        result = run(
            Reason.WRONG_MULTIPLIER,
            WrongMultiplier(billed=D(30), right=D(40)),
            period(tariff, case("6000", category="general")),
        )
        assert result.periods[0].corrected_kwh == D(8000)
        # energy 3000.00 → 4000.00; fund 6000 × 0.019 = 114.00 → 152.00
        assert differences(result) == {"energy": D("1000.00"), "fund.renewable": D("38.00")}
        assert result.money_difference == D("1038.00")
        assert result.rule.startswith("倍率错误：按倍率30计费，正确倍率为40")

    def test_the_demand_and_kvarh_registers_are_corrected_too(self) -> None:
        # Contract 600 kW; billed demand 480 kW → 640 kW, above 105 % (630 kW): 630 × 38 = 23940
        # plus 10 × 2 × 38 = 760 instead of 600 × 38 = 22800. Energy 30000 × 0.40 = 12000.00 →
        # 16000.00. kvarh 22500 → 30000: cos φ 0.80 both times, +5 % of basic + energy:
        # (22800 + 12000) × 5 % = 1740.00 → (23940 + 760 + 16000) × 5 % = 2035.00.
        usage = case(
            "30000",
            category="large_industry",
            capacity_kva=D(1000),
            pf_standard="0.90",
            basic_charge_by=BasicChargeBy.CONTRACT_DEMAND,
            contract_demand_kw=D(600),
            max_demand_kw=D(480),
            kvarh=D(22500),
        )
        result = run(Reason.WRONG_MULTIPLIER, WrongMultiplier(D(30), D(40)), period(two_part(), usage))
        assert differences(result) == {
            "basic.demand": D("1140.00"),
            "basic.demand_excess": D("760.00"),
            "energy": D("4000.00"),
            "pf_adjustment": D("295.00"),
        }
        assert result.money_difference == D("6195.00")
        codes = [line.code for line in result.periods[0].lines]
        assert codes == ["basic.demand", "basic.demand_excess", "energy", "pf_adjustment"]


class TestMisread:
    def test_1234_read_instead_of_1243_back_bills_9_kwh(self) -> None:
        # 234 kWh billed (1000 → 1234), should be 243: tier 2 64 × 0.48 = 30.72 → 73 × 0.48 = 35.04.
        params = Misread(billed_reading=D(1234), right_reading=D(1243))
        result = run(Reason.MISREAD, params, period(residential(), case("234")))
        assert result.kwh_difference == D(9)
        assert differences(result) == {"energy.tier2": D("4.32")}
        assert result.rule == "抄错：示数误抄为1234，应为1243，倍率1，电量差9kWh"

    def test_the_next_period_that_opened_on_the_misread_reading_gets_the_opposite(self) -> None:
        # July was billed 1234 → 1434 = 200 kWh, should be 191: tier 2 30 × 0.48 = 14.40 → 21 × 0.48.
        params = Misread(billed_reading=D(1234), right_reading=D(1243))
        june = period(residential(), case("234"))
        july = period(residential(), case("200", period=month(2026, 7)))
        result = run(Reason.MISREAD, params, june, july)
        assert [p.kwh_difference for p in result.periods] == [D(9), D(-9)]
        assert [p.money_difference for p in result.periods] == [D("4.32"), D("-4.32")]
        assert result.kwh_difference == 0 and result.money_difference == 0

    def test_a_misread_with_a_multiplier_and_a_time_of_use_register(self) -> None:
        # Peak register 456.78 read instead of 465.78, multiplier 20: peak +180 kWh, the total
        # register was read right, so flat gives up the 180 kWh: 180 × 0.5 × (1.5 − 1) = +45.00.
        usage = case("3000", category="general", kwh_tou={P.PEAK: D(1000)})
        params = Misread(D("456.78"), D("465.78"), multiplier=D(20), register="peak")
        result = run(Reason.MISREAD, params, period(general(), usage))
        assert differences(result) == {"energy.peak": D("135.00"), "energy.flat": D("-90.00")}
        assert result.kwh_difference == 0 and result.money_difference == D("45.00")


class TestWrongTariff:
    def test_a_residential_customer_billed_at_mx_gen_1_prices(self) -> None:
        catalog = bundled_catalog()
        june = date(2026, 6, 30)
        gen, res = (
            find_version(tariffs=catalog, code="MX-GEN-1", on=june),
            find_version(tariffs=catalog, code="MX-RES-1", on=june),
        )
        assert gen is not None and res is not None
        usage = case("300")  # residential, June, no period registers
        result = run(Reason.WRONG_TARIFF, WrongTariff(right_tariffs=(res,)), period(gen, usage))
        lines = {line.code: (line.billed, line.corrected) for line in result.periods[0].lines}
        assert lines == {
            "energy.flat": (D("145.50"), D("0.00")),  # 300 × 0.4850
            "energy.tier1": (D("0.00"), D("73.10")),  # 170 × 0.43
            "energy.tier2": (D("0.00"), D("43.20")),  # 90 × 0.48
            "energy.tier3": (D("0.00"), D("29.20")),  # 40 × 0.73
            "fund.renewable": (D("5.70"), D("0.30")),  # 300 × 0.019 → 300 × 0.001
            "fund.reservoir_resettlement": (D("1.86"), D("0.00")),  # 300 × 0.0062
        }
        assert result.kwh_difference == 0
        assert result.money_difference == D("-7.26")  # 145.80 − 153.06
        assert (
            result.rule
            == "电价错误：按MX-GEN-1@2024-10-01计费，应执行MX-RES-1@2024-10-01，同一电量按正确电价重新计算"
        )


class TestRules:
    def test_the_half_of_an_odd_number_of_days_ends_at_noon(self) -> None:
        start, end = half_time_window(last_test=date(2026, 1, 1), corrected_on=date(2026, 1, 4))
        assert end - start == Fraction(3, 2)
        days = covered_days(start=date(2026, 1, 1), end=date(2026, 1, 3), window_from=start, window_to=end)
        assert days == Fraction(1, 2)

    def test_energy_is_rounded_half_up_on_the_magnitude_once(self) -> None:
        assert round_energy(Fraction(857142857, 1000000), 4) == D("857.1429")
        assert round_energy(Fraction(5, 100000), 4) == D("0.0001")  # 0.00005 → up
        assert round_energy(Fraction(-5, 100000), 4) == D("-0.0001")
        assert round_energy(Fraction(2, 3), 0) == D(1)

    def test_period_labels(self) -> None:
        assert period_label(date(2026, 12, 1), date(2027, 1, 1)) == "2026-12"
        assert period_label(date(2026, 5, 15), date(2026, 6, 15)) == "2026-05-15/2026-06-15"

    def test_parameters_must_fit_the_reason_and_periods_must_not_overlap(self) -> None:
        june = period(residential(), case("100"))
        with pytest.raises(InputRefused):
            run(Reason.MISREAD, WrongMultiplier(D(1), D(2)), june)
        with pytest.raises(InputRefused) as refused:
            run(Reason.WRONG_MULTIPLIER, WrongMultiplier(D(0), D(2)), june, june)
        columns = {p.column for p in refused.value.problems}
        assert columns == {"periods[1].period", "parameters.billed_multiplier"}


# ---------------------------------------------------------------------------------------------
# The JSON case (docs/corrections.md)


def resolve(code: str, on: date) -> Tariff | None:
    return find_version(tariffs=bundled_catalog(), code=code, on=on)


def json_case(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "reason": "misread",
        "tariff": "MX-RES-1",
        "customer": {"category": "residential"},
        "parameters": {"billed_reading": "1234", "right_reading": "1243"},
        "periods": [
            {"period": {"start": "2026-06-01", "end": "2026-07-01"}, "usage": {"kwh": {"total": "234"}}}
        ],
    }
    data.update(overrides)
    return data


class TestJsonCase:
    def test_the_documented_shape(self) -> None:
        result = correction_quote(data=json_case(), resolve=resolve, pf_tables=official_tables())
        out = result.as_json()
        assert set(out) == {"reason", "periods", "kwh_difference", "money_difference", "rule"}
        assert set(out["periods"][0]) == {  # type: ignore[index]
            "period",
            "billed_kwh",
            "corrected_kwh",
            "kwh_difference",
            "lines",
            "money_difference",
        }
        assert out["money_difference"] == "4.33"  # tier 2 +4.32, fund 0.234 → 0.243: 0.23 → 0.24

    def test_every_problem_is_named_at_once(self) -> None:
        data = json_case(
            reason="meter_error",
            parameters={"error_percent": "five", "last_test": "2026-13-01", "typo": 1},
            periods=[
                {"period": {"start": "2026-06-01", "end": "2026-07-01"}, "usage": {"kwh": {"total": "-1"}}}
            ],
            energy_decimals=7,
        )
        with pytest.raises(InputRefused) as refused:
            parse_correction(data=data, resolve=resolve)
        columns = {p.column for p in refused.value.problems}
        assert columns >= {
            "energy_decimals",
            "periods[0].usage.kwh.total",
            "parameters.typo",
            "parameters.error_percent",
            "parameters.last_test",
            "parameters.corrected_on",
        }

    def test_an_unknown_reason_and_tariff_are_named(self) -> None:
        with pytest.raises(InputRefused) as refused:
            parse_correction(data=json_case(reason="typo", tariff="MX-NOPE"), resolve=resolve)
        assert {p.column for p in refused.value.problems} == {"reason", "periods[0].tariff"}

    def test_a_period_default_is_overridden_by_the_period(self) -> None:
        data = json_case(
            reason="wrong_tariff",
            tariff="MX-GEN-1",
            parameters={"right_tariff": "MX-RES-1"},
            periods=[
                {
                    "period": {"label": "六月", "start": "2026-06-01", "end": "2026-07-01"},
                    "tariff": "MX-RES-1",
                    "usage": {"kwh": "300"},
                }
            ],
        )
        result = correction_quote(data=data, resolve=resolve, pf_tables=official_tables())
        assert result.periods[0].label == "六月"
        assert result.money_difference == 0  # the same tariff both times


# ---------------------------------------------------------------------------------------------
# Invariants

kwh = st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False, allow_infinity=False)


def usage_of(total: D, peak_share: int) -> UsageCase:
    peak = (total * peak_share / 100).quantize(D("0.01"))
    return case(str(total), category="general", kwh_tou={P.PEAK: peak}, kvarh=total / 2)


def tariffs() -> st.SearchStrategy[Tariff]:
    return st.sampled_from([general(), general(seasons=True, funds=(RENEWABLE,)), flat("0.5"), residential()])


@settings(max_examples=60, deadline=None)
@given(total=kwh, share=st.integers(0, 100), tariff=tariffs(), which=st.integers(0, 4))
def test_correcting_with_no_error_changes_nothing(total: D, share: int, tariff: Tariff, which: int) -> None:
    usage = usage_of(total, share)
    june = period(tariff, usage)
    params: Parameters = [
        MeterError(D(0), date(2026, 1, 1), date(2026, 7, 1)),
        WrongWiring(last_test=date(2026, 1, 1), corrected_on=date(2026, 7, 1), factor=D(1)),
        WrongMultiplier(D(40), D(40)),
        Misread(D("1234.5"), D("1234.5")),
        WrongTariff((tariff,)),
    ][which]
    result = run(list(Reason)[which], params, june)
    assert result.kwh_difference == 0
    assert result.money_difference == 0
    assert all(line.difference == 0 for line in result.periods[0].lines)


@settings(max_examples=60, deadline=None)
@given(
    dial=st.decimals(min_value=0, max_value=5000, places=2),
    multipliers=st.sampled_from([(30, 40), (1, 80), (5, 3), (120, 60)]),
    tariff=tariffs(),
)
def test_a_multiplier_correction_reversed_is_its_negation(
    dial: D, multipliers: tuple[int, int], tariff: Tariff
) -> None:
    billed, right = (D(m) for m in multipliers)
    forward = run(
        Reason.WRONG_MULTIPLIER, WrongMultiplier(billed, right), period(tariff, usage_of(dial * billed, 0))
    )
    back = run(
        Reason.WRONG_MULTIPLIER, WrongMultiplier(right, billed), period(tariff, usage_of(dial * right, 0))
    )
    assert back.kwh_difference == -forward.kwh_difference
    assert back.money_difference == -forward.money_difference
    assert [line.difference for line in back.periods[0].lines] == [
        -line.difference for line in forward.periods[0].lines
    ]


@settings(max_examples=60, deadline=None)
@given(
    total=kwh, billed=st.decimals(0, 99999, places=1), right=st.decimals(0, 99999, places=1), tariff=tariffs()
)
def test_a_misread_correction_reversed_is_its_negation(total: D, billed: D, right: D, tariff: Tariff) -> None:
    if total + right - billed < 0:
        total = billed - right
    forward = run(
        Reason.MISREAD, Misread(billed, right), period(tariff, case(str(total), category="general"))
    )
    back = run(
        Reason.MISREAD,
        Misread(right, billed),
        period(tariff, case(str(total + right - billed), category="general")),
    )
    assert back.kwh_difference == -forward.kwh_difference
    assert back.money_difference == -forward.money_difference


@settings(max_examples=60, deadline=None)
@given(total=kwh, share=st.integers(0, 100), pair=st.lists(tariffs(), min_size=2, max_size=2))
def test_a_tariff_correction_reversed_is_its_negation(total: D, share: int, pair: list[Tariff]) -> None:
    one, other = pair
    usage = usage_of(total, share)
    forward = run(Reason.WRONG_TARIFF, WrongTariff((other,), "general"), period(one, usage))
    back = run(Reason.WRONG_TARIFF, WrongTariff((one,), "general"), period(other, usage))
    assert back.money_difference == -forward.money_difference
    assert {line.code: -line.difference for line in forward.periods[0].lines} == {
        line.code: line.difference for line in back.periods[0].lines
    }


@settings(max_examples=60, deadline=None)
@given(
    total=st.decimals(min_value=0, max_value=100000, places=0),
    pair=st.sampled_from([("2", "0.5"), ("1.25", "0.8")]),
)
def test_a_wiring_correction_reversed_is_its_negation(total: D, pair: tuple[str, str]) -> None:
    k, inverse = (D(v) for v in pair)
    window = {"last_test": date(2026, 6, 1), "corrected_on": date(2026, 7, 1)}
    tariff = general(seasons=True, funds=(RENEWABLE,))
    forward = run(
        Reason.WRONG_WIRING,
        WrongWiring(factor=k, **window),
        period(tariff, case(str(total), category="general")),
    )
    back = run(
        Reason.WRONG_WIRING,
        WrongWiring(factor=inverse, **window),
        period(tariff, case(str(total * k), category="general")),
    )
    assert back.kwh_difference == -forward.kwh_difference
    assert back.money_difference == -forward.money_difference


@settings(max_examples=60, deadline=None)
@given(total=kwh, percent=st.decimals(min_value=-50, max_value=50, places=1), decimals=st.integers(0, 4))
def test_a_meter_error_period_adds_up(total: D, percent: D, decimals: int) -> None:
    # The lines' differences sum to the period's, the periods' to the case's; a fast meter
    # (positive error) never back-bills and a slow one never refunds.
    tariff = general(seasons=True, funds=(RENEWABLE,))
    periods = [period(tariff, case(str(total), period=month(2026, m), category="general")) for m in (4, 5, 6)]
    result = run(
        Reason.METER_ERROR,
        MeterError(percent, date(2026, 1, 1), date(2026, 7, 1)),
        *periods,
        decimals=decimals,
    )
    for p in result.periods:
        assert sum((line.difference for line in p.lines), D(0)) == p.corrected.total - p.billed.total
    assert result.money_difference == sum((p.money_difference for p in result.periods), D(0))
    if percent > 0:
        assert result.money_difference <= 0 and result.kwh_difference <= 0
    if percent < 0:
        assert result.money_difference >= 0 and result.kwh_difference >= 0
