"""The accounts file's two-part contract, loss and 套扣 columns, and the energy-splits file (定量定比),
checked without a database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from archive_samples import ACCOUNT, account, large_industry, problems_of, split, table, where
from meter2cash.registry import archive_rules as rules
from meter2cash.registry.archive_rules import AccountRow, BasicChargeBy, EnergySplitRow, KnownArchive


@pytest.fixture(autouse=True, scope="module")
def english_messages() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("M2C_LANG", "en")
        yield


def parsed_account(row: dict[str, str]) -> AccountRow:
    parsed, problems = rules.parse_row("accounts", row)
    assert problems == [] and isinstance(parsed, AccountRow)
    return parsed


class TestTwoPartContractColumns:
    def test_a_file_without_the_new_columns_reads_as_capacity_without_losses_or_master(self) -> None:
        old = {k: v for k, v in ACCOUNT.items() if k not in rules.LATER_COLUMNS["accounts"]}
        row = parsed_account(old)
        assert (row.basic_charge_by, row.contract_demand_kw, row.master_account_no) == (
            BasicChargeBy.CAPACITY,
            None,
            None,
        )
        assert (row.transformer_loss_kwh, row.transformer_loss_kvarh, row.line_loss_kwh) == (None, None, None)

    def test_a_large_industry_account_on_contract_demand_reads_with_its_demand(self) -> None:
        row = parsed_account(large_industry(1, basic_charge_by="按合同需量", contract_demand_kw="252.5"))
        assert (row.basic_charge_by, row.contract_demand_kw) == (
            BasicChargeBy.CONTRACT_DEMAND,
            Decimal("252.5"),
        )
        assert rules.format_row(row)["basic_charge_by"] == "contract_demand"

    def test_losses_of_a_10kv_account_read_and_format_back(self) -> None:
        row = parsed_account(
            large_industry(
                1, transformer_loss_kwh="1,230", transformer_loss_kvarh="4920.0", line_loss_kwh="0"
            )
        )
        cells = rules.format_row(row)
        assert (cells["transformer_loss_kwh"], cells["transformer_loss_kvarh"], cells["line_loss_kwh"]) == (
            "1230",
            "4920",
            "0",
        )

    @pytest.mark.parametrize(
        ("changes", "column", "reason"),
        [
            ({"basic_charge_by": "by_meter"}, "basic_charge_by", "unknown code"),
            ({"basic_charge_by": "contract_demand"}, "contract_demand_kw", "a value is required"),
            (
                {"basic_charge_by": "actual_demand", "contract_demand_kw": "300"},
                "contract_demand_kw",
                "not contract",
            ),
            ({"contract_demand_kw": "300"}, "contract_demand_kw", "not contract_demand"),
            (
                {"basic_charge_by": "contract_demand", "contract_demand_kw": "0"},
                "contract_demand_kw",
                "than 0",
            ),
            ({"transformer_loss_kwh": "-5"}, "transformer_loss_kwh", "negative"),
            ({"transformer_loss_kvarh": "400"}, "transformer_loss_kvarh", "transformer_loss_kwh"),
            ({"line_loss_kwh": "12.34567"}, "line_loss_kwh", "decimals"),
            ({"master_account_no": "0100000002"}, "master_account_no", "the account itself"),
        ],
    )
    def test_a_bad_two_part_value_is_refused_naming_row_and_column(
        self, changes: dict[str, str], column: str, reason: str
    ) -> None:
        problems = problems_of("accounts", large_industry(1), large_industry(2, **changes))
        assert where(problems) == [(2, column)]
        assert reason in problems[0].reason

    @pytest.mark.parametrize(
        "changes",
        [
            {"basic_charge_by": "contract_demand", "contract_demand_kw": "5"},
            {"basic_charge_by": "按实际需量"},
        ],
    )
    def test_a_demand_method_on_an_account_that_is_not_large_industry_is_refused(
        self, changes: dict[str, str]
    ) -> None:
        problems = problems_of("accounts", account(1, category="general", **changes))
        assert where(problems) == [(1, "basic_charge_by")]
        assert "only large_industry" in problems[0].reason

    def test_capacity_written_out_on_a_household_is_fine(self) -> None:
        assert problems_of("accounts", account(1, basic_charge_by="capacity")) == []

    def test_transformer_losses_below_10kv_are_refused_but_a_line_loss_is_not(self) -> None:
        problems = problems_of(
            "accounts",
            account(1, transformer_loss_kwh="30", transformer_loss_kvarh="120"),
            account(2, line_loss_kwh="3"),
        )
        assert where(problems) == [(1, "transformer_loss_kwh"), (1, "transformer_loss_kvarh")]
        assert "10 kV" in problems[0].reason


class TestMasterAccounts:
    def test_a_master_named_later_in_the_same_file_is_fine(self) -> None:
        assert problems_of("accounts", account(1, master_account_no="0100000002"), account(2)) == []

    def test_two_accounts_that_are_each_others_master_are_both_named(self) -> None:
        problems = problems_of(
            "accounts",
            account(1, master_account_no="0100000002"),
            account(2, master_account_no="0100000001"),
        )
        assert where(problems) == [(1, "master_account_no"), (2, "master_account_no")]
        assert "0100000001 → 0100000002 → 0100000001" in problems[0].reason

    def test_a_longer_loop_is_named_on_every_row_of_it_but_not_on_a_row_leading_into_it(self) -> None:
        problems = problems_of(
            "accounts",
            account(1, master_account_no="0100000002"),
            account(2, master_account_no="0100000003"),
            account(3, master_account_no="0100000001"),
            account(4, master_account_no="0100000001"),
        )
        assert where(problems) == [
            (1, "master_account_no"),
            (2, "master_account_no"),
            (3, "master_account_no"),
        ]

    def test_a_master_neither_in_the_file_nor_in_the_archive_is_refused(self) -> None:
        parsed, _ = rules.parse_table(
            "accounts", table("accounts", [account(1, master_account_no="0199999999")])
        )
        known = KnownArchive(route_books=frozenset({"RB001"}), areas=frozenset({"TA001"}))
        plan = rules.plan_import(parsed, known)
        assert where(plan.problems) == [(1, "master_account_no")]
        archived = KnownArchive(
            route_books=frozenset({"RB001"}), areas=frozenset({"TA001"}), accounts=frozenset({"0199999999"})
        )
        assert rules.plan_import(parsed, archived).problems == []

    def test_a_master_on_a_row_that_did_not_read_well_is_not_called_missing(self) -> None:
        parsed, problems = rules.parse_table(
            "accounts",
            table("accounts", [account(1, master_account_no="0100000002"), account(2, opened_on="x")]),
        )
        known = KnownArchive(route_books=frozenset({"RB001"}), areas=frozenset({"TA001"}))
        plan = rules.plan_import(parsed, known, in_file=["0100000001", "0100000002"])
        assert where(problems) == [(2, "opened_on")] and plan.problems == []


class TestEnergySplitRows:
    def test_a_share_reads_as_a_decimal_or_a_percentage(self) -> None:
        for text in ("0.15", "15%", "15 %"):
            row, problems = rules.parse_row("energy-splits", split(ratio=text))
            assert problems == [] and isinstance(row, EnergySplitRow) and row.ratio == Decimal("0.15")

    def test_a_fixed_quantity_split_with_an_end_is_typed(self) -> None:
        row, problems = rules.parse_row(
            "energy-splits", split(kwh="200", ratio="", effective_to="2025-01-01")
        )
        assert problems == []
        assert row == EnergySplitRow(
            "0100000001", "MX-GEN-1", Decimal(200), None, date(2024, 3, 1), date(2025, 1, 1)
        )

    @pytest.mark.parametrize(
        ("changes", "column", "reason"),
        [
            ({"ratio": ""}, "kwh", "either"),
            ({"kwh": "100"}, "ratio", "not both"),
            ({"ratio": "1.5"}, "ratio", "at most 1"),
            ({"ratio": "0"}, "ratio", "greater than 0"),
            ({"ratio": "", "kwh": "0"}, "kwh", "greater than 0"),
            ({"effective_to": "2024-03-01"}, "effective_to", "after effective_from"),
            ({"effective_from": ""}, "effective_from", "required"),
            ({"tariff_code": ""}, "tariff_code", "required"),
        ],
    )
    def test_a_bad_split_is_refused_naming_row_and_column(
        self, changes: dict[str, str], column: str, reason: str
    ) -> None:
        problems = problems_of("energy-splits", split("0100000001"), split("0100000002", **changes))
        assert where(problems) == [(2, column)]
        assert reason in problems[0].reason

    def test_the_same_split_twice_is_a_duplicate(self) -> None:
        problems = problems_of("energy-splits", split(), split())
        assert where(problems) == [(2, "effective_from")]
        assert "row 1" in problems[0].reason and problems[0].value == "2024-03-01"

    def test_splits_of_one_account_and_tariff_that_overlap_are_refused(self) -> None:
        problems = problems_of(
            "energy-splits",
            split(effective_to="2024-07-01"),
            split(effective_from="2024-06-01", ratio="0.1"),
            split(effective_from="2024-07-01", tariff_code="MX-RES-1", ratio="0.1"),
        )
        assert where(problems) == [(2, "effective_from")]
        assert "row 1" in problems[0].reason

    def test_periods_that_meet_do_not_overlap(self) -> None:
        assert (
            problems_of("energy-splits", split(effective_to="2024-07-01"), split(effective_from="2024-07-01"))
            == []
        )

    def test_shares_of_one_account_adding_up_to_more_than_one_are_refused(self) -> None:
        problems = problems_of(
            "energy-splits",
            split(ratio="0.6"),
            split(tariff_code="MX-RES-1", ratio="0.5", effective_from="2024-05-01"),
            split("0100000002", ratio="0.9"),
        )
        assert where(problems) == [(1, "ratio"), (2, "ratio")]
        assert "1.1" in problems[0].reason and "2024-05-01" in problems[0].reason

    def test_shares_adding_up_to_exactly_one_are_fine(self) -> None:
        assert (
            problems_of("energy-splits", split(ratio="0.6"), split(tariff_code="MX-RES-1", ratio="40%")) == []
        )


class TestEnergySplitsAgainstTheArchive:
    def _plan(self, *rows: dict[str, str], **known: object) -> rules.Plan:
        parsed, problems = rules.parse_table("energy-splits", table("energy-splits", rows))
        assert problems == []
        values: dict[str, object] = {
            "accounts": frozenset({"0100000001"}),
            "opened_on": {"0100000001": date(2024, 3, 1)},
        }
        values.update(known)
        return rules.plan_import(parsed, KnownArchive(**values))  # type: ignore[arg-type]

    def test_a_split_of_an_archived_account_is_new(self) -> None:
        plan = self._plan(split())
        assert (len(plan.new), plan.problems) == (1, [])

    def test_a_split_of_an_account_not_in_the_archive_is_refused(self) -> None:
        assert where(self._plan(split("0100000009")).problems) == [(1, "account_no")]

    def test_a_split_starting_before_the_account_opened_is_refused(self) -> None:
        plan = self._plan(split(effective_from="2024-02-29"))
        assert where(plan.problems) == [(1, "effective_from")] and "opened_on" in plan.problems[0].reason

    def test_a_split_overlapping_an_archived_one_or_overloading_its_shares_is_refused(self) -> None:
        archived = EnergySplitRow("0100000001", "MX-GEN-1", None, Decimal("0.9"), date(2024, 3, 1), None)
        plan = self._plan(
            split(effective_from="2024-06-01", ratio="0.05"),
            split(tariff_code="MX-RES-1", effective_from="2024-06-01", ratio="0.2"),
            splits={"0100000001": (archived,)},
        )
        assert where(plan.problems) == [(1, "effective_from"), (1, "ratio"), (2, "ratio")]
