"""Power-factor adjustment (力调电费, 〔83〕水电财字第215号): the month's cos φ, rounded half-up to
two decimals, and every point of the three official tables against a hand-written copy."""

from __future__ import annotations

from decimal import Decimal, localcontext
from math import isqrt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meter2cash.billing.pf_tables import (
    UnknownPowerFactorStandard,
    official_tables,
    table_for,
    tables_from_yaml,
)
from meter2cash.billing.power_factor import (
    BadPowerFactorTable,
    PowerFactorTable,
    adjustment_percent,
    build_table,
    percent_text,
    power_factor,
)

D = Decimal

# The regulation's tables, copied by hand, ten points a line from cos φ 0.30 up to 1.00.
EXPECTED: dict[str, list[str]] = {
    "0.90": [
        "85", "83", "81", "79", "77", "75", "73", "71", "69", "67",  # 0.30–0.39
        "65", "63", "61", "59", "57", "55", "53", "51", "49", "47",  # 0.40–0.49
        "45", "43", "41", "39", "37", "35", "33", "31", "29", "27",  # 0.50–0.59
        "25", "23", "21", "19", "17", "15", "14", "13", "12", "11",  # 0.60–0.69
        "10", "9.5", "9", "8.5", "8", "7.5", "7", "6.5", "6", "5.5",  # 0.70–0.79
        "5", "4.5", "4", "3.5", "3", "2.5", "2", "1.5", "1", "0.5",  # 0.80–0.89
        "0", "-0.15", "-0.30", "-0.45", "-0.60", "-0.75", "-0.75", "-0.75", "-0.75", "-0.75",  # 0.90–0.99
        "-0.75",  # 1.00
    ],
    "0.85": [
        "75", "73", "71", "69", "67", "65", "63", "61", "59", "57",  # 0.30–0.39
        "55", "53", "51", "49", "47", "45", "43", "41", "39", "37",  # 0.40–0.49
        "35", "33", "31", "29", "27", "25", "23", "21", "19", "17",  # 0.50–0.59
        "15", "14", "13", "12", "11", "10", "9.5", "9", "8.5", "8",  # 0.60–0.69
        "7.5", "7", "6.5", "6", "5.5", "5", "4.5", "4", "3.5", "3",  # 0.70–0.79
        "2.5", "2", "1.5", "1", "0.5", "0", "-0.1", "-0.2", "-0.3", "-0.4",  # 0.80–0.89
        "-0.5", "-0.65", "-0.80", "-0.95", "-1.10", "-1.10", "-1.10", "-1.10", "-1.10", "-1.10",  # 0.90–0.99
        "-1.10",  # 1.00
    ],
    "0.80": [
        "65", "63", "61", "59", "57", "55", "53", "51", "49", "47",  # 0.30–0.39
        "45", "43", "41", "39", "37", "35", "33", "31", "29", "27",  # 0.40–0.49
        "25", "23", "21", "19", "17", "15", "14", "13", "12", "11",  # 0.50–0.59
        "10", "9.5", "9", "8.5", "8", "7.5", "7", "6.5", "6", "5.5",  # 0.60–0.69
        "5", "4.5", "4", "3.5", "3", "2.5", "2", "1.5", "1", "0.5",  # 0.70–0.79
        "0", "-0.1", "-0.2", "-0.3", "-0.4", "-0.5", "-0.6", "-0.7", "-0.8", "-0.9",  # 0.80–0.89
        "-1.0", "-1.15", "-1.30", "-1.30", "-1.30", "-1.30", "-1.30", "-1.30", "-1.30", "-1.30",  # 0.90–0.99
        "-1.30",  # 1.00
    ],
}  # fmt: skip

POINTS = [
    pytest.param(standard, D(30 + i).scaleb(-2), D(percent), id=f"{standard}@{D(30 + i).scaleb(-2)}")
    for standard, percents in EXPECTED.items()
    for i, percent in enumerate(percents)
]


def pf(kwh: int | str, kvarh: int | str) -> Decimal | None:
    return power_factor(kwh=D(kwh), kvarh=D(kvarh))


def exact_cos(kwh: Decimal, kvarh: Decimal) -> Decimal:
    with localcontext(prec=60):
        return kwh / (kwh * kwh + kvarh * kvarh).sqrt()


