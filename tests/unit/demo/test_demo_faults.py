from __future__ import annotations

import json
from collections import Counter

import numpy as np
import polars as pl
import pytest

from meter2cash.demo.customers import POSTPAID
from meter2cash.demo.fault_kinds import KINDS
from meter2cash.demo.faults import transpose_digits
from meter2cash.demo.generate import DemoBureau
from meter2cash.demo.history import daily_registers
from meter2cash.demo.registers import reading_text


@pytest.fixture(scope="module")
def frame(demo: DemoBureau) -> pl.DataFrame:
    return daily_registers(demo.bureau, demo.sim)


def _faults(demo: DemoBureau, kind: str) -> list:
    return [f for f in demo.faults if f.kind == kind]


def _day(demo: DemoBureau, when: object) -> int:
    return demo.sim.calendar.days.index(when)


class TestEveryFaultKindIsPlanted:
    def test_each_kind_appears_in_roughly_the_asked_share(self, demo: DemoBureau) -> None:
        counts = Counter(f.kind for f in demo.faults)
        assert set(counts) == set(KINDS)
        assert counts["misread"] == 10 and counts["missed_reading"] == 20
        assert counts["meter_replacement"] == 10 and counts["theft"] == 10
        assert counts["stopped_meter"] == 4 and counts["rollover"] >= 2
        assert counts["late_payer"] == 160 and counts["chronic_non_payer"] == 30

    def test_no_account_carries_two_meter_faults(self, demo: DemoBureau) -> None:
        meter_faults = [
            f.account_no for f in demo.faults if f.kind not in ("late_payer", "chronic_non_payer")
        ]
        assert len(meter_faults) == len(set(meter_faults))


class TestMisreads:
    def test_a_misread_swaps_two_neighbouring_digits_of_the_true_reading(
        self, demo: DemoBureau, frame: pl.DataFrame
    ) -> None:
        for fault in _faults(demo, "misread"):
            true, wrong = fault.details["true"], fault.details["misread"]
            stored = frame.filter((pl.col("meter_no") == fault.meter_no) & (pl.col("day") == fault.day))
            assert stored["total"].to_list() == [true]  # the history itself stays true
            differ = [i for i, (a, b) in enumerate(zip(true, wrong, strict=True)) if a != b]
            assert len(differ) == 2 and differ[1] == differ[0] + 1

    def test_transposing_needs_two_different_neighbouring_digits(self) -> None:
        rng = np.random.default_rng(0)
        assert transpose_digits(rng, "1111.11") is None
        assert transpose_digits(rng, "12.00") == "21.00"


class TestMissedReadings:
    def test_the_missed_days_have_no_reading_and_cover_a_reading_day(
        self, demo: DemoBureau, frame: pl.DataFrame
    ) -> None:
        for fault in _faults(demo, "missed_reading"):
            rows = frame.filter(pl.col("meter_no") == fault.meter_no)
            empty = rows.filter(pl.col("total").is_null())
            assert empty.height == int(fault.details["days"])
            assert empty["day"].min() == fault.day
            assert fault.details["reading_day"] in {d.isoformat() for d in empty["day"]}
            assert empty["sharp"].null_count() == empty.height


class TestReplacements:
    def test_the_old_meter_ends_the_day_before_and_the_new_one_starts_near_zero(
        self, demo: DemoBureau, frame: pl.DataFrame
    ) -> None:
        for fault in _faults(demo, "meter_replacement"):
            old = frame.filter(pl.col("meter_no") == fault.meter_no)
            new = frame.filter(pl.col("meter_no") == fault.details["new_meter_no"])
            assert old["day"].max() < fault.day == new["day"].min()
            assert old["total"][-1] == fault.details["old_final"]
            assert set(new["account_no"]) == {fault.account_no}
            assert float(fault.details["new_start"]) < 2


class TestRollovers:
    def test_a_high_start_meter_wraps_inside_the_window(self, demo: DemoBureau) -> None:
        for fault in _faults(demo, "rollover"):
            assert float(fault.details["install_reading"]) > 990_000
            assert float(fault.details["before"]) > 999_000 > float(fault.details["after"])


class TestStoppedMeters:
    def test_the_register_stands_still_while_the_customer_keeps_using_power(self, demo: DemoBureau) -> None:
        index = {no: i for i, no in enumerate(demo.bureau.accounts.account_no)}
        for fault in _faults(demo, "stopped_meter"):
            a, day = index[fault.account_no], _day(demo, fault.day)
            assert len(set(demo.sim.total[a, day - 1 :])) == 1
            assert reading_text(int(demo.sim.total[a, day])) == fault.details["stuck_at"]
            assert demo.sim.true[a, day:].sum() > 0


class TestTheft:
    def test_the_thief_registers_40_to_80_percent_less_from_the_theft_day(self, demo: DemoBureau) -> None:
        accounts, sim = demo.bureau.accounts, demo.sim
        index = {no: i for i, no in enumerate(accounts.account_no)}
        for fault in _faults(demo, "theft"):
            a, day = index[fault.account_no], _day(demo, fault.day)
            window = slice(max(0, day - 30), day), slice(day, day + 30)
            ratio = [sim.registered[a, w].sum() / max(1, sim.true[a, w].sum()) for w in window]
            assert ratio[0] == pytest.approx(1, abs=0.01)
            assert 0.19 < ratio[1] < 0.61
            assert sim.supply_energy[accounts.area[a], window[1]].sum() > 0

    def test_the_line_loss_of_the_areas_with_theft_rises(self, demo: DemoBureau) -> None:
        accounts, sim = demo.bureau.accounts, demo.sim

        def loss_rate(area: int, days: slice) -> float:
            supplied = sim.supply_energy[area, days].sum()
            return float((supplied - sim.registered[accounts.area == area, days].sum()) / supplied)

        first, last = slice(0, 30), slice(-30, None)
        for area in sim.plan.hot_areas:
            assert loss_rate(area, last) - loss_rate(area, first) > 0.01
        quiet = (
            set(range(len(demo.bureau.areas)))
            - set(accounts.area[sim.plan.theft])
            - set(accounts.area[sim.plan.stopped])
        )
        for area in quiet:
            assert abs(loss_rate(area, last) - loss_rate(area, first)) < 0.005

    def test_theft_concentrates_in_a_few_areas(self, demo: DemoBureau) -> None:
        areas = Counter(f.area_code for f in _faults(demo, "theft"))
        hot = [f for f in _faults(demo, "theft") if f.details["hot_area"] == "yes"]
        assert len(hot) >= 0.6 * sum(areas.values())


class TestPaymentProfiles:
    def test_late_and_chronic_payers_are_postpaid_accounts(self, demo: DemoBureau) -> None:
        accounts = demo.bureau.accounts
        index = {no: i for i, no in enumerate(accounts.account_no)}
        for profile in demo.profiles:
            if profile.profile != "on_time":
                assert accounts.payment[index[profile.account_no]] == POSTPAID
                assert profile.delay_days > 0

    def test_the_faults_file_lists_late_and_chronic_payers(self, demo: DemoBureau) -> None:
        listed = {f.account_no for f in demo.faults if f.kind in ("late_payer", "chronic_non_payer")}
        assert listed == {p.account_no for p in demo.profiles if p.profile != "on_time"}
        row = next(f for f in demo.faults if f.kind == "chronic_non_payer").as_row()
        assert json.loads(row["details"])["unpaid_percent"]
