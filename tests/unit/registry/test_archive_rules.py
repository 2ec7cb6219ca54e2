from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive_samples import ACCOUNT, AREA, ROUTE_BOOK, SAMPLES, account, problems_of, table, where
from meter2cash.registry import archive_rules as rules
from meter2cash.registry.archive_columns import COLUMNS_BY_KIND
from meter2cash.registry.archive_rules import (
    AccountRow,
    BadValue,
    Endpoint,
    KnownArchive,
    RouteBookRow,
)
from meter2cash.registry.codes import CustomerCategory, PowerFactorStandard, TouRegister, VoltageLevel


@pytest.fixture(autouse=True, scope="module")
def english_messages() -> Iterator[None]:
    """Messages in English (the msgids) so the tests can match reasons."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("M2C_LANG", "en")
        yield


class TestTheColumnContract:
    def test_an_account_row_has_one_field_per_column_in_the_columns_order(self) -> None:
        assert [f.name for f in fields(AccountRow)] == [c.key for c in COLUMNS_BY_KIND["accounts"]]

    def test_a_route_book_row_has_one_field_per_column_in_the_columns_order(self) -> None:
        assert [f.name for f in fields(RouteBookRow)] == [c.key for c in COLUMNS_BY_KIND["route-books"]]

    @pytest.mark.parametrize("kind", rules.KINDS)
    def test_every_column_of_every_kind_has_a_cell_rule(self, kind: str) -> None:
        assert list(rules.CELLS[kind]) == [c.key for c in COLUMNS_BY_KIND[kind]]

    @pytest.mark.parametrize("kind", rules.KINDS)
    def test_chinese_headers_are_unique_within_a_kind(self, kind: str) -> None:
        headers = [c.zh for c in COLUMNS_BY_KIND[kind]]
        assert len(set(headers)) == len(headers)


class TestSpreadsheetCellsBecomeTheTextAClerkSees:
    @pytest.mark.parametrize(
        ("value", "text"),
        [
            (5.0, "5"),
            (0.1 + 0.2, "0.3"),
            (1234.56, "1234.56"),
            (13800138000.0, "13800138000"),
            (1e-7, "0.0000001"),
            (7, "7"),
            (Decimal("0.90"), "0.90"),
            (datetime(2024, 3, 5), "2024-03-05"),  # noqa: DTZ001 (Excel dates are naive)
            (datetime(2024, 3, 5, 8, 30), "2024-03-05 08:30:00"),  # noqa: DTZ001
            (date(2024, 3, 5), "2024-03-05"),
            (True, "true"),
            (None, ""),
            ("  张伟 ", "张伟"),
        ],
    )
    def test_a_cell_value_is_normalised_to_text(self, value: object, text: str) -> None:
        assert rules.cell_text(value) == text


class TestDecimals:
    def test_thousands_separators_are_allowed(self) -> None:
        assert rules.parse_decimal("1,250.5") == Decimal("1250.5")

    def test_a_ct_ratio_written_as_a_fraction_is_its_quotient(self) -> None:
        assert rules.parse_decimal("200/5", ratio=True) == Decimal(40)

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            ("八", "not a number"),
            ("1.2.3", "not a number"),
            ("NaN", "not a number"),
            ("-1", "negative"),
            ("1.23456", "decimals"),
            ("123456789012345", "too large"),
        ],
    )
    def test_text_that_is_not_a_storable_decimal_is_refused(self, text: str, reason: str) -> None:
        with pytest.raises(BadValue, match=reason):
            rules.parse_decimal(text)

    def test_zero_is_refused_where_the_value_must_be_positive(self) -> None:
        with pytest.raises(BadValue, match="greater than 0"):
            rules.parse_decimal("0", positive=True)

    @given(st.decimals(min_value=0, max_value=Decimal("99999999999999.9999"), places=4))
    def test_formatting_a_decimal_and_parsing_it_again_gives_the_same_number(self, value: Decimal) -> None:
        assert rules.parse_decimal(rules.format_decimal(value)) == value

    @given(st.decimals(min_value=0, max_value=Decimal("99999999.9999"), places=4), st.integers(4, 4))
    def test_a_reading_formatted_with_the_meters_decimals_keeps_its_value(
        self, value: Decimal, digits: int
    ) -> None:
        assert Decimal(rules.format_reading(value, decimal_digits=digits)) == value


class TestDates:
    @pytest.mark.parametrize(
        "text", ["2024-03-05", "2024/3/5", "2024.03.05", "2024年3月5日", "2024-03-05 00:00:00"]
    )
    def test_common_date_spellings_are_read(self, text: str) -> None:
        assert rules.parse_date(text) == date(2024, 3, 5)

    @pytest.mark.parametrize(
        ("text", "reason"),
        [("05/03/2024", "YYYY-MM-DD"), ("2024-02-30", "calendar"), ("1800-01-01", "year"), ("soon", "YYYY")],
    )
    def test_text_that_is_not_a_date_is_refused(self, text: str, reason: str) -> None:
        with pytest.raises(BadValue, match=reason):
            rules.parse_date(text)


class TestFlags:
    @pytest.mark.parametrize(
        ("text", "flag"),
        [
            ("yes", True),
            ("是", True),
            ("TRUE", True),
            ("1", True),
            ("no", False),
            ("否", False),
            ("False", False),
            ("0", False),
        ],
    )
    def test_yes_no_words_in_both_languages_are_read(self, text: str, flag: bool) -> None:
        assert rules.parse_flag(text) is flag

    @given(st.booleans())
    def test_a_formatted_flag_reads_back_the_same(self, flag: bool) -> None:
        assert rules.parse_flag(rules.format_flag(flag)) is flag

    @pytest.mark.parametrize("text", ["Y", "maybe", "对"])
    def test_other_words_are_refused(self, text: str) -> None:
        with pytest.raises(BadValue, match="yes/no"):
            rules.parse_flag(text)


class TestCodes:
    def test_a_category_may_be_given_by_its_chinese_name(self) -> None:
        assert rules.parse_category("居民生活") is CustomerCategory.RESIDENTIAL

    def test_a_voltage_level_is_read_in_any_letter_case(self) -> None:
        assert rules.parse_voltage_level("10KV") is VoltageLevel.KV10

    def test_a_power_factor_standard_shown_by_excel_as_0_9_is_0_90(self) -> None:
        assert rules.parse_pf_standard("0.9") is PowerFactorStandard.PF090

    def test_an_unknown_code_is_refused_listing_the_known_ones(self) -> None:
        with pytest.raises(BadValue, match="residential \\| general"):
            rules.parse_category("household")

    def test_time_of_use_registers_are_kept_in_sharp_peak_flat_valley_order(self) -> None:
        assert rules.parse_tou_registers("谷,峰 flat") == (
            TouRegister.PEAK,
            TouRegister.FLAT,
            TouRegister.VALLEY,
        )

    @pytest.mark.parametrize(("text", "reason"), [("peak|offpeak", "offpeak"), ("peak|峰", "twice")])
    def test_an_unknown_or_repeated_register_is_refused(self, text: str, reason: str) -> None:
        with pytest.raises(BadValue, match=reason):
            rules.parse_tou_registers(text)


class TestMeterAddressesAndEndpoints:
    def test_an_address_that_lost_its_leading_zeros_says_so(self) -> None:
        with pytest.raises(BadValue, match="got 4; Excel drops leading zeros"):
            rules.parse_address("1234")

    @pytest.mark.parametrize(
        "text", ["00000000000A", "0000000000012", "999999999999", "０００００００００００１"]
    )
    def test_anything_but_a_meters_twelve_digit_address_is_refused(self, text: str) -> None:
        with pytest.raises(BadValue):
            rules.parse_address(text)

    @pytest.mark.parametrize(
        ("text", "endpoint"),
        [
            ("10.0.0.5:8001", Endpoint("10.0.0.5", 8001)),
            ("[fd00::1]:1", Endpoint("fd00::1", 1)),
            ("gw-01.bureau.local:65535", Endpoint("gw-01.bureau.local", 65535)),
        ],
    )
    def test_host_and_port_are_read(self, text: str, endpoint: Endpoint) -> None:
        assert rules.parse_endpoint(text) == endpoint
        assert rules.format_endpoint(endpoint) == text

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            ("10.0.0.5", "host:port"),
            ("10.0.0.5:0", "1 to 65535"),
            ("10.0.0.5:65536", "1 to 65535"),
            (":8001", "host:port"),
            ("10.0.0.5:http", "1 to 65535"),
            ("a b:1", "host:port"),
        ],
    )
    def test_a_bad_endpoint_is_refused(self, text: str, reason: str) -> None:
        with pytest.raises(BadValue, match=reason):
            rules.parse_endpoint(text)


class TestHeaders:
    def test_english_keys_and_chinese_headers_name_the_same_columns(self) -> None:
        keys, problems = rules.resolve_headers("route-books", ["抄表段编号", "NAME", "抄表例日"])
        assert (keys, problems) == (("code", "name", "reading_day"), [])

    def test_an_unknown_header_is_named(self) -> None:
        _, problems = rules.resolve_headers("route-books", ["code", "name", "reading_day", "colour"])
        assert where(problems) == [(None, "colour")]
        assert "unknown column" in problems[0].reason

    def test_a_missing_required_column_is_named_with_both_its_headers(self) -> None:
        _, problems = rules.resolve_headers("route-books", ["code", "name"])
        assert where(problems) == [(None, "reading_day")]
        assert "抄表例日" in problems[0].reason

    def test_a_column_given_twice_is_refused(self) -> None:
        _, problems = rules.resolve_headers("route-books", ["code", "抄表段编号", "name", "reading_day"])
        assert where(problems) == [(None, "抄表段编号")]

    @pytest.mark.parametrize("kind", rules.KINDS)
    def test_the_kind_of_a_file_is_inferred_from_its_headers(self, kind: str) -> None:
        assert rules.infer_kind([c.zh for c in COLUMNS_BY_KIND[kind] if c.required]) == kind
        assert rules.infer_kind(list(SAMPLES[kind])) == kind

    def test_headers_that_fit_no_kind_or_several_give_no_kind(self) -> None:
        assert rules.infer_kind(["code", "name"]) is None
        assert rules.infer_kind(["account_no", "reading_day"]) is None

    def test_cells_past_the_last_header_or_under_an_empty_header_are_problems(self) -> None:
        _, problems = rules.check_shape(
            ("code", None, "name"), [(1, ("A", "", "x")), (2, ("B", "?", "y", "z"))]
        )
        assert where(problems) == [(2, None), (2, "#2")]

    def test_problems_name_columns_as_the_files_headers_do(self) -> None:
        problems = rules.relabel(
            problems_of("route-books", dict(ROUTE_BOOK, reading_day="31")), {"reading_day": "抄表例日"}
        )
        assert where(problems) == [(1, "抄表例日")]


class TestAGoodFile:
    @pytest.mark.parametrize("kind", rules.KINDS)
    def test_a_canonical_row_parses_and_formats_back_to_the_same_text(self, kind: str) -> None:
        parsed, problems = rules.parse_table(kind, table(kind, [SAMPLES[kind]]))
        assert problems == []
        assert rules.format_row(parsed[0][1]) == SAMPLES[kind]

    def test_an_account_row_is_typed(self) -> None:
        row, problems = rules.parse_row("accounts", ACCOUNT)
        assert problems == []
        assert isinstance(row, AccountRow)
        assert (row.contract_capacity_kva, row.opened_on, row.important) == (
            Decimal(8),
            date(2024, 3, 1),
            False,
        )
        assert row.tou_registers == (TouRegister.PEAK, TouRegister.FLAT, TouRegister.VALLEY)

    def test_optional_columns_may_be_left_out_entirely(self) -> None:
        row, problems = rules.parse_row(
            "accounts", {k: v for k, v in ACCOUNT.items() if k not in {"phone", "important", "comm_endpoint"}}
        )
        assert problems == []
        assert isinstance(row, AccountRow)
        assert (row.phone, row.important, row.comm_endpoint) == (None, False, None)

    def test_an_area_without_a_supply_meter_is_fine(self) -> None:
        assert problems_of("areas", {"code": "TA002", "name": "东风路", "capacity_kva": "630"}) == []


class TestBadAccountRowsNameTheirRowAndColumn:
    @pytest.mark.parametrize(
        ("changes", "column", "reason"),
        [
            ({"contract_capacity_kva": "八千"}, "contract_capacity_kva", "not a number"),
            ({"contract_capacity_kva": "-8"}, "contract_capacity_kva", "negative"),
            ({"opened_on": "2024-13-01"}, "opened_on", "calendar"),
            ({"category": "household"}, "category", "unknown code"),
            ({"pf_standard": "0.95"}, "pf_standard", "unknown code"),
            ({"payment_mode": "cash"}, "payment_mode", "unknown code"),
            ({"voltage_level": "11kV"}, "voltage_level", "unknown code"),
            ({"tou_registers": "peak|shoulder"}, "tou_registers", "shoulder"),
            ({"important": "maybe"}, "important", "yes/no"),
            ({"meter_address": "12345678901"}, "meter_address", "12 digits"),
            ({"comm_endpoint": "10.0.0.1:70000"}, "comm_endpoint", "65535"),
            ({"integer_digits": "9"}, "integer_digits", "between 4 and 8"),
            ({"decimal_digits": "5"}, "decimal_digits", "between 0 and 4"),
            ({"ct_ratio": "0"}, "ct_ratio", "greater than 0"),
            ({"pt_ratio": "-10"}, "pt_ratio", "negative"),
            ({"account_no": ""}, "account_no", "required"),
            ({"customer_name": "x" * 201}, "customer_name", "too long"),
            ({"customer_name": "=HYPERLINK(1)"}, "customer_name", "formula"),
            ({"installed_on": "2024-02-29"}, "installed_on", "before opened_on"),
            ({"tariff_from": "2024-01-01"}, "tariff_from", "before opened_on"),
            ({"start_total": "1234567.00"}, "start_total", "integer digits"),
            ({"start_total": "15.305"}, "start_total", "decimals than the register shows"),
            ({"start_sharp": "1.00"}, "start_sharp", "does not list"),
            ({"start_peak": ""}, "start_peak", "keeps this register"),
            ({"ct_ratio": "0.0001", "pt_ratio": "0.5"}, "ct_ratio", "multiplier"),
        ],
    )
    def test_a_bad_value_is_refused_naming_row_and_column(
        self, changes: dict[str, str], column: str, reason: str
    ) -> None:
        problems = problems_of("accounts", account(1), account(2, **changes), account(3))
        assert where(problems) == [(2, column)]
        assert reason in problems[0].reason

    def test_every_bad_cell_of_a_row_is_reported_not_just_the_first(self) -> None:
        problems = problems_of("accounts", account(1, category="x", opened_on="x", meter_address="x"))
        assert where(problems) == [(1, "category"), (1, "opened_on"), (1, "meter_address")]

    def test_the_same_bad_text_on_several_rows_is_reported_on_each(self) -> None:
        problems = problems_of("accounts", account(1, category="x"), account(2, category="x"))
        assert where(problems) == [(1, "category"), (2, "category")]

    def test_a_bad_row_is_left_out_of_the_parsed_rows(self) -> None:
        parsed, _ = rules.parse_table("accounts", table("accounts", [account(1), account(2, ct_ratio="x")]))
        assert [n for n, _ in parsed] == [1]


class TestWholeFileChecks:
    @pytest.mark.parametrize("column", ["account_no", "service_point", "meter_no", "meter_address"])
    def test_a_key_used_twice_in_the_file_names_the_later_row_and_the_earlier_one(self, column: str) -> None:
        problems = problems_of("accounts", account(1), account(2), account(3, **{column: account(1)[column]}))
        assert where(problems) == [(3, column)]
        assert "row 1" in problems[0].reason

    def test_a_customer_code_repeated_with_another_name_is_refused(self) -> None:
        problems = problems_of(
            "accounts", account(1), account(2, customer_code="C000001", customer_name="张三")
        )
        assert where(problems) == [(2, "customer_name")]
        assert "C000001" in problems[0].reason and "张伟" in problems[0].reason

    def test_a_customer_with_two_accounts_and_the_same_details_is_fine(self) -> None:
        assert problems_of("accounts", account(1), account(2, customer_code="C000001")) == []

    def test_an_empty_file_is_refused(self) -> None:
        assert [p.reason for p in problems_of("accounts")] == ["the file has no data rows"]

    def test_two_route_books_with_one_code_are_refused(self) -> None:
        assert where(problems_of("route-books", ROUTE_BOOK, ROUTE_BOOK)) == [(2, "code")]


class TestAreaAndRouteBookRows:
    def test_supply_meter_details_without_its_number_are_refused(self) -> None:
        problems = problems_of("areas", dict(AREA, supply_meter_no=""))
        assert [c for _, c in where(problems)] == [
            "supply_meter_address",
            "supply_comm_endpoint",
            "supply_ct_ratio",
            "supply_pt_ratio",
            "supply_installed_on",
            "supply_start_total",
        ]

    def test_a_supply_meter_needs_its_address_install_date_and_start_reading(self) -> None:
        problems = problems_of("areas", dict(AREA, supply_meter_address="", supply_start_total=""))
        assert where(problems) == [(1, "supply_meter_address"), (1, "supply_start_total")]

    def test_a_supply_meters_ratios_default_to_one(self) -> None:
        row, problems = rules.parse_row("areas", dict(AREA, supply_ct_ratio="", supply_pt_ratio=""))
        assert problems == [] and isinstance(row, rules.AreaRow) and row.supply is not None
        assert (row.supply.ct_ratio, row.supply.pt_ratio) == (1, 1)

    def test_a_supply_start_reading_wider_than_six_digits_is_refused(self) -> None:
        assert where(problems_of("areas", dict(AREA, supply_start_total="1234567"))) == [
            (1, "supply_start_total")
        ]

    def test_a_transformer_capacity_of_zero_is_refused(self) -> None:
        assert where(problems_of("areas", dict(AREA, capacity_kva="0"))) == [(1, "capacity_kva")]

    @pytest.mark.parametrize("day", ["0", "29", "5.5", "五"])
    def test_a_reading_day_outside_1_to_28_is_refused(self, day: str) -> None:
        assert where(problems_of("route-books", dict(ROUTE_BOOK, reading_day=day))) == [(1, "reading_day")]

    def test_a_reading_day_excel_wrote_as_5_0_is_5(self) -> None:
        row, problems = rules.parse_row("route-books", dict(ROUTE_BOOK, reading_day="5.0"))
        assert problems == [] and row == RouteBookRow("RB001", "城关一段", 5, "meter_reader")


class TestCheckingAgainstTheArchive:
    def _parsed(self, *rows: dict[str, str]) -> list[tuple[int, rules.ArchiveRow]]:
        parsed, problems = rules.parse_table("accounts", table("accounts", rows))
        assert problems == []
        return parsed

    def _known(self, **overrides: object) -> KnownArchive:
        values: dict[str, object] = {"route_books": frozenset({"RB001"}), "areas": frozenset({"TA001"})}
        values.update(overrides)
        return KnownArchive(**values)  # type: ignore[arg-type]

    def test_new_rows_that_refer_to_archived_books_and_areas_are_planned(self) -> None:
        plan = rules.plan_import(self._parsed(account(1), account(2)), self._known())
        assert (len(plan.new), plan.unchanged, plan.problems) == (2, 0, [])

    def test_a_row_the_archive_holds_identically_is_left_alone(self) -> None:
        archived = {account(1)["account_no"]: account(1)}
        plan = rules.plan_import(self._parsed(account(1), account(2)), self._known(rows=archived))
        assert ([n for n, _ in plan.new], plan.unchanged, plan.problems) == ([2], 1, [])

    def test_a_row_the_archive_holds_with_other_data_is_refused_per_differing_column(self) -> None:
        archived = {account(1)["account_no"]: account(1, contract_capacity_kva="16", phone="")}
        plan = rules.plan_import(self._parsed(account(1)), self._known(rows=archived))
        assert where(plan.problems) == [(1, "phone"), (1, "contract_capacity_kva")]
        assert "already exists with different data" in plan.problems[1].reason
        assert "16" in plan.problems[1].reason

    def test_a_route_book_or_area_missing_from_the_archive_is_named(self) -> None:
        plan = rules.plan_import(
            self._parsed(account(1, route_book="RB404", transformer_area="TA404")), self._known()
        )
        assert where(plan.problems) == [(1, "route_book"), (1, "transformer_area")]

    @pytest.mark.parametrize(
        ("column", "known"),
        [
            ("service_point", "service_points"),
            ("meter_no", "meter_nos"),
            ("meter_address", "meter_addresses"),
        ],
    )
    def test_a_key_the_archive_already_uses_is_refused(self, column: str, known: str) -> None:
        plan = rules.plan_import(
            self._parsed(account(1)), self._known(**{known: frozenset({account(1)[column]})})
        )
        assert where(plan.problems) == [(1, column)]

    def test_an_archived_customer_must_keep_its_name(self) -> None:
        known = self._known(
            customers={"C000001": rules.CustomerFacts("李四", "13800138000", "新华街1号1单元101")}
        )
        plan = rules.plan_import(self._parsed(account(1)), known)
        assert where(plan.problems) == [(1, "customer_name")]
        assert "李四" in plan.problems[0].reason


class TestFingerprints:
    def test_the_same_rows_under_other_headers_and_column_order_have_the_same_fingerprint(self) -> None:
        keys = tuple(reversed([c.key for c in COLUMNS_BY_KIND["route-books"]]))
        reordered, _ = rules.check_shape(keys, [(1, tuple(ROUTE_BOOK[k] for k in keys))])
        assert rules.fingerprint("route-books", reordered) == rules.fingerprint(
            "route-books", table("route-books", [ROUTE_BOOK])
        )

    def test_a_changed_cell_changes_the_fingerprint(self) -> None:
        assert rules.fingerprint("route-books", table("route-books", [ROUTE_BOOK])) != rules.fingerprint(
            "route-books", table("route-books", [dict(ROUTE_BOOK, reading_day="6")])
        )

    def test_the_kind_is_part_of_the_fingerprint(self) -> None:
        rows = table("route-books", [ROUTE_BOOK])
        assert rules.fingerprint("route-books", rows) != rules.fingerprint("areas", rows)