class TestTheOfficialTables:
    def test_the_hand_written_copy_has_every_point_from_0_30_to_1_00(self) -> None:
        assert {standard: len(percents) for standard, percents in EXPECTED.items()} == {
            "0.90": 71,
            "0.85": 71,
            "0.80": 71,
        }

    def test_there_are_exactly_the_three_standards_of_the_regulation(self) -> None:
        assert set(official_tables()) == {"0.90", "0.85", "0.80"}

    @pytest.mark.parametrize(("standard", "cos_phi", "expected"), POINTS)
    def test_every_point_of_every_table_matches_the_regulation(
        self, standard: str, cos_phi: Decimal, expected: Decimal
    ) -> None:
        assert adjustment_percent(table=table_for(standard=standard), power_factor=cos_phi) == expected

    def test_each_table_lists_exactly_the_points_0_30_to_1_00(self) -> None:
        for table in official_tables().values():
            assert sorted(table.percents) == list(range(30, 101))

    def test_the_0_85_table_gives_minus_1_10_from_0_94_to_1_00_not_minus_1_0(self) -> None:
        table = table_for(standard="0.85")
        for hundredths in range(94, 101):
            assert adjustment_percent(table=table, power_factor=D(hundredths).scaleb(-2)) == D("-1.10")

    def test_a_power_factor_of_0_80_on_the_0_90_standard_adds_5_percent(self) -> None:
        cos_phi = pf(40000, 30000)
        assert cos_phi == D("0.80")
        assert adjustment_percent(table=table_for(standard="0.90"), power_factor=cos_phi) == 5

    def test_each_standard_gives_nothing_at_the_standard_itself(self) -> None:
        for standard, table in official_tables().items():
            assert adjustment_percent(table=table, power_factor=D(standard)) == 0

    def test_below_0_30_the_percentage_at_0_30_applies(self) -> None:
        for standard, at_030 in (("0.90", 85), ("0.85", 75), ("0.80", 65)):
            table = table_for(standard=standard)
            for cos_phi in ("0.29", "0.10", "0.01", "0.00"):
                assert adjustment_percent(table=table, power_factor=D(cos_phi)) == at_030

    def test_no_reactive_energy_gives_the_best_reduction(self) -> None:
        assert adjustment_percent(table=table_for(standard="0.80"), power_factor=pf(1000, 0) or D(0)) == D(
            "-1.30"
        )

    def test_the_tables_are_read_once(self) -> None:
        assert official_tables() is official_tables()


class TestChoosingATable:
    def test_0_9_is_read_as_the_standard_0_90(self) -> None:
        assert table_for(standard="0.9").standard == "0.90"
        assert table_for(standard=" 0.85 ").standard == "0.85"

    def test_an_account_that_is_not_assessed_has_no_table(self) -> None:
        with pytest.raises(UnknownPowerFactorStandard, match="not assessed"):
            table_for(standard="none")

    @pytest.mark.parametrize("standard", ["0.95", "0.75", "abc", "", "NaN", "1E+50"])
    def test_an_unknown_standard_is_refused_naming_the_known_ones(self, standard: str) -> None:
        with pytest.raises(UnknownPowerFactorStandard, match=r"0\.90, 0\.85, 0\.80"):
            table_for(standard=standard)


class TestThePowerFactor:
    @pytest.mark.parametrize(
        ("kwh", "kvarh", "expected"),
        [
            (40000, 30000, "0.80"),  # 3-4-5
            (3, 4, "0.60"),
            (5, 12, "0.38"),  # 5/13 = 0.3846…
            (12, 5, "0.92"),  # 12/13 = 0.9230…
            (1, 1, "0.71"),  # 1/√2 = 0.7071…
            (100, 0, "1.00"),
            (0, 100, "0.00"),
            ("40000.00", "30000.0", "0.80"),
            ("0.004", "0.003", "0.80"),
            ("1E+6", "750000", "0.80"),
        ],
    )
    def test_cos_phi_is_p_over_the_root_of_p_squared_plus_q_squared(
        self, kwh: int | str, kvarh: int | str, expected: str
    ) -> None:
        result = pf(kwh, kvarh)
        assert result == D(expected) and str(result) == expected

    def test_no_reactive_energy_is_a_power_factor_of_1_00(self) -> None:
        assert str(pf(12345, 0)) == "1.00"

    def test_no_energy_at_all_has_no_power_factor(self) -> None:
        assert pf(0, 0) is None
        assert pf("0.000", "0") is None

    @pytest.mark.parametrize(("kwh", "kvarh"), [("-1", "1"), ("1", "-1"), ("-0.01", "0")])
    def test_a_negative_energy_is_refused(self, kwh: str, kvarh: str) -> None:
        with pytest.raises(ValueError, match="must not be negative"):
            pf(kwh, kvarh)

    @pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity"])
    def test_a_non_finite_energy_is_refused(self, bad: str) -> None:
        with pytest.raises(ValueError, match="finite"):
            pf(bad, "1")

    def test_reactive_energy_given_as_its_magnitude_is_what_counts(self) -> None:
        # 无功 may be read as a negative register (capacitive); the caller passes |Q|.
        assert pf(40000, abs(-30000)) == D("0.80")


