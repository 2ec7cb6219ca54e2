from __future__ import annotations

import numpy as np

from meter2cash.demo.customers import AGR, LI, RES
from meter2cash.demo.generate import DemoBureau


def _months(demo: DemoBureau, *months: int) -> np.ndarray:
    return np.isin(demo.sim.calendar.month, months)


class TestRegisters:
    def test_registers_never_go_down_except_on_planted_rollovers(self, demo: DemoBureau) -> None:
        sim = demo.sim
        steps = np.diff(sim.total, axis=1)
        valid = sim.valid()[:, 1:] & sim.valid()[:, :-1]
        going_down = np.flatnonzero(((steps < 0) & valid).any(axis=1))
        assert set(going_down) == set(sim.plan.rollover)

    def test_a_rollover_meter_goes_down_exactly_once(self, demo: DemoBureau) -> None:
        for row in demo.sim.plan.rollover:
            assert (np.diff(demo.sim.total[row]) < 0).sum() == 1

    def test_time_of_use_registers_add_up_to_the_total(self, demo: DemoBureau) -> None:
        sim = demo.sim
        rows = np.flatnonzero(sim.meters.tou)
        assert len(rows) > 0
        assert np.array_equal(sim.tou[rows].sum(axis=2), sim.total[rows])

    def test_households_use_more_in_winter_than_in_summer(self, demo: DemoBureau) -> None:
        true = demo.sim.true[demo.bureau.accounts.category == RES]
        winter = true[:, _months(demo, 12, 1, 2)].mean()
        summer = true[:, _months(demo, 6, 7, 8)].mean()
        autumn = true[:, _months(demo, 10)].mean()
        assert winter > 1.8 * autumn
        assert summer > 0.9 * autumn
        assert winter > summer

    def test_household_use_is_3_to_15_kwh_a_day_outside_winter(self, demo: DemoBureau) -> None:
        true = demo.sim.true[demo.bureau.accounts.category == RES][:, _months(demo, 5, 9)]
        assert 3 < true.mean() / 100 < 15

    def test_pumps_run_in_the_irrigation_season(self, demo: DemoBureau) -> None:
        true = demo.sim.true[demo.bureau.accounts.category == AGR]
        assert true[:, _months(demo, 6, 7)].mean() > 20 * true[:, _months(demo, 1, 2)].mean()

    def test_large_industry_registers_move_slowly_behind_their_multipliers(self, demo: DemoBureau) -> None:
        large = np.flatnonzero(demo.sim.meters.reactive)
        accounts = demo.bureau.accounts
        daily_kwh = demo.sim.true[demo.sim.meters.account[large]].mean(axis=1) / 100
        assert daily_kwh.min() > 1_000 and daily_kwh.max() < 60_000
        advance = np.diff(demo.sim.total[large], axis=1).mean(axis=1) / 100
        assert advance.max() < 100
        assert (demo.sim.reactive[large][:, -1] > demo.sim.reactive[large][:, 0]).all()
        assert set(demo.sim.meters.account[large]) == set(np.flatnonzero(accounts.category == LI))

    def test_the_area_supply_meter_sees_the_true_load_plus_a_3_to_6_percent_loss(
        self, demo: DemoBureau
    ) -> None:
        accounts, sim = demo.bureau.accounts, demo.sim
        for area in demo.bureau.areas[:5]:
            true = sim.true[accounts.area == area.index].sum()
            loss = sim.supply_energy[area.index].sum() / true - 1
            assert 0.025 < loss < 0.065


class TestTheParquetHistory:
    def test_it_holds_one_row_per_meter_and_day_on_its_point(self, demo: DemoBureau) -> None:
        from meter2cash.demo.history import daily_registers

        frame = daily_registers(demo.bureau, demo.sim)
        assert frame.columns == [
            "meter_no",
            "account_no",
            "day",
            "total",
            "sharp",
            "peak",
            "flat",
            "valley",
            "reactive",
        ]
        assert frame.height == int(demo.sim.valid().sum())
        assert frame.select("meter_no", "day").is_duplicated().sum() == 0
        assert all(
            v is None or (v.count(".") == 1 and len(v.split(".")[1]) == 2) for v in frame["total"][:5000]
        )
