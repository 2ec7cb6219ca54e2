"""Invariants of the pricing engine, checked by Hypothesis on many generated cases."""

from __future__ import annotations

from decimal import Decimal as D

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from meter2cash.billing.bills import PricingJob, price_job
from meter2cash.billing.pf_tables import official_tables
from meter2cash.billing.tariff import BasicChargeBy, Tou
from meter2cash.billing.usage import columns_of
from pricing_cases import P, bill, case, general, residential, two_part

energy = st.decimals(min_value=0, max_value=200000, places=2, allow_nan=False, allow_infinity=False)
days = st.integers(min_value=1, max_value=31)


def rtou() -> object:
    return residential(
        tou=Tou({P.PEAK: D("1.2"), P.FLAT: D(1), P.VALLEY: D("0.6")}), low_income_free_kwh=D(15)
    )


@settings(max_examples=200, deadline=None)
@given(kwh=energy, extra=st.decimals(min_value=0, max_value=1000, places=2), low_income=st.booleans())
def test_the_residential_charge_never_decreases_when_energy_grows(kwh: D, extra: D, low_income: bool) -> None:
    tariff = residential(low_income_free_kwh=D(15))
    smaller = bill(tariff, case(str(kwh), low_income=low_income))
    larger = bill(tariff, case(str(kwh + extra), low_income=low_income))
    assert larger.total >= smaller.total


@settings(max_examples=200, deadline=None)
@given(kwh=energy, extra=st.decimals(min_value=0, max_value=1000, places=2), demand=energy)
def test_the_two_part_charge_never_decreases_when_energy_grows(kwh: D, extra: D, demand: D) -> None:
    def usage(total: D) -> object:
        # A constant power factor (kvarh in proportion), so only the energy changes.
        return case(
            str(total),
            category="large_industry",
            capacity_kva=D(1000),
            kvarh=total * D("0.75"),
            pf_standard="0.90",
            basic_charge_by=BasicChargeBy.CONTRACT_DEMAND,
            contract_demand_kw=D(500),
            max_demand_kw=demand,
        )

    assert bill(two_part(), usage(kwh + extra)).total >= bill(two_part(), usage(kwh)).total  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(kwh=energy, period_days=days, ytd=energy)
def test_the_tier_split_adds_up_to_the_energy(kwh: D, period_days: int, ytd: D) -> None:
    from datetime import date, timedelta

    start = date(2026, 3, 1)
    b = bill(residential(), case(str(kwh), period=(start, start + timedelta(days=period_days))))
    assert sum(line.quantity for line in b.lines if line.code.startswith("energy.tier")) == kwh


@settings(max_examples=300, deadline=None)
@given(
    kwh=energy,
    peak=st.decimals(min_value=0, max_value=1, places=3),
    valley=st.decimals(min_value=0, max_value=1, places=3),
    low_income=st.booleans(),
)
def test_the_lines_sum_to_the_total(kwh: D, peak: D, valley: D, low_income: bool) -> None:
    peak_kwh = (kwh * peak / 2).quantize(D("0.01"))
    valley_kwh = min((kwh * valley / 2).quantize(D("0.01")), kwh - peak_kwh)
    tou = {P.PEAK: peak_kwh, P.VALLEY: valley_kwh}
    for tariff, usage in (
        (rtou(), case(str(kwh), kwh_tou=tou, low_income=low_income)),
        (general(seasons=True), case(str(kwh), category="general", kwh_tou=tou)),
        (
            two_part(),
            case(str(kwh), category="large_industry", capacity_kva=D(800), kvarh=kwh / 2, pf_standard="0.90"),
        ),
    ):
        b = bill(tariff, usage)  # type: ignore[arg-type]
        assert sum(line.amount for line in b.lines) == b.total
        assert all(line.amount == line.amount.quantize(D("0.01")) for line in b.lines)


@settings(max_examples=50, deadline=None)
@given(kwhs=st.lists(energy, min_size=1, max_size=30))
def test_a_batch_prices_each_account_exactly_as_a_single_quote(kwhs: list[D]) -> None:
    tariff = residential(low_income_free_kwh=D(15))
    cases = [case(str(k), low_income=i % 2 == 0) for i, k in enumerate(kwhs)]
    n = len(cases)
    job = PricingJob(
        accounts=n,
        usage=columns_of(cases),
        tariff_keys=np.array([tariff.version] * n, dtype=object),
        owners=np.arange(n),
        prefixes=np.array([""] * n, dtype=object),
        prefix_labels=np.array([""] * n, dtype=object),
        main_rows=np.arange(n),
    )
    batch = price_job(job=job, tariffs={tariff.version: tariff}, pf_tables=official_tables())
    for i, single in enumerate(cases):
        assert batch.bill(i) == bill(tariff, single)


@settings(max_examples=30, deadline=None)
@given(kwhs=st.lists(energy, min_size=1, max_size=12))
def test_the_stored_lines_are_the_lines_a_quote_shows(kwhs: list[D]) -> None:
    tariff = residential(low_income_free_kwh=D(15))
    cases = [case(str(k), low_income=i % 2 == 0) for i, k in enumerate(kwhs)]
    n = len(cases)
    job = PricingJob(
        accounts=n,
        usage=columns_of(cases),
        tariff_keys=np.array([tariff.version] * n, dtype=object),
        owners=np.arange(n),
        prefixes=np.array([""] * n, dtype=object),
        prefix_labels=np.array([""] * n, dtype=object),
        main_rows=np.arange(n),
    )
    priced = price_job(job=job, tariffs={tariff.version: tariff}, pf_tables=official_tables())
    stored = priced.storage_rows(quantity_scale=10**8)
    for index, row in enumerate(stored):
        line = priced.line(index)
        assert row[1:3] == (line.code, line.label)
        assert D(row[3]).scaleb(-8) == line.quantity
        assert row[4:6] == (line.unit, line.unit_price)
        assert D(row[6]).scaleb(-2) == line.amount
        assert row[7:] == (line.rule, line.tariff_version)