class TestRoundingHalfUp:
    """cos φ exactly at a half hundredth cannot come from rational P and Q (40000 − m² is never a
    square for odd m), so the boundaries are tested as close on each side as exact integers go."""

    @pytest.mark.parametrize("digits", [0, 3, 6, 12])
    def test_just_below_0_845_rounds_down_and_just_above_rounds_up(self, digits: int) -> None:
        p = 845 * 10**digits
        s = 1000 * 10**digits  # cos φ = 0.845 exactly when P² + Q² = S²
        q_at_or_above = isqrt(s * s - p * p)  # the largest Q that keeps cos φ at 0.845 or above
        assert exact_cos(D(p), D(q_at_or_above)) > D("0.845") > exact_cos(D(p), D(q_at_or_above + 1))
        assert pf(p, q_at_or_above) == D("0.85")
        assert pf(p, q_at_or_above + 1) == D("0.84")

    def test_a_cos_phi_of_0_8449_rounds_to_0_84_and_0_8450_to_0_85(self) -> None:
        assert D("0.8449") < exact_cos(D(8449), D(5349)) < D("0.8450")
        assert pf(8449, 5349) == D("0.84")
        assert D("0.8450") < exact_cos(D(8450), D(5347)) < D("0.8451")
        assert pf(8450, 5347) == D("0.85")

    def test_just_around_0_895_decides_between_a_surcharge_and_nothing(self) -> None:
        p = 895 * 10**9
        s = 1000 * 10**9
        q = isqrt(s * s - p * p)
        table = table_for(standard="0.90")
        assert adjustment_percent(table=table, power_factor=pf(p, q) or D(0)) == 0  # 0.90
        assert adjustment_percent(table=table, power_factor=pf(p, q + 1) or D(0)) == D("0.5")  # 0.89

    def test_decimal_energies_are_scaled_exactly(self) -> None:
        assert pf("845.000000", "534.766") == D("0.85")  # 0.84500013…
        assert pf("845", "534.767") == D("0.84")  # 0.84499968…
        assert pf("845", "534.76") == D("0.85")  # 0.8450028…
        assert pf("845", "534.77") == D("0.84")  # 0.8449983…


class TestProperties:
    energies = st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False, allow_infinity=False)

    @given(energies, energies)
    def test_cos_phi_lies_between_0_and_1_and_is_the_exact_value_rounded_half_up(
        self, kwh: Decimal, kvarh: Decimal
    ) -> None:
        result = power_factor(kwh=kwh, kvarh=kvarh)
        if kwh == 0 and kvarh == 0:
            assert result is None
            return
        assert result is not None
        assert D(0) <= result <= D(1)
        assert result.as_tuple().exponent == -2
        exact = exact_cos(kwh, kvarh)
        assert result - D("0.005") <= exact < result + D("0.005")

    @given(energies, energies, energies)
    def test_more_reactive_energy_never_raises_the_power_factor(
        self, kwh: Decimal, kvarh: Decimal, more: Decimal
    ) -> None:
        low = power_factor(kwh=kwh, kvarh=kvarh + more)
        high = power_factor(kwh=kwh, kvarh=kvarh)
        if low is not None and high is not None:
            assert low <= high

    @given(st.sampled_from(["0.90", "0.85", "0.80"]), st.integers(0, 100), st.integers(0, 100))
    def test_the_percentage_never_increases_as_the_power_factor_rises(
        self, standard: str, a: int, b: int
    ) -> None:
        table = table_for(standard=standard)
        lower, higher = sorted((a, b))
        at_lower = adjustment_percent(table=table, power_factor=D(lower).scaleb(-2))
        at_higher = adjustment_percent(table=table, power_factor=D(higher).scaleb(-2))
        assert at_higher <= at_lower


class TestLookingUp:
    @pytest.mark.parametrize("bad", ["0.845", "1.01", "-0.01", "NaN"])
    def test_a_power_factor_that_is_not_rounded_or_out_of_range_is_refused(self, bad: str) -> None:
        with pytest.raises(ValueError, match="power factor"):
            adjustment_percent(table=table_for(standard="0.90"), power_factor=D(bad))

    def test_a_power_factor_written_with_fewer_decimals_is_the_same_point(self) -> None:
        table = table_for(standard="0.90")
        assert adjustment_percent(table=table, power_factor=D("0.8")) == 5
        assert adjustment_percent(table=table, power_factor=D("1")) == D("-0.75")


