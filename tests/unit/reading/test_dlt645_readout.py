from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest

from meter2cash.platform.clock import BUSINESS_TZ as BJ
from meter2cash.reading.dlt645.identifiers import (
    FORWARD_ACTIVE_BLOCK,
    FORWARD_ACTIVE_TARIFF,
    FORWARD_ACTIVE_TOTAL,
    MAX_DEMAND_FORWARD_ACTIVE,
    METER_DATE,
    METER_TIME,
    Demand,
    Value,
)
from meter2cash.reading.dlt645.readout import (
    STATE_GRID_TARIFF_ORDER,
    BadTariffOrder,
    assemble_readout,
    read_plan,
    tariff_order_of,
)

DEMAND_AT = datetime(2026, 2, 14, 9, 30, tzinfo=BJ)


class TestReadPlan:
    def test_the_energy_block_comes_first_and_is_the_only_required_item(self) -> None:
        plan = read_plan()
        assert plan[0].di == FORWARD_ACTIVE_BLOCK
        assert [item.di.hex for item in plan if item.required] == ["0001FF00"]
        assert [item.di.hex for item in plan] == ["0001FF00", "00030000", "01010000", "04000101", "04000102"]

    def test_a_meter_refusing_the_block_is_read_item_by_item_total_first(self) -> None:
        fallback = read_plan()[0].fallback
        assert [(item.di.hex, item.required) for item in fallback] == [
            ("00010000", True),
            ("00010100", False),
            ("00010200", False),
            ("00010300", False),
            ("00010400", False),
        ]

    def test_a_two_tariff_meter_is_asked_for_two_tariffs(self) -> None:
        plan = read_plan(tariff_order=("peak", "valley"), energy_block=False)
        assert [item.di.hex for item in plan][:3] == ["00010000", "00010100", "00010200"]
        assert plan[3].di.hex == "00030000"

    def test_the_daily_freeze_is_read_only_when_asked(self) -> None:
        assert [item.di.hex for item in read_plan(with_daily_frozen=True)][-2:] == ["05060001", "05060101"]


class TestTariffOrder:
    def test_no_order_in_the_archive_means_the_state_grid_order(self) -> None:
        assert tariff_order_of("") == STATE_GRID_TARIFF_ORDER == ("sharp", "peak", "flat", "valley")

    def test_the_archive_order_is_read_from_comma_separated_names(self) -> None:
        assert tariff_order_of("peak, valley") == ("peak", "valley")

    @pytest.mark.parametrize("text", ["peak,peak", "sharp,peak,flat,valley,extra", "night"])
    def test_an_order_with_unknown_or_repeated_registers_is_refused(self, text: str) -> None:
        with pytest.raises(BadTariffOrder):
            tariff_order_of(text)


class TestAssemblingAReadout:
    def test_the_energy_block_gives_the_total_and_the_tariffs_in_order(self) -> None:
        block = tuple(Decimal(v) for v in ("100.00", "10.00", "20.00", "30.00", "40.00"))
        readout = assemble_readout(address="000000000001", values={FORWARD_ACTIVE_BLOCK.code: block})
        assert (readout.total, readout.sharp, readout.peak, readout.flat, readout.valley) == block

    def test_a_block_with_fewer_tariffs_than_the_order_leaves_the_rest_empty(self) -> None:
        block = (Decimal("100.00"), Decimal("60.00"))
        readout = assemble_readout(address="000000000001", values={FORWARD_ACTIVE_BLOCK.code: block})
        assert (readout.sharp, readout.peak, readout.flat) == (Decimal("60.00"), None, None)

    def test_tariffs_one_to_four_become_sharp_peak_flat_valley(self) -> None:
        values: dict[int, Value] = {FORWARD_ACTIVE_TOTAL.code: Decimal("100.00")}
        values |= {FORWARD_ACTIVE_TARIFF[n].code: Decimal(f"{n}0.00") for n in range(1, 5)}
        readout = assemble_readout(address="000000000001", values=values)
        assert (readout.sharp, readout.peak, readout.flat, readout.valley) == (
            Decimal("10.00"),
            Decimal("20.00"),
            Decimal("30.00"),
            Decimal("40.00"),
        )

    def test_a_meter_whose_archive_says_peak_valley_puts_tariff_two_in_valley(self) -> None:
        values: dict[int, Value] = {
            FORWARD_ACTIVE_TOTAL.code: Decimal("100.00"),
            FORWARD_ACTIVE_TARIFF[1].code: Decimal("70.00"),
            FORWARD_ACTIVE_TARIFF[2].code: Decimal("30.00"),
        }
        readout = assemble_readout(address="000000000001", values=values, tariff_order=("peak", "valley"))
        assert (readout.sharp, readout.peak, readout.flat, readout.valley) == (
            None,
            Decimal("70.00"),
            None,
            Decimal("30.00"),
        )

    def test_the_clock_joins_the_date_and_the_time_and_demand_keeps_its_time(self) -> None:
        values: dict[int, Value] = {
            FORWARD_ACTIVE_TOTAL.code: Decimal("1.00"),
            METER_DATE.code: date(2026, 3, 1),
            METER_TIME.code: time(8, 30, 15),
            MAX_DEMAND_FORWARD_ACTIVE.code: Demand(
                Decimal("12.3456"), datetime(2026, 2, 14, 9, 30, tzinfo=BJ)
            ),
        }
        readout = assemble_readout(address="000000000001", values=values)
        assert readout.clock == datetime(2026, 3, 1, 8, 30, 15, tzinfo=BJ)
        assert readout.max_demand_kw == Decimal("12.3456")
        assert readout.max_demand_at == datetime(2026, 2, 14, 9, 30, tzinfo=BJ)

    def test_items_the_meter_refused_are_none_and_listed(self) -> None:
        readout = assemble_readout(
            address="000000000001",
            values={FORWARD_ACTIVE_TOTAL.code: Decimal("1.00")},
            refused=[MAX_DEMAND_FORWARD_ACTIVE.code],
        )
        assert readout.max_demand_kw is None
        assert readout.clock is None
        assert readout.refused == ("01010000",)
