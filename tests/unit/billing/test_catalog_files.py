"""Tariff catalog files: YAML text in, validated `Tariff` values out, every problem named."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meter2cash.billing.catalog_files import (
    bundled_catalog,
    bundled_catalog_path,
    find_version,
    load_yaml,
    parse_catalog,
    parse_catalog_file,
    parse_tariff,
    read_catalog,
    tariff_body,
    tariff_from_dict,
    tariff_to_dict,
)
from meter2cash.billing.tariff import (
    BasicCharge,
    EnergyCharge,
    Fund,
    PricingRules,
    Tariff,
    Tier,
    TierBasis,
    Tou,
    TouPeriod,
    TouSeason,
)
from meter2cash.demo.customers import TARIFFS as DEMO_TARIFF_CODES
from meter2cash.platform.errors import InputRefused
from meter2cash.registry.codes import CustomerCategory

FULL = """\
code: MX-RES-1
name: 居民生活用电 不满1千伏
category: residential
effective_from: 2026-01-01
effective_to: 2027-01-01
illustrative: true
source: "内发改价费字〔2023〕1630号"
energy:
  tiers:
    - {up_to: 170, price: "0.4300"}
    - {up_to: 260, price: 0.48}
    - {price: "0.7300"}
  tier_basis: annual
  low_income_free_kwh: "15"
  tou:
    multipliers: {sharp: "2.016", peak: "1.68", flat: "1", valley: "0.48", deep_valley: "0.384"}
    seasons:
      - name: 平风季
        months: [6, 7, 8]
        multipliers: {sharp: "1.848", peak: "1.54", flat: "1", valley: "0.44", deep_valley: "0.352"}
basic:
  capacity_price: "25.00"
  demand_price: 38.00
funds:
  - {code: renewable, name: 可再生能源电价附加, price: "0.019", exempt: [agriculture]}
  - {code: reservoir, name: 大中型水库移民后期扶持基金, price: 0.0062}
power_factor: true
rules:
  contract_demand_floor: "0.40"
  demand_excess_threshold: "1.05"
  demand_excess_factor: "2"
  days_per_month: 31
  threshold_decimals: 2
  loss_decimals: 1
  pf_includes_funds: true
"""

D = Decimal


@pytest.fixture(autouse=True, scope="module")
def english_messages() -> Iterator[None]:
    """Messages in English (the msgids) so the tests can match reasons."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("M2C_LANG", "en")
        yield


def base() -> dict[str, Any]:
    """A valid tariff as plain values, to break one thing at a time."""
    return {
        "code": "MX-T-1",
        "name": "测试电价",
        "category": "general",
        "effective_from": "2026-01-01",
        "energy": {
            "tiers": [
                {"up_to": "170", "price": "0.43"},
                {"up_to": "260", "price": "0.48"},
                {"price": "0.73"},
            ],
            "tou": {
                "multipliers": {"peak": "1.68", "flat": "1", "valley": "0.48"},
                "seasons": [
                    {
                        "name": "平风季",
                        "months": [6, 7, 8],
                        "multipliers": {"peak": "1.54", "flat": "1", "valley": "0.44"},
                    }
                ],
            },
        },
        "basic": {"capacity_price": "25", "demand_price": "38"},
        "funds": [
            {"code": "renewable", "name": "可再生能源电价附加", "price": "0.019", "exempt": ["agriculture"]},
            {"code": "reservoir", "name": "水库移民后期扶持基金", "price": "0.0062"},
        ],
        "rules": {"days_per_month": 30},
    }


def problems_of(data: Any) -> list[tuple[str | None, str]]:
    try:
        parse_tariff(data=data)
    except InputRefused as refused:
        return [(p.column, p.reason) for p in refused.problems]
    return []


def refusal(text: str, name: str = "catalog.yaml") -> InputRefused:
    with pytest.raises(InputRefused) as caught:
        parse_catalog(text=text, name=name)
    return caught.value