class TestPercentText:
    @pytest.mark.parametrize(
        ("percent", "text"),
        [
            ("5", "5.0"),
            ("5.0", "5.0"),
            ("-0.15", "-0.15"),
            ("-0.75", "-0.75"),
            ("10", "10.0"),
            ("0", "0.0"),
            ("-0", "0.0"),
            ("0.00", "0.0"),
            ("-1.10", "-1.1"),
            ("-0.30", "-0.3"),
            ("85", "85.0"),
            ("9.5", "9.5"),
            ("1E+1", "10.0"),
            ("0.125", "0.125"),
        ],
    )
    def test_one_decimal_unless_a_second_is_needed(self, percent: str, text: str) -> None:
        assert percent_text(D(percent)) == text


def seg(low: str, high: str, percent: str) -> dict[str, str]:
    return {"from": low, "to": high, "percent": percent}


class TestBuildingATable:
    def test_a_linear_segment_steps_from_its_first_to_its_last_value(self) -> None:
        table = build_table(
            standard="0.90",
            segments=[
                {
                    "from": "0.88",
                    "to": "0.89",
                    "percent_at_from": "1",
                    "step": "-0.5",
                    "percent_at_to": "0.5",
                },
                seg("0.90", "1.00", "0"),
            ],
        )
        assert table == PowerFactorTable(standard="0.90", percents=table.percents)
        assert dict(table.percents) == {88: D(1), 89: D("0.5"), **{c: D(0) for c in range(90, 101)}}

    def test_segments_may_come_in_any_order(self) -> None:
        table = build_table(standard="0.90", segments=[seg("0.91", "1.00", "-1"), seg("0.50", "0.90", "0")])
        assert min(table.percents) == 50 and max(table.percents) == 100

    def test_a_table_extended_down_to_0_00_is_used_as_it_stands(self) -> None:
        table = build_table(
            standard="0.90",
            segments=[seg("0.00", "0.29", "100"), seg("0.30", "0.89", "85"), seg("0.90", "1.00", "0")],
        )
        assert adjustment_percent(table=table, power_factor=D("0.10")) == 100

    @pytest.mark.parametrize(
        ("segments", "problem"),
        [
            ([], "no segments"),
            ([seg("0.30", "0.80", "1"), seg("0.90", "1.00", "0")], r"no percentage for 0\.81\.\.0\.89"),
            ([seg("0.30", "0.90", "0"), seg("0.85", "1.00", "0")], r"overlap at 0\.85\.\.0\.90"),
            ([seg("0.30", "0.95", "0")], r"must run up to 1\.00, it stops at 0\.95"),
            ([seg("0.30", "1.01", "0")], "between 0.00 and 1.00"),
            ([seg("-0.01", "1.00", "0")], "between 0.00 and 1.00"),
            ([seg("0.305", "1.00", "0")], "at most two decimals"),
            ([seg("0.95", "0.30", "0")], "is above to"),
            ([seg("0.30", "1.00", "abc")], "not a decimal number"),
            ([seg("0.30", "1.00", "NaN")], "not a finite number"),
            ([{"from": 0.3, "to": "1.00", "percent": "0"}], "quoted decimal text"),
            ([{"from": "0.30", "to": "1.00", "percent": "0", "step": "1"}], "either the keys"),
            ([{"from": "0.30", "to": "1.00"}], "either the keys"),
            (
                [
                    {
                        "from": "0.30",
                        "to": "0.89",
                        "percent_at_from": "85",
                        "step": "-1",
                        "percent_at_to": "17",
                    },
                    seg("0.90", "1.00", "0"),
                ],
                "gives 26 at 0.89, not percent_at_to 17",
            ),
            ([seg("0.30", "0.89", "5"), seg("0.90", "1.00", "-1")], "at the standard 0.90 must be 0"),
            ([seg("0.30", "0.89", "-5"), seg("0.90", "1.00", "0")], "must never rise"),
        ],
    )
    def test_a_bad_table_is_refused_with_a_clear_message(
        self, segments: list[dict[str, str]], problem: str
    ) -> None:
        with pytest.raises(BadPowerFactorTable, match=problem):
            build_table(standard="0.90", segments=segments)

    def test_a_bad_standard_is_refused(self) -> None:
        with pytest.raises(BadPowerFactorTable, match="the standard"):
            build_table(standard="high", segments=[seg("0.30", "1.00", "0")])


class TestTheDataFile:
    def test_unquoted_decimals_are_refused_because_yaml_would_read_them_as_floats(self) -> None:
        text = 'tables:\n  "0.90":\n    - {from: 0.30, to: "1.00", percent: "0"}\n'
        with pytest.raises(BadPowerFactorTable, match="quoted decimal text"):
            tables_from_yaml(text)

    @pytest.mark.parametrize(
        "text",
        ["", "tables: []", "tables:\n  0.9: []", 'tables:\n  "0.90": {from: "0.30"}', "tables: {}", "{{"],
    )
    def test_a_malformed_file_is_refused(self, text: str) -> None:
        with pytest.raises(BadPowerFactorTable):
            tables_from_yaml(text)
