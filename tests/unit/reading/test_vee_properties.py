"""Invariants of the reading checks, over generated readings."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from meter2cash.reading.vee import RegisterSpec
from vee_factory import JAN, TOU, codes, meter, reading, run

D = Decimal


@st.composite
def register_values(draw: st.DrawFn, spec: RegisterSpec, count: int) -> list[Decimal]:
    steps = int(spec.modulus / spec.resolution)
    return [draw(st.integers(0, steps - 1)) * spec.resolution for _ in range(count)]


class TestEngineInvariants:
    @given(st.data())
    def test_no_sequence_of_valid_readings_yields_negative_consumption(self, data: st.DataObject) -> None:
        spec = RegisterSpec(data.draw(st.integers(4, 8)), data.draw(st.integers(0, 3)))
        values = data.draw(register_values(spec, data.draw(st.integers(2, 6))))
        readings = [reading(JAN + timedelta(days=30 * i), value) for i, value in enumerate(values)]
        result = run(*readings, on=meter(digits=(spec.integer_digits, spec.decimal_digits)))
        for verdict in result.readings:
            assert verdict.consumption_kwh is None or verdict.consumption_kwh >= 0
            assert (verdict.consumption_kwh is None) == (
                "ROLLBACK" in codes(result, verdict.index) or verdict.index == 0
            )

    @given(st.data())
    def test_tou_sum_never_fires_when_the_registers_add_up_to_the_total(self, data: st.DataObject) -> None:
        spec = RegisterSpec(data.draw(st.integers(4, 8)), data.draw(st.integers(0, 3)))
        parts = data.draw(register_values(spec, 4))
        total = sum(parts, D(0)) % spec.modulus  # the total wraps on its own once it passes the maximum
        tou = {name.value: value for name, value in zip(TOU, parts, strict=True)}
        on = meter(digits=(spec.integer_digits, spec.decimal_digits), tou=TOU)
        assert codes(run(reading(JAN, total, tou=tou), on=on)) == []

    @given(st.data())
    def test_tou_sum_fires_when_one_register_is_off_by_more_than_the_tolerance(
        self, data: st.DataObject
    ) -> None:
        spec = RegisterSpec(6, 2)
        parts = data.draw(register_values(RegisterSpec(4, 2), 4))
        total = sum(parts, D(0)) + data.draw(st.sampled_from([D("-1"), D("0.05"), D("12.34")]))
        tou = {name.value: value for name, value in zip(TOU, parts, strict=True)}
        on = meter(digits=(spec.integer_digits, spec.decimal_digits), tou=TOU)
        result = run(reading(JAN, (total + spec.modulus) % spec.modulus, tou=tou), on=on)
        assert codes(result) == ["TOU_SUM"]