class TestATariffFileIsReadIntoAnExactTariff:
    def test_every_field_of_the_documented_schema_is_read(self) -> None:
        [tariff] = parse_catalog(text=FULL, name="full.yaml")
        default = {
            TouPeriod.SHARP: D("2.016"),
            TouPeriod.PEAK: D("1.68"),
            TouPeriod.FLAT: D("1"),
            TouPeriod.VALLEY: D("0.48"),
            TouPeriod.DEEP_VALLEY: D("0.384"),
        }
        calm = {
            TouPeriod.SHARP: D("1.848"),
            TouPeriod.PEAK: D("1.54"),
            TouPeriod.FLAT: D("1"),
            TouPeriod.VALLEY: D("0.44"),
            TouPeriod.DEEP_VALLEY: D("0.352"),
        }
        assert tariff == Tariff(
            code="MX-RES-1",
            name="居民生活用电 不满1千伏",
            category=CustomerCategory.RESIDENTIAL,
            effective_from=date(2026, 1, 1),
            effective_to=date(2027, 1, 1),
            illustrative=True,
            source="内发改价费字〔2023〕1630号",
            energy=EnergyCharge(
                tiers=(Tier(D("0.43"), D(170)), Tier(D("0.48"), D(260)), Tier(D("0.73"))),
                tier_basis=TierBasis.ANNUAL,
                low_income_free_kwh=D(15),
                tou=Tou(multipliers=default, seasons=(TouSeason(frozenset({6, 7, 8}), calm, "平风季"),)),
            ),
            basic=BasicCharge(capacity_price=D(25), demand_price=D(38)),
            funds=(
                Fund("renewable", "可再生能源电价附加", D("0.019"), frozenset({"agriculture"})),
                Fund("reservoir", "大中型水库移民后期扶持基金", D("0.0062")),
            ),
            power_factor=True,
            rules=PricingRules(
                contract_demand_floor=D("0.40"),
                demand_excess_threshold=D("1.05"),
                demand_excess_factor=D(2),
                days_per_month=31,
                threshold_decimals=2,
                loss_decimals=1,
                pf_includes_funds=True,
            ),
        )
        assert tariff.version == "MX-RES-1@2026-01-01"

    def test_optional_keys_take_the_documented_defaults(self) -> None:
        [tariff] = parse_catalog(
            text="code: MX-A\nname: 农业\ncategory: agriculture\n"
            "effective_from: 2026-01-01\nenergy: {flat: 0.37}\n",
            name="min.yaml",
        )
        assert tariff.effective_to is None
        assert tariff.illustrative is False and tariff.source == "" and tariff.power_factor is False
        assert tariff.energy.tier_basis is TierBasis.MONTHLY and tariff.energy.low_income_free_kwh == 0
        assert tariff.energy.tou is None and tariff.basic is None and tariff.funds == ()
        assert tariff.rules == PricingRules()

    def test_a_file_may_hold_a_list_of_tariffs_and_versions_of_one_code(self) -> None:
        text = """\
tariffs:
  - {code: MX-A, name: 农业, category: agriculture, effective_from: 2025-01-01, effective_to: 2026-01-01,
     energy: {flat: "0.36"}}
  - {code: MX-A, name: 农业, category: agriculture, effective_from: "2026-01-01", energy: {flat: "0.37"}}
  - {code: MX-B, name: 一般, category: general, effective_from: 2026-01-01, energy: {flat: "0.5"}}
"""
        catalog = parse_catalog_file(text=text, name="list.yaml")
        assert [t.version for t in catalog.tariffs] == [
            "MX-A@2025-01-01",
            "MX-A@2026-01-01",
            "MX-B@2026-01-01",
        ]
        assert [(e.path, e.line) for e in catalog.entries] == [
            ("tariffs[0]", 2),
            ("tariffs[1]", 4),
            ("tariffs[2]", 5),
        ]

    def test_versions_may_share_a_body_through_yaml_merge_keys(self) -> None:
        text = """\
tariffs:
  - &v1 {code: MX-A, name: 农业, category: agriculture, effective_from: 2025-01-01, effective_to: 2026-01-01,
         energy: {flat: "0.36"}}
  - <<: *v1
    effective_from: 2026-01-01
    effective_to:
    energy: {flat: "0.37"}
"""
        first, second = parse_catalog(text=text, name="merge.yaml")
        assert second.effective_from == date(2026, 1, 1) and second.effective_to is None
        assert second.energy.flat == D("0.37") and second.name == first.name

    def test_sharp_is_priced_as_peak_and_deep_valley_as_valley_when_not_given(self) -> None:
        tariff = parse_tariff(data=base())
        assert tariff.energy.tou is not None
        default = tariff.energy.tou.multipliers
        assert default[TouPeriod.SHARP] == default[TouPeriod.PEAK] == D("1.68")
        assert default[TouPeriod.DEEP_VALLEY] == default[TouPeriod.VALLEY] == D("0.48")
        assert tariff.energy.tou.multipliers_in(7)[TouPeriod.SHARP] == D("1.54")


