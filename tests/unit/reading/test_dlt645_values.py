from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meter2cash.platform.clock import BUSINESS_TZ as BJ
from meter2cash.reading.dlt645.bcd import BadDigits, DoesNotFit, bcd_from_decimal, decimal_from_bcd
from meter2cash.reading.dlt645.identifiers import (
    COMBINED_REACTIVE_1,
    DAILY_FROZEN_FORWARD_ACTIVE,
    DAILY_FROZEN_TIME,
    FORWARD_ACTIVE_TARIFF,
    FORWARD_ACTIVE_TOTAL,
    MAX_DEMAND_FORWARD_ACTIVE,
    METER_DATE,
    METER_TIME,
    BadValue,
    DataId,
    Demand,
    decode_value,
    encode_value,
)

FIRST, LAST = datetime(2000, 1, 1), datetime(2099, 12, 31)  # noqa: DTZ001 - hypothesis wants naive bounds
energies = st.integers(0, 99_999_999).map(lambda n: Decimal(n).scaleb(-2))
signed_energies = st.integers(-79_999_999, 79_999_999).map(lambda n: Decimal(n).scaleb(-2))


class TestBcdNumbers:
    def test_energy_is_four_bytes_low_byte_first_with_two_decimals(self) -> None:
        assert decimal_from_bcd(bytes.fromhex("56 34 12 00"), scale=2) == Decimal("1234.56")

    def test_a_value_keeps_the_decimals_of_its_format(self) -> None:
        assert str(decimal_from_bcd(bytes(4), scale=2)) == "0.00"
        assert str(decimal_from_bcd(bytes.fromhex("00 00 50 00"), scale=2)) == "5000.00"

    def test_a_nibble_above_nine_is_not_bcd(self) -> None:
        with pytest.raises(BadDigits):
            decimal_from_bcd(bytes.fromhex("5A 34 12 00"), scale=2)

    def test_the_top_bit_is_the_sign_of_a_signed_value(self) -> None:
        assert decimal_from_bcd(bytes.fromhex("09 21 03 80"), scale=2, signed=True) == Decimal("-321.09")

    @given(energies)
    def test_every_energy_value_round_trips_exactly(self, value: Decimal) -> None:
        decoded = decimal_from_bcd(bcd_from_decimal(value, size=4, scale=2), scale=2)
        assert decoded == value
        assert decoded.as_tuple().exponent == -2

    @given(signed_energies)
    def test_every_signed_value_round_trips_exactly(self, value: Decimal) -> None:
        encoded = bcd_from_decimal(value, size=4, scale=2, signed=True)
        assert decimal_from_bcd(encoded, scale=2, signed=True) == value

    @pytest.mark.parametrize(
        ("value", "signed"),
        [
            (Decimal("1000000.00"), False),
            (Decimal("1.234"), False),
            (Decimal("-1.00"), False),
            (Decimal("800000.00"), True),
        ],
    )
    def test_a_value_the_format_cannot_hold_is_refused(self, value: Decimal, signed: bool) -> None:
        with pytest.raises(DoesNotFit):
            bcd_from_decimal(value, size=4, scale=2, signed=signed)

    def test_a_float_is_refused(self) -> None:
        with pytest.raises(DoesNotFit):
            bcd_from_decimal(1.5, size=4, scale=2)  # type: ignore[arg-type]


class TestDataIdentifierValues:
    def test_tariffs_one_to_four_are_00010100_to_00010400(self) -> None:
        assert [FORWARD_ACTIVE_TARIFF[n].hex for n in range(1, 5)] == [
            "00010100",
            "00010200",
            "00010300",
            "00010400",
        ]

    def test_a_maximum_demand_carries_its_time(self) -> None:
        payload = bytes.fromhex("56 34 12") + bytes.fromhex("30 09 14 02 26")
        assert decode_value(MAX_DEMAND_FORWARD_ACTIVE, payload) == Demand(
            Decimal("12.3456"), datetime(2026, 2, 14, 9, 30, tzinfo=BJ)
        )

    def test_a_demand_never_recorded_has_no_time(self) -> None:
        assert decode_value(MAX_DEMAND_FORWARD_ACTIVE, bytes(8)) == Demand(Decimal("0.0000"), None)

    def test_the_meter_date_and_time_are_read_as_a_calendar_date_and_a_time(self) -> None:
        assert decode_value(METER_DATE, bytes.fromhex("00 01 03 26")) == date(2026, 3, 1)
        assert decode_value(METER_TIME, bytes.fromhex("15 30 08")) == time(8, 30, 15)

    def test_the_daily_freeze_is_a_block_of_registers_total_first(self) -> None:
        payload = encode_value(
            DAILY_FROZEN_FORWARD_ACTIVE, (Decimal("100.00"), Decimal("40.00"), Decimal("60.00"))
        )
        assert decode_value(DAILY_FROZEN_FORWARD_ACTIVE, payload) == (
            Decimal("100.00"),
            Decimal("40.00"),
            Decimal("60.00"),
        )
        assert decode_value(DAILY_FROZEN_TIME, bytes.fromhex("00 00 01 03 26")) == datetime(
            2026, 3, 1, tzinfo=BJ
        )

    @pytest.mark.parametrize(
        ("di", "payload"),
        [
            (FORWARD_ACTIVE_TOTAL, bytes(3)),
            (METER_DATE, bytes.fromhex("00 32 13 26")),
            (METER_DATE, bytes.fromhex("07 01 03 26")),
            (METER_TIME, bytes.fromhex("00 00 25")),
            (DAILY_FROZEN_FORWARD_ACTIVE, bytes(6)),
            (DAILY_FROZEN_TIME, bytes(5)),
        ],
    )
    def test_a_value_of_the_wrong_length_or_no_valid_date_is_refused(
        self, di: DataId, payload: bytes
    ) -> None:
        with pytest.raises(BadValue):
            decode_value(di, payload)

    @given(signed_energies)
    def test_combined_reactive_energy_round_trips_with_its_sign(self, value: Decimal) -> None:
        assert decode_value(COMBINED_REACTIVE_1, encode_value(COMBINED_REACTIVE_1, value)) == value

    @given(st.datetimes(min_value=FIRST, max_value=LAST))
    def test_the_meter_clock_round_trips_to_the_second(self, when: datetime) -> None:
        assert decode_value(METER_DATE, encode_value(METER_DATE, when.date())) == when.date()
        when_time = when.time().replace(microsecond=0)
        assert decode_value(METER_TIME, encode_value(METER_TIME, when_time)) == when_time
