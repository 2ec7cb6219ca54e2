from __future__ import annotations

from pathlib import Path

import numpy as np

from meter2cash.demo.customers import AGR, CARD, GEN, LI, RES, SMART
from meter2cash.demo.generate import DemoBureau, generate
from meter2cash.demo.output import write_files
from meter2cash.demo.population import build_bureau
from meter2cash.demo.spec import DemoSpec


class TestTheBureauHasTheAskedMix:
    def test_categories_come_in_the_asked_shares(self, demo: DemoBureau) -> None:
        category = demo.bureau.accounts.category
        shares = np.bincount(category, minlength=4) / len(category)
        assert abs(shares[RES] - 0.90) < 0.01
        assert abs(shares[GEN] - 0.08) < 0.01
        assert abs(shares[LI] - 0.015) < 0.005
        assert abs(shares[AGR] - 0.005) < 0.005

    def test_areas_and_route_books_scale_with_the_accounts(self, demo: DemoBureau) -> None:
        assert abs(len(demo.bureau.areas) - 2_000 / 133) <= 1
        assert abs(len(demo.bureau.books) - 2_000 / 333) <= 1

    def test_a_tiny_bureau_still_has_two_areas_and_two_books(self) -> None:
        bureau = build_bureau(DemoSpec(accounts=20))
        assert len(bureau.areas) >= 2
        assert len(bureau.books) >= 2

    def test_reading_days_are_spread_over_1_to_28(self, demo: DemoBureau) -> None:
        days = sorted(b.reading_day for b in demo.bureau.books)
        assert days[0] == 1 and days[-1] == 28
        assert len(set(days)) == len(days)

    def test_about_a_tenth_of_households_have_card_meters_and_some_are_smart_prepaid(
        self, demo: DemoBureau
    ) -> None:
        accounts = demo.bureau.accounts
        residential = accounts.payment[accounts.category == RES]
        assert abs((residential == CARD).mean() - 0.10) < 0.02
        assert (residential == SMART).mean() > 0.15

    def test_large_industry_is_metered_through_ct_and_pt_on_10kv_or_through_cts_on_the_low_side(
        self, demo: DemoBureau
    ) -> None:
        accounts = demo.bureau.accounts
        large = accounts.category == LI
        high = large & ~accounts.contracts.low_side
        low = large & accounts.contracts.low_side
        assert set(accounts.pt_ratio[high]) == {100}
        assert accounts.ct_ratio[high].min() >= 10 and accounts.ct_ratio[high].max() <= 80
        assert set(accounts.pt_ratio[low]) == {1}  # 高供低计: 0.4 kV CTs, no PT
        assert accounts.ct_ratio[low].min() >= 100 and accounts.ct_ratio[low].max() <= 400
        assert accounts.tou[large].all()
        assert (accounts.capacity_kva[large] >= 315).all()

    def test_every_account_gets_its_own_meter_number_and_address(self, demo: DemoBureau) -> None:
        meters = demo.sim.meters
        supply = [a.supply_address for a in demo.bureau.areas]
        assert len(set(meters.meter_no)) == len(meters)
        assert len(set(meters.address) | set(supply)) == len(meters) + len(supply)
        assert all(len(a) == 12 and a.isdigit() for a in meters.address)


class TestTheSameSeedGivesTheSameBureau:
    def test_two_runs_with_one_seed_are_identical(self) -> None:
        first, second = generate(DemoSpec(accounts=300, seed=3)), generate(DemoSpec(accounts=300, seed=3))
        assert first.rows == second.rows
        assert np.array_equal(first.sim.total, second.sim.total)
        assert first.faults == second.faults

    def test_another_seed_gives_another_bureau(self) -> None:
        first, second = generate(DemoSpec(accounts=300, seed=3)), generate(DemoSpec(accounts=300, seed=4))
        assert first.rows["accounts"] != second.rows["accounts"]


class TestTheFilesAreByteIdentical:
    def test_two_builds_of_one_spec_write_the_same_bytes(self, tmp_path: Path) -> None:
        spec = DemoSpec(accounts=300, seed=5)
        first = write_files(generate(spec), tmp_path / "one")
        second = write_files(generate(spec), tmp_path / "two")
        for a, b in zip(first, second, strict=True):
            assert a.read_bytes() == b.read_bytes(), a.name