class TestNumbersStayExactDecimals:
    def test_an_unquoted_yaml_decimal_is_the_decimal_written_not_a_binary_float(self) -> None:
        value = load_yaml("price: 0.1\nthreshold: 170\nbig: 1_000.5\n")
        assert value == {"price": D("0.1"), "threshold": D(170), "big": D("1000.5")}
        assert all(isinstance(v, Decimal) for v in value.values())  # type: ignore[union-attr]

    def test_unquoted_prices_in_a_tariff_are_exact(self) -> None:
        [tariff] = parse_catalog(
            text="code: MX-A\nname: a\ncategory: general\neffective_from: 2026-01-01\n"
            "energy: {flat: 0.1}\nfunds: [{code: f, name: f, price: 0.000001}]\n",
            name="x.yaml",
        )
        assert tariff.energy.flat == D("0.1") and str(tariff.energy.flat) == "0.1"
        assert tariff.funds[0].price == D("0.000001")

    def test_a_binary_float_from_elsewhere_is_refused_naming_where_it_is(self) -> None:
        data = base()
        data["energy"]["tiers"][0]["price"] = 0.43
        assert problems_of(data) == [
            ("energy.tiers[0].price", 'is a binary floating-point number; write it as text, e.g. "0.4300"')
        ]

    def test_yaml_infinity_and_not_a_number_are_refused(self) -> None:
        text = "code: MX-A\nname: a\ncategory: general\neffective_from: 2026-01-01\nenergy: {flat: .inf}\n"
        [problem] = refusal(text).problems
        assert (problem.column, problem.reason) == ("energy.flat", "is not a number")


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return change


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        del target[last]

    return change


