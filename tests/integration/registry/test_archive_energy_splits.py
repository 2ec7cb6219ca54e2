"""The energy-splits file (定量定比): written on archived accounts, refused whole when wrong,
recognised when imported again, exported and imported again unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from archive_samples import account, split, table_counts
from meter2cash.platform.context import AppContext
from meter2cash.platform.errors import InputRefused
from meter2cash.registry.archive_export import export_archive
from meter2cash.registry.archive_files import read_archive_file
from meter2cash.registry.archive_import import (
    ImportReport,
    import_archive_file,
    import_archive_rows,
    infer_archive_kind,
)
from meter2cash.registry.model import Account, EnergySplit

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples"


@pytest.fixture(autouse=True)
def english_messages(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("M2C_LANG", "en")
    yield


@pytest.fixture
def accounts(ctx: AppContext) -> AppContext:
    """The example route books and areas, and accounts 0100000001–0100000003 opened 2024-03-01."""
    for kind in ("route-books", "areas"):
        import_archive_file(ctx, actor="billing_clerk", kind=kind, path=EXAMPLES / f"{kind}.csv")
    import_archive_rows(
        ctx, actor="billing_clerk", kind="accounts", rows=[account(n) for n in (1, 2, 3)], source_name="a.csv"
    )
    return ctx


def import_splits(ctx: AppContext, *rows: dict[str, str], name: str = "energy-splits.csv") -> ImportReport:
    return import_archive_rows(
        ctx, actor="billing_clerk", kind="energy-splits", rows=list(rows), source_name=name
    )


def refusal(ctx: AppContext, *rows: dict[str, str]) -> list[tuple[int | None, str | None]]:
    before = table_counts(ctx)
    with pytest.raises(InputRefused) as refused:
        import_splits(ctx, *rows)
    assert table_counts(ctx) == before
    return [(p.row, p.column) for p in refused.value.problems]


def stored_splits(
    ctx: AppContext,
) -> list[tuple[str, str, Decimal | None, Decimal | None, date, date | None]]:
    with ctx.sessions() as session:
        rows = session.execute(
            select(
                Account.account_no,
                EnergySplit.tariff_code,
                EnergySplit.kwh,
                EnergySplit.ratio,
                EnergySplit.effective_from,
                EnergySplit.effective_to,
            )
            .join(Account, Account.id == EnergySplit.account_id)
            .order_by(Account.account_no, EnergySplit.tariff_code)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


class TestImportingSplits:
    def test_the_example_files_import_in_order_with_their_splits(self, ctx: AppContext) -> None:
        for kind in ("route-books", "areas", "accounts", "energy-splits"):
            report = import_archive_file(ctx, actor="billing_clerk", kind=kind, path=EXAMPLES / f"{kind}.csv")
            assert not report.already_imported
        assert report.created == {"energy_split": 2}
        assert stored_splits(ctx) == [
            ("0100000003", "MX-RES-1", Decimal(200), None, date(2024, 1, 1), None),
            ("0100000004", "MX-GEN-1", None, Decimal("0.03"), date(2023, 7, 1), date(2025, 1, 1)),
        ]

    def test_the_kind_is_inferred_from_the_headers(self) -> None:
        assert (
            infer_archive_kind(read_archive_file(EXAMPLES / "energy-splits.csv").headers) == "energy-splits"
        )

    def test_a_percentage_is_stored_as_a_share(self, accounts: AppContext) -> None:
        import_splits(accounts, split(ratio="12.5%"))
        assert stored_splits(accounts)[0][3] == Decimal("0.125")

    def test_importing_the_same_splits_again_changes_nothing(self, accounts: AppContext) -> None:
        first = import_splits(accounts, split(), split("0100000002", kwh="80", ratio=""))
        before = table_counts(accounts)
        again = import_archive_rows(
            accounts,
            actor="admin",
            kind="energy-splits",
            rows=[split(), split("0100000002", kwh="80", ratio="")],
            source_name="copy.csv",
        )
        assert (again.already_imported, again.batch_id) == (True, first.batch_id)
        assert table_counts(accounts) == before

    def test_a_new_file_skips_archived_splits_with_identical_data_and_adds_the_rest(
        self, accounts: AppContext
    ) -> None:
        import_splits(accounts, split())
        report = import_archive_rows(
            accounts,
            actor="admin",
            kind="energy-splits",
            rows=[split(), split("0100000003", ratio="0.2")],
            source_name="more.csv",
        )
        assert (report.rows, report.created) == (2, {"energy_split": 1})
        assert len(stored_splits(accounts)) == 2


class TestARefusedSplitFileWritesNothing:
    @pytest.mark.parametrize(
        ("changes", "column"),
        [
            ({"kwh": "100"}, "ratio"),
            ({"ratio": ""}, "kwh"),
            ({"ratio": "1.01"}, "ratio"),
            ({"effective_to": "2024-01-01"}, "effective_to"),
            ({"account_no": "0100000009"}, "account_no"),
            ({"effective_from": "2024-02-01"}, "effective_from"),
        ],
    )
    def test_a_bad_row_is_named_and_the_whole_file_refused(
        self, accounts: AppContext, changes: dict[str, str], column: str
    ) -> None:
        assert refusal(accounts, split("0100000002"), {**split("0100000001"), **changes}) == [(2, column)]

    def test_the_same_split_twice_in_a_file_is_refused(self, accounts: AppContext) -> None:
        assert refusal(accounts, split(), split()) == [(2, "effective_from")]

    def test_a_split_overlapping_an_archived_one_of_the_same_account_and_tariff_is_refused(
        self, accounts: AppContext
    ) -> None:
        import_splits(accounts, split(effective_to="2025-01-01"))
        assert refusal(accounts, split(effective_from="2024-12-01", ratio="0.1")) == [(1, "effective_from")]

    def test_shares_that_would_add_up_to_more_than_one_with_the_archived_ones_are_refused(
        self, accounts: AppContext
    ) -> None:
        import_splits(accounts, split(ratio="0.7"))
        assert refusal(accounts, split(tariff_code="MX-RES-1", ratio="0.4")) == [(1, "ratio")]

    def test_an_archived_split_given_with_another_share_is_refused(self, accounts: AppContext) -> None:
        import_splits(accounts, split())
        assert refusal(accounts, split(ratio="0.2")) == [(1, "ratio")]


class TestExportingSplits:
    def test_an_export_of_the_example_splits_is_the_same_file_byte_for_byte_in_csv_and_equal_in_xlsx(
        self, ctx: AppContext, tmp_path: Path
    ) -> None:
        for kind in ("route-books", "areas", "accounts", "energy-splits"):
            import_archive_file(ctx, actor="billing_clerk", kind=kind, path=EXAMPLES / f"{kind}.csv")
        assert export_archive(ctx, actor="cashier", kind="energy-splits", path=tmp_path / "s.csv") == 2
        assert (tmp_path / "s.csv").read_bytes() == (EXAMPLES / "energy-splits.csv").read_bytes()
        export_archive(ctx, actor="cashier", kind="energy-splits", path=tmp_path / "s.xlsx")
        before = table_counts(ctx)
        again = import_archive_file(ctx, actor="admin", kind="energy-splits", path=tmp_path / "s.xlsx")
        assert again.already_imported and table_counts(ctx) == before
