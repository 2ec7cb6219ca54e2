"""The accounts file's two-part contract (两部制), loss (高供低计) and 套扣 columns, end to end:
written to the archive, refused whole when wrong, exported and imported again unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from archive_samples import ACCOUNT, account, large_industry, table_counts
from meter2cash.platform.context import AppContext
from meter2cash.platform.errors import InputRefused
from meter2cash.registry import archive_rules as rules
from meter2cash.registry import archive_write
from meter2cash.registry.archive_export import export_archive
from meter2cash.registry.archive_files import read_archive_file
from meter2cash.registry.archive_import import ImportReport, import_archive_file, import_archive_rows
from meter2cash.registry.model import Account

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"


@pytest.fixture(autouse=True)
def english_messages(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("M2C_LANG", "en")
    yield


@pytest.fixture
def books_and_areas(ctx: AppContext) -> AppContext:
    for kind in ("route-books", "areas"):
        import_archive_file(ctx, actor="billing_clerk", kind=kind, path=EXAMPLES / f"{kind}.csv")
    return ctx


def import_accounts(ctx: AppContext, *rows: dict[str, str], name: str = "accounts.csv") -> ImportReport:
    return import_archive_rows(ctx, actor="billing_clerk", kind="accounts", rows=list(rows), source_name=name)


def refusal(ctx: AppContext, *rows: dict[str, str]) -> list[tuple[int | None, str | None]]:
    before = table_counts(ctx)
    with pytest.raises(InputRefused) as refused:
        import_accounts(ctx, *rows)
    assert table_counts(ctx) == before
    return [(p.row, p.column) for p in refused.value.problems]


def stored(ctx: AppContext, account_no: str) -> Account:
    with ctx.sessions() as session:
        found = session.scalars(select(Account).where(Account.account_no == account_no)).one()
        session.expunge(found)
        return found


def account_no_of(ctx: AppContext, account_id: int | None) -> str | None:
    if account_id is None:
        return None
    with ctx.sessions() as session:
        found = session.get(Account, account_id)
        return found.account_no if found else None


class TestTwoPartFactsAreWrittenOnTheAccount:
    def test_a_contract_demand_account_with_losses_is_stored_as_given(
        self, books_and_areas: AppContext
    ) -> None:
        ctx = books_and_areas
        import_accounts(
            ctx,
            large_industry(
                1,
                basic_charge_by="按合同需量",
                contract_demand_kw="300",
                transformer_loss_kwh="1230",
                transformer_loss_kvarh="4920.5",
                line_loss_kwh="86",
            ),
        )
        found = stored(ctx, "0100000001")
        assert (found.basic_charge_by, found.contract_demand_kw) == ("contract_demand", Decimal(300))
        assert (found.transformer_loss_kwh, found.transformer_loss_kvarh, found.line_loss_kwh) == (
            Decimal(1230),
            Decimal("4920.5"),
            Decimal(86),
        )
        assert found.master_account_id is None

    def test_a_file_without_the_new_columns_gives_capacity_and_no_losses(
        self, books_and_areas: AppContext
    ) -> None:
        old = {k: v for k, v in ACCOUNT.items() if k not in rules.LATER_COLUMNS["accounts"]}
        import_accounts(books_and_areas, old)
        found = stored(books_and_areas, ACCOUNT["account_no"])
        assert (found.basic_charge_by, found.contract_demand_kw, found.transformer_loss_kwh) == (
            "capacity",
            None,
            None,
        )

    def test_rows_imported_before_the_new_columns_existed_are_recognised_with_them_empty(
        self, books_and_areas: AppContext
    ) -> None:
        later = rules.LATER_COLUMNS["accounts"]
        old = {k: v for k, v in account(1).items() if k not in later}
        first = import_archive_rows(
            books_and_areas, actor="admin", kind="accounts", rows=[old], source_name="a"
        )
        padded = {**old, **dict.fromkeys(later, "")}
        again = import_archive_rows(
            books_and_areas, actor="admin", kind="accounts", rows=[padded], source_name="b"
        )
        assert (again.already_imported, again.batch_id) == (True, first.batch_id)


class TestMasterAccounts:
    def test_a_sub_meter_is_linked_to_a_master_given_later_in_the_same_file(
        self, books_and_areas: AppContext
    ) -> None:
        ctx = books_and_areas
        import_accounts(ctx, account(1, master_account_no="0100000003"), account(2), large_industry(3))
        assert account_no_of(ctx, stored(ctx, "0100000001").master_account_id) == "0100000003"
        assert stored(ctx, "0100000002").master_account_id is None

    def test_a_sub_meter_is_linked_to_a_master_already_in_the_archive(
        self, books_and_areas: AppContext
    ) -> None:
        ctx = books_and_areas
        import_accounts(ctx, account(1))
        import_accounts(ctx, account(2, master_account_no="0100000001"), name="more.csv")
        assert account_no_of(ctx, stored(ctx, "0100000002").master_account_id) == "0100000001"

    def test_masters_across_write_chunks_are_linked(
        self, books_and_areas: AppContext, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(archive_write, "WRITE_CHUNK", 2)
        ctx = books_and_areas
        rows = [account(n, master_account_no="0100000005" if n < 5 else "") for n in range(1, 6)]
        import_accounts(ctx, *rows)
        assert {account_no_of(ctx, stored(ctx, f"01{n:08d}").master_account_id) for n in range(1, 5)} == {
            "0100000005"
        }

    def test_a_master_in_neither_the_file_nor_the_archive_is_refused(
        self, books_and_areas: AppContext
    ) -> None:
        assert refusal(books_and_areas, account(1), account(2, master_account_no="0100000099")) == [
            (2, "master_account_no")
        ]

    def test_two_accounts_that_are_each_others_master_are_refused(self, books_and_areas: AppContext) -> None:
        assert refusal(
            books_and_areas,
            account(1, master_account_no="0100000002"),
            account(2, master_account_no="0100000001"),
        ) == [(1, "master_account_no"), (2, "master_account_no")]

    def test_an_account_that_is_its_own_master_is_refused(self, books_and_areas: AppContext) -> None:
        assert refusal(books_and_areas, account(1, master_account_no="0100000001")) == [
            (1, "master_account_no")
        ]


class TestARefusedTwoPartRowIsNamed:
    @pytest.mark.parametrize(
        ("row", "column"),
        [
            (account(1, basic_charge_by="contract_demand", contract_demand_kw="5"), "basic_charge_by"),
            (account(1, basic_charge_by="actual_demand"), "basic_charge_by"),
            (large_industry(1, basic_charge_by="contract_demand"), "contract_demand_kw"),
            (large_industry(1, contract_demand_kw="300"), "contract_demand_kw"),
            (
                large_industry(1, basic_charge_by="contract_demand", contract_demand_kw="0"),
                "contract_demand_kw",
            ),
            (account(1, transformer_loss_kwh="20"), "transformer_loss_kwh"),
            (large_industry(1, transformer_loss_kvarh="20"), "transformer_loss_kvarh"),
            (large_industry(1, line_loss_kwh="-1"), "line_loss_kwh"),
            (large_industry(1, basic_charge_by="monthly"), "basic_charge_by"),
        ],
    )
    def test_the_whole_file_is_refused_naming_the_row_and_column(
        self, books_and_areas: AppContext, row: dict[str, str], column: str
    ) -> None:
        assert refusal(books_and_areas, account(2), row) == [(2, column)]

    def test_an_archived_account_given_with_another_contract_is_refused(
        self, books_and_areas: AppContext
    ) -> None:
        ctx = books_and_areas
        import_accounts(ctx, large_industry(1))
        assert refusal(
            ctx, large_industry(1, basic_charge_by="contract_demand", contract_demand_kw="300")
        ) == [
            (1, "basic_charge_by"),
            (1, "contract_demand_kw"),
        ]


class TestTheNewColumnsRoundTrip:
    def test_an_export_gives_the_contract_losses_and_master_back_and_imports_again_unchanged(
        self, books_and_areas: AppContext, tmp_path: Path
    ) -> None:
        ctx = books_and_areas
        rows = [
            large_industry(
                1,
                basic_charge_by="contract_demand",
                contract_demand_kw="252.5",
                transformer_loss_kwh="1230",
                transformer_loss_kvarh="4920",
                line_loss_kwh="0",
            ),
            account(2, master_account_no="0100000001"),
            large_industry(3, basic_charge_by="actual_demand"),
        ]
        import_accounts(ctx, *rows)
        for suffix in (".csv", ".xlsx"):
            path = tmp_path / f"accounts{suffix}"
            export_archive(ctx, actor="admin", kind="accounts", path=path)
            table = read_archive_file(path)
            keys, _ = rules.resolve_headers("accounts", table.headers)
            exported = [dict(zip(keys, cells, strict=False)) for _, cells in table.rows]
            assert [{k: r.get(k, "") for k in rules.LATER_COLUMNS["accounts"]} for r in exported] == [
                {k: row[k] for k in rules.LATER_COLUMNS["accounts"]} for row in rows
            ]
            before = table_counts(ctx)
            again = import_archive_file(ctx, actor="admin", kind="accounts", path=path)
            assert again.created["account"] == 0
            assert table_counts(ctx) == before | {
                name: before[name] + (0 if again.already_imported else 1)
                for name in ("import_batch", "audit_record")
            }