ONE_PROBLEM = [
    ("unknown key", _set("colour", "red"), "colour", "unknown key; expected one of code, name"),
    ("unknown nested key", _set("energy/tiers/0/upto", "1"), "energy.tiers[0].upto", "unknown key"),
    ("missing key", _drop("name"), "name", "is required"),
    ("missing energy", _drop("energy"), "energy", "is required"),
    (
        "flat and tiers",
        _set("energy/flat", "0.5"),
        "energy",
        "give either flat (one price) or tiers, not both",
    ),
    ("neither flat nor tiers", _drop("energy/tiers"), "energy", "needs a price: give flat"),
    ("tiers descending", _set("energy/tiers/1/up_to", "100"), "energy.tiers[1].up_to", "strictly up"),
    ("tiers equal", _set("energy/tiers/1/up_to", "170"), "energy.tiers[1].up_to", "strictly up"),
    ("last tier with up_to", _set("energy/tiers/2/up_to", "999"), "energy.tiers[2].up_to", "last tier"),
    ("middle tier without up_to", _drop("energy/tiers/0/up_to"), "energy.tiers[0].up_to", "every tier but"),
    ("no tiers", _set("energy/tiers", []), "energy.tiers", "must not be an empty list"),
    (
        "zero energy price",
        _set("energy/tiers/0/price", "0"),
        "energy.tiers[0].price",
        "must be greater than 0",
    ),
    ("negative fund price", _set("funds/0/price", "-0.01"), "funds[0].price", "must not be negative"),
    ("negative basic price", _set("basic/demand_price", "-1"), "basic.demand_price", "must not be negative"),
    ("price text", _set("funds/0/price", "abc"), "funds[0].price", "is not a number"),
    (
        "7 decimals on a price",
        _set("energy/tiers/0/price", "0.4300001"),
        "energy.tiers[0].price",
        "at most 6",
    ),
    (
        "5 decimals on a multiplier",
        _set("energy/tou/multipliers/peak", "1.68001"),
        "energy.tou.multipliers.peak",
        "at most 4",
    ),
    (
        "5 decimals on a threshold",
        _set("energy/tiers/0/up_to", "170.00001"),
        "energy.tiers[0].up_to",
        "at most 4",
    ),
    (
        "unknown TOU period",
        _set("energy/tou/multipliers/shoulder", "1.2"),
        "energy.tou.multipliers.shoulder",
        "unknown key; expected one of sharp, peak, flat, valley, deep_valley",
    ),
    (
        "TOU without valley",
        _drop("energy/tou/multipliers/valley"),
        "energy.tou.multipliers",
        "must give the multipliers of peak, flat and valley; missing: valley",
    ),
    (
        "season without flat",
        _drop("energy/tou/seasons/0/multipliers/flat"),
        "energy.tou.seasons[0].multipliers",
        "missing: flat",
    ),
    (
        "month 13",
        _set("energy/tou/seasons/0/months/2", 13),
        "energy.tou.seasons[0].months[2]",
        "between 1 and 12",
    ),
    (
        "month 0",
        _set("energy/tou/seasons/0/months/0", "0"),
        "energy.tou.seasons[0].months[0]",
        "between 1 and 12",
    ),
    ("no months", _set("energy/tou/seasons/0/months", []), "energy.tou.seasons[0].months", "empty list"),
    (
        "month in two seasons",
        lambda d: d["energy"]["tou"]["seasons"].append(
            {"name": "冬季", "months": [12, 8], "multipliers": {"peak": "2", "flat": "1", "valley": "0.5"}}
        ),
        "energy.tou.seasons[1].months[1]",
        "month 8 is already in season 平风季",
    ),
    (
        "large industry without basic",
        lambda d: (d.update(category="large_industry"), d.pop("basic")),
        "basic",
        "is required for a large-industry (大工业) tariff, which is two-part",
    ),
    ("basic without a price", _set("basic", {}), "basic", "give capacity_price"),
    (
        "effective_to not after effective_from",
        _set("effective_to", "2026-01-01"),
        "effective_to",
        "must be after effective_from (2026-01-01)",
    ),
    ("duplicate fund code", _set("funds/1/code", "renewable"), "funds[1].code", "already used by funds[0]"),
    ("fund code shape", _set("funds/0/code", "Renewable-1"), "funds[0].code", "lower-case letters"),
    ("unknown exempt category", _set("funds/0/exempt", ["martians"]), "funds[0].exempt[0]", "must be one of"),
    ("fund without name", _drop("funds/1/name"), "funds[1].name", "is required"),
    ("tariff code shape", _set("code", "mx res 1"), "code", "capital letters A-Z, digits or hyphens"),
    ("tariff code too short", _set("code", "M"), "code", "capital letters"),
    ("unknown category", _set("category", "industrial"), "category", "must be one of residential"),
    (
        "impossible date",
        _set("effective_from", "2026-02-30"),
        "effective_from",
        "is not a real calendar date",
    ),
    ("not a date", _set("effective_from", "1/1/2026"), "effective_from", "is not a date"),
    ("empty name", _set("name", "  "), "name", "must be non-empty text"),
    ("name not text", _set("name", D(2024)), "name", "must be text; put it in quotes"),
    ("flag not boolean", _set("power_factor", "yes please"), "power_factor", "must be true or false"),
    (
        "unknown tier basis",
        _set("energy/tier_basis", "weekly"),
        "energy.tier_basis",
        "must be one of monthly",
    ),
    ("unknown rule", _set("rules/colour", "red"), "rules.colour", "unknown key"),
    ("days per month", _set("rules/days_per_month", 0), "rules.days_per_month", "between 28 and 31"),
    ("floor above 1", _set("rules/contract_demand_floor", "1.5"), "rules.contract_demand_floor", "at most 1"),
    (
        "threshold decimals",
        _set("rules/threshold_decimals", 9),
        "rules.threshold_decimals",
        "between 0 and 4",
    ),
    ("energy not a mapping", _set("energy", "cheap"), "energy", "must be a mapping"),
    ("funds not a list", _set("funds", {"code": "x"}), "funds", "must be a list"),
]


