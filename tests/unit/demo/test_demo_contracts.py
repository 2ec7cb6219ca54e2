"""The demo bureau's contract facts: two-part basic charge methods, losses of low-side metering
(高供低计), sub-meters (套扣) and 定比 splits — and the archive rows that carry them."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from meter2cash.demo.customers import AGR, GEN, LI, POSTPAID, SPLIT_TARIFF
from meter2cash.demo.generate import DemoBureau, generate
from meter2cash.demo.spec import DemoSpec
from meter2cash.registry import archive_rules as rules
from meter2cash.registry.archive_columns import COLUMNS_BY_KIND


def parse(kind: str, rows: list[dict[str, str]]) -> list[rules.ArchiveRow]:
    keys = tuple(c.key for c in COLUMNS_BY_KIND[kind])
    table, shape = rules.check_shape(keys, [(n, tuple(r[k] for k in keys)) for n, r in enumerate(rows, 1)])
    parsed, problems = rules.parse_table(kind, table)
    assert shape == problems == []
    return [row for _, row in parsed]


class TestTwoPartBasicCharges:
    def test_about_a_third_of_large_industry_pays_on_a_contract_demand_and_the_rest_on_capacity(
        self, demo: DemoBureau
    ) -> None:
        accounts = demo.bureau.accounts
        demand = accounts.contracts.contract_demand_kw
        large = accounts.category == LI
        assert abs((demand[large] > 0).mean() - 1 / 3) < 0.05
        assert not (demand[~large] > 0).any()
        methods = {row["basic_charge_by"] for row in demo.rows["accounts"]}
        assert methods == {"capacity", "contract_demand"}  # no meter here serves a demand register

    def test_contract_demands_are_mostly_40_to_90_percent_of_capacity_and_some_fall_under_the_floor(
        self, demo: DemoBureau
    ) -> None:
        accounts = demo.bureau.accounts
        on_demand = accounts.contracts.contract_demand_kw > 0
        kw = accounts.contracts.contract_demand_kw[on_demand]
        share = kw / accounts.capacity_kva[on_demand]
        assert (kw % 5 == 0).all() and (share <= 0.9 + 5 / 315).all() and (share >= 0.2).all()
        assert 0 < (share < 0.4).sum() < (share >= 0.4).sum()


class TestLowSideMetering:
    def test_about_a_third_of_large_industry_is_metered_on_the_low_side_mostly_the_small_transformers(
        self, demo: DemoBureau
    ) -> None:
        accounts = demo.bureau.accounts
        low = accounts.contracts.low_side
        large = accounts.category == LI
        assert not (low & ~large).any()
        assert abs(low[large].mean() - 1 / 3) < 0.05
        assert np.median(accounts.capacity_kva[low]) < np.median(accounts.capacity_kva[large & ~low])

    def test_low_side_accounts_bear_a_plausible_monthly_transformer_loss_and_no_one_else_does(
        self, demo: DemoBureau
    ) -> None:
        accounts = demo.bureau.accounts
        c = accounts.contracts
        low = c.low_side
        share = c.transformer_loss_kwh[low] / (accounts.base_kwh[low] * 30)
        assert (share > 0.004).all() and (share < 0.016).all()
        ratio = c.transformer_loss_kvarh[low] / c.transformer_loss_kwh[low]
        assert (ratio > 3).all() and (ratio < 5).all()
        assert not (
            c.transformer_loss_kwh[~low] | c.transformer_loss_kvarh[~low] | c.line_loss_kwh[~low]
        ).any()
        assert 0 < (c.line_loss_kwh[low] > 0).sum() < low.sum()


class TestSubMetersAndSplits:
    def test_about_ten_general_accounts_are_sub_meters_of_a_bigger_account_in_their_area(
        self, demo: DemoBureau
    ) -> None:
        accounts = demo.bureau.accounts
        master = accounts.contracts.master
        subs = np.flatnonzero(master >= 0)
        assert len(subs) == 10
        masters = master[subs]
        assert len(set(masters)) == len(masters) and not set(masters) & set(subs)  # no chains
        assert (accounts.category[subs] == GEN).all()
        assert np.isin(accounts.category[masters], (GEN, LI)).all()
        assert (accounts.area[subs] == accounts.area[masters]).all()
        assert (accounts.payment[subs] == POSTPAID).all() and (accounts.payment[masters] == POSTPAID).all()
        assert (accounts.base_kwh[masters] >= 3 * accounts.base_kwh[subs]).all()

    def test_about_ten_farms_have_a_tenth_to_a_fifth_of_their_energy_priced_as_general_commercial(
        self, demo: DemoBureau
    ) -> None:
        accounts = demo.bureau.accounts
        splits = parse("energy-splits", demo.rows["energy-splits"])
        assert len(splits) == 10
        numbers = {no: i for i, no in enumerate(accounts.account_no)}
        for split in splits:
            assert isinstance(split, rules.EnergySplitRow)
            assert accounts.category[numbers[split.account_no]] == AGR
            assert split.tariff_code == SPLIT_TARIFF and split.kwh is None and split.effective_to is None
            assert split.ratio is not None and Decimal("0.1") <= split.ratio <= Decimal("0.2")


class TestTheArchiveRowsCarryTheFacts:
    def test_the_demo_accounts_and_splits_read_as_clean_archive_files_whose_masters_are_in_the_file(
        self, demo: DemoBureau
    ) -> None:
        accounts = parse("accounts", demo.rows["accounts"])
        numbers = {r.account_no for r in accounts if isinstance(r, rules.AccountRow)}
        masters = {
            r.master_account_no for r in accounts if isinstance(r, rules.AccountRow) and r.master_account_no
        }
        assert len(masters) == 10 and masters <= numbers
        splits = parse("energy-splits", demo.rows["energy-splits"])
        assert {s.account_no for s in splits if isinstance(s, rules.EnergySplitRow)} <= numbers

    def test_a_tiny_bureau_without_farms_has_no_splits(self) -> None:
        tiny = generate(DemoSpec(accounts=20, seed=1))
        farms = int((tiny.bureau.accounts.category == AGR).sum())
        assert len(tiny.rows["energy-splits"]) == min(10, farms)

    def test_the_same_seed_gives_the_same_contracts(self) -> None:
        first, second = generate(DemoSpec(accounts=300, seed=3)), generate(DemoSpec(accounts=300, seed=3))
        assert first.rows["energy-splits"] == second.rows["energy-splits"]
        for name in ("contract_demand_kw", "transformer_loss_kwh", "master", "split_percent"):
            assert np.array_equal(
                getattr(first.bureau.accounts.contracts, name),
                getattr(second.bureau.accounts.contracts, name),
            )