class TestEveryProblemIsNamedWithItsPath:
    @pytest.mark.parametrize(
        ("change", "path", "reason"),
        [case[1:] for case in ONE_PROBLEM],
        ids=[case[0] for case in ONE_PROBLEM],
    )
    def test_one_broken_thing_gives_one_problem_at_its_path(
        self, change: Callable[[dict[str, Any]], Any], path: str, reason: str
    ) -> None:
        data = base()
        change(data)
        found = problems_of(data)
        assert len(found) == 1, found
        assert found[0][0] == path and reason in found[0][1], found

    def test_the_base_tariff_of_these_tests_is_valid(self) -> None:
        assert problems_of(base()) == []

    def test_a_zero_fund_or_basic_price_is_allowed(self) -> None:
        data = base()
        data["funds"][0]["price"] = "0"
        data["basic"]["capacity_price"] = "0"
        assert problems_of(data) == []

    def test_the_where_prefix_names_an_inline_tariff_in_a_request(self) -> None:
        data = base()
        data["energy"]["tiers"][0]["price"] = "-1"
        with pytest.raises(InputRefused) as caught:
            parse_tariff(data=data, where="cases[2].tariff")
        assert [p.column for p in caught.value.problems] == ["cases[2].tariff.energy.tiers[0].price"]


class TestAFileIsRefusedWholeWithEveryProblem:
    BAD = """\
tariffs:
  - code: mx res
    name: 居民
    category: residential
    effective_from: 2026-01-01
    energy:
      tiers:
        - {up_to: 260, price: "0.43"}
        - {up_to: 170, price: "0.48"}
        - {price: 0}
    funds:
      - {code: renewable, name: 可再生, price: "0.001"}
      - {code: renewable, name: 重复, price: "0.001"}
  - code: MX-LI
    name: 大工业
    category: large_industry
    effective_from: 2026-01-01
    energy: {flat: "0.36"}
"""

    def test_every_problem_of_every_tariff_is_reported_together_in_line_order(self) -> None:
        refused = refusal(self.BAD, name="bad.yaml")
        assert refused.summary == "bad.yaml: 5 problem(s); the whole file is refused"
        assert [(p.row, p.column) for p in refused.problems] == [
            (2, "tariffs[0].code"),
            (9, "tariffs[0].energy.tiers[1].up_to"),
            (10, "tariffs[0].energy.tiers[2].price"),
            (13, "tariffs[0].funds[1].code"),
            (14, "tariffs[1].basic"),
        ]
        assert refused.problems[0].value == "mx res"
        assert "第2行 row 2, 列 column tariffs[0].code" in refused.problems[0].describe()

    def test_two_versions_of_one_code_that_overlap_are_refused_naming_both(self) -> None:
        text = """\
tariffs:
  - {code: MX-A, name: a, category: general, effective_from: 2026-01-01, energy: {flat: "0.5"}}
  - {code: MX-B, name: b, category: general, effective_from: 2026-01-01, energy: {flat: "0.5"}}
  - {code: MX-A, name: a, category: general, effective_from: 2026-06-01, effective_to: 2026-09-01,
     energy: {flat: "0.6"}}
"""
        [problem] = refusal(text).problems
        assert (problem.row, problem.column) == (4, "tariffs[2]")
        assert "MX-A@2026-06-01" in problem.reason and "MX-A@2026-01-01" in problem.reason
        assert "at tariffs[0]" in problem.reason and "must not overlap" in problem.reason

    def test_versions_that_meet_at_a_day_do_not_overlap(self) -> None:
        text = """\
tariffs:
  - {code: MX-A, name: a, category: general, effective_from: 2026-01-01, effective_to: 2026-06-01,
     energy: {flat: "0.5"}}
  - {code: MX-A, name: a, category: general, effective_from: 2026-06-01, energy: {flat: "0.6"}}
"""
        assert len(parse_catalog(text=text, name="ok.yaml")) == 2

    def test_a_key_given_twice_is_named_not_silently_overwritten(self) -> None:
        text = (
            "code: MX-A\nname: a\ncategory: general\neffective_from: 2026-01-01\nenergy: {flat: 1}\nname: b\n"
        )
        [problem] = refusal(text).problems
        assert (problem.row, problem.column, problem.reason) == (6, "name", "the key appears twice; keep one")

    def test_broken_yaml_is_refused_with_its_line(self) -> None:
        [problem] = refusal("code: MX-A\nenergy: {flat: 1\nname: x\n").problems
        assert problem.reason.startswith("is not valid YAML") and problem.row is not None

    def test_an_empty_file_holds_no_tariff(self) -> None:
        assert [p.reason for p in refusal("# nothing yet\n").problems] == ["the file holds no tariff"]

    def test_a_bare_list_is_not_a_catalog(self) -> None:
        assert "tariffs: followed by a list" in refusal("- code: MX-A\n").problems[0].reason

    def test_a_date_with_a_time_is_refused(self) -> None:
        text = (
            "code: MX-A\nname: a\ncategory: general\neffective_from: 2026-01-01 08:00:00\nenergy: {flat: 1}\n"
        )
        assert refusal(text).problems[0].reason.startswith("must be a date without a time")

    def test_a_file_that_is_not_utf8_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "gbk.yaml"
        path.write_bytes("code: MX-A\nname: 居民\n".encode("gbk"))
        with pytest.raises(InputRefused) as caught:
            read_catalog(path=path)
        assert caught.value.problems[0].reason == "is not UTF-8 text; save the file as UTF-8"
        assert caught.value.problems[0].row == 2

    def test_a_missing_file_is_refused_not_a_stack_trace(self, tmp_path: Path) -> None:
        with pytest.raises(InputRefused, match="cannot be read"):
            read_catalog(path=tmp_path / "nope.yaml")


class TestTheCanonicalFormRoundTrips:
    def test_to_dict_and_back_gives_the_same_tariff(self) -> None:
        [tariff] = parse_catalog(text=FULL, name="full.yaml")
        data = json.loads(json.dumps(tariff_to_dict(tariff)))
        assert tariff_from_dict(data) == tariff

    def test_the_body_does_not_depend_on_how_a_number_was_written(self) -> None:
        one, other = base(), base()
        other["energy"]["tiers"][0]["price"] = "0.430000"
        other["basic"]["capacity_price"] = D("25.00")
        assert tariff_body(parse_tariff(data=one)) == tariff_body(parse_tariff(data=other))

    def test_decimals_are_canonical_text_and_defaults_are_spelled_out(self) -> None:
        data = tariff_to_dict(parse_tariff(data=base()))
        assert data["energy"]["tiers"][0] == {"price": "0.43", "up_to": "170"}  # type: ignore[index]
        assert data["energy"]["tier_basis"] == "monthly"  # type: ignore[index]
        assert data["rules"] == {  # the version keeps its rules even if a default changes later
            "contract_demand_floor": "0.4",
            "demand_excess_threshold": "1.05",
            "demand_excess_factor": "2",
            "days_per_month": 30,
            "threshold_decimals": 0,
            "loss_decimals": 0,
            "pf_includes_funds": False,
        }

    @settings(max_examples=60, deadline=None)
    @given(data=st.data())
    def test_any_valid_tariff_round_trips_through_json(self, data: st.DataObject) -> None:
        tariff = data.draw(tariffs())
        text = json.dumps(tariff_to_dict(tariff), ensure_ascii=False)
        again = tariff_from_dict(json.loads(text))
        assert again == tariff
        assert tariff_body(again) == tariff_body(tariff)


PRICES = st.decimals(min_value=D("0.000001"), max_value=D("99"), places=6)
FACTORS = st.decimals(min_value=D("0.0001"), max_value=D("9"), places=4)


def _multipliers() -> st.SearchStrategy[dict[TouPeriod, Decimal]]:
    return st.fixed_dictionaries({p: FACTORS for p in TouPeriod})


@st.composite
def tariffs(draw: st.DrawFn) -> Tariff:
    category = draw(st.sampled_from(CustomerCategory))
    start = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)))
    length = draw(st.none() | st.integers(min_value=1, max_value=4000))
    if draw(st.booleans()):
        energy_prices: dict[str, Any] = {"flat": draw(PRICES)}
    else:
        bounds = sorted(draw(st.sets(FACTORS.map(lambda f: f * 100), min_size=0, max_size=3)))
        tiers = [Tier(draw(PRICES), bound) for bound in bounds] + [Tier(draw(PRICES))]
        energy_prices = {"tiers": tuple(tiers), "tier_basis": draw(st.sampled_from(TierBasis))}
    tou = None
    if draw(st.booleans()):
        months = draw(st.lists(st.sets(st.integers(1, 12), min_size=1, max_size=4), max_size=2))
        seen: set[int] = set()
        seasons = []
        for i, chosen in enumerate(months):
            fresh = frozenset(chosen - seen)
            seen |= chosen
            if fresh:
                seasons.append(TouSeason(fresh, draw(_multipliers()), name=f"季{i}"))
        tou = Tou(draw(_multipliers()), tuple(seasons))
    basic = None
    if category is CustomerCategory.LARGE_INDUSTRY or draw(st.booleans()):
        basic = BasicCharge(capacity_price=draw(PRICES), demand_price=draw(st.none() | PRICES))
    codes = draw(st.lists(st.from_regex(r"[a-z0-9_]{1,12}", fullmatch=True), unique=True, max_size=3))
    funds = tuple(
        Fund(
            code,
            f"基金{code}",
            draw(PRICES),
            frozenset(draw(st.sets(st.sampled_from([c.value for c in CustomerCategory])))),
        )
        for code in codes
    )
    return Tariff(
        code=draw(st.from_regex(r"[A-Z0-9-]{2,40}", fullmatch=True)),
        name=draw(st.text(st.characters(categories=["Lo", "Lu", "Nd"]), min_size=1, max_size=20)),
        category=category,
        effective_from=start,
        effective_to=None if length is None else date.fromordinal(start.toordinal() + length),
        energy=EnergyCharge(tou=tou, low_income_free_kwh=draw(FACTORS), **energy_prices),
        basic=basic,
        funds=funds,
        power_factor=draw(st.booleans()),
        rules=PricingRules(
            contract_demand_floor=draw(st.decimals(min_value=D("0.0001"), max_value=D(1), places=4)),
            days_per_month=draw(st.integers(28, 31)),
            threshold_decimals=draw(st.integers(0, 4)),
            pf_includes_funds=draw(st.booleans()),
        ),
        illustrative=draw(st.booleans()),
        source=draw(st.text(st.characters(categories=["Lo", "Nd"]), max_size=10)),
    )


class TestTheBundledCatalog:
    def test_it_parses_and_holds_every_tariff_code_the_demo_archive_uses(self) -> None:
        codes = {t.code for t in bundled_catalog()}
        assert set(DEMO_TARIFF_CODES) <= codes
        assert {"MX-RES-1", "MX-RES-TOU", "MX-GEN-1", "MX-LI-10KV", "MX-AGR-1"} <= codes

    def test_every_tariff_is_marked_illustrative_and_starts_2024_10_01(self) -> None:
        assert all(t.illustrative and t.effective_from == date(2024, 10, 1) for t in bundled_catalog())

    def test_residential_tiers_are_the_recalled_mengxi_values(self) -> None:
        tariff = find_version(tariffs=bundled_catalog(), code="MX-RES-1", on=date(2026, 3, 1))
        assert tariff is not None
        assert [(t.up_to, t.price) for t in tariff.energy.tiers] == [
            (D(170), D("0.43")),
            (D(260), D("0.48")),
            (None, D("0.73")),
        ]
        assert tariff.energy.low_income_free_kwh == 15
        assert [(f.code, f.price) for f in tariff.funds] == [("renewable", D("0.001"))]

    def test_mengxi_tou_ratios_follow_the_windy_and_calm_seasons(self) -> None:
        tariff = find_version(tariffs=bundled_catalog(), code="MX-GEN-1", on=date(2026, 3, 1))
        assert tariff is not None and tariff.energy.tou is not None
        windy, calm = tariff.energy.tou.multipliers_in(1), tariff.energy.tou.multipliers_in(7)
        assert [windy[p] for p in TouPeriod] == [D("1.68"), D("1.68"), D(1), D("0.48"), D("0.48")]
        assert calm[TouPeriod.PEAK] == D("1.54") and calm[TouPeriod.VALLEY] == D("0.44")
        assert calm[TouPeriod.SHARP] == calm[TouPeriod.PEAK] * D("1.2")
        assert calm[TouPeriod.DEEP_VALLEY] == calm[TouPeriod.VALLEY] * D("0.8")
        assert tariff.energy.tou.multipliers_in(9) == windy

    def test_large_industry_is_two_part_with_power_factor_and_agriculture_is_fund_exempt(self) -> None:
        catalog = {t.code: t for t in bundled_catalog()}
        industry, farm = catalog["MX-LI-10KV"], catalog["MX-AGR-1"]
        assert industry.basic == BasicCharge(capacity_price=D(25), demand_price=D(38))
        assert industry.power_factor and farm.power_factor
        assert all("agriculture" in fund.exempt for fund in farm.funds if fund.code == "renewable")

    def test_the_shipped_file_is_in_the_package(self) -> None:
        assert bundled_catalog_path().is_file() and bundled_catalog_path().suffix == ".yaml"


class TestFindingTheVersionInEffect:
    def test_the_version_is_chosen_by_its_half_open_period(self) -> None:
        old = copy.deepcopy(base()) | {"effective_from": "2025-01-01", "effective_to": "2026-01-01"}
        versions = [parse_tariff(data=old), parse_tariff(data=base())]
        assert find_version(tariffs=versions, code="MX-T-1", on=date(2025, 12, 31)) is versions[0]
        assert find_version(tariffs=versions, code="MX-T-1", on=date(2026, 1, 1)) is versions[1]
        assert find_version(tariffs=versions, code="MX-T-1", on=date(2024, 12, 31)) is None
        assert find_version(tariffs=versions, code="MX-OTHER", on=date(2026, 1, 1)) is None
