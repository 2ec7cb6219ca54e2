"""Pricing a prepaid account's days with the billing engine: the `ChargeDays` of the balance
estimate. Pure (the tariffs and the account's position in its tiers are passed in).

Money for energy has one calculation, the billing engine (`billing.bills.price_job`); this module
only decides *what* it prices. A day's charge is the engine's price of the bill period's energy
up to and including the day, minus its price up to the day before::

    charge(day) = bill(energy in the period through the day) − bill(energy in the period before it)

both priced as the account's bill for the whole bill period (阶梯 thresholds, time-of-use, the
低保/五保 allowance and the funds exactly as the bill run applies them). So a day that crosses a
tier threshold pays each part at its tier's price, the marginal price follows the cumulative
usage, and the days of a period add up to the engine's bill for the period's energy to the fen,
with no rounding drift between the daily estimate (测算) and the monthly bill (结算).

- **Bill periods** (`BillPeriod`) are the account's reading periods ``[start, end)``, labelled
  ``YYYY-MM`` like its determinants. Monthly tiers run over the period (prorated by the engine
  when it is not a whole month); annual tiers (年阶梯) add the energy of the earlier periods of the
  label's year, as the bill run does.
- **The tariff** of a period is the version in force on its last day, as in a bill run.
- **Not estimated daily:** the basic charge of a two-part tariff (refused: it is monthly) and the
  power-factor adjustment (力调, monthly, from the month's kvarh).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import pairwise
from types import MappingProxyType

import numpy as np

from meter2cash.billing.bills import PricingJob, price_job
from meter2cash.billing.fixed_point import TooPrecise, decimal_of
from meter2cash.billing.tariff import Tariff, TouPeriod
from meter2cash.billing.usage import UsageCase, columns_of
from meter2cash.collection.prepaid_balance import ChargeDays
from meter2cash.collection.prepaid_usage import ONE_DAY, DayUsage

PERIOD_LABEL = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_Key = tuple[int, Decimal, tuple[tuple[TouPeriod, Decimal], ...]]


class CannotPrice(ValueError):
    """The engine cannot price the account's days; the message says why."""


@dataclass(frozen=True, slots=True)
class BillPeriod:
    """One reading period ``[start, end)`` of the account, labelled ``YYYY-MM`` (its tier year)."""

    label: str
    start: date
    end: date

    def __post_init__(self) -> None:
        if not PERIOD_LABEL.fullmatch(self.label):
            raise CannotPrice(f"a period label is written YYYY-MM: {self.label!r}")
        if self.end <= self.start:
            raise CannotPrice(f"the period {self.label} must end after it starts: {self.start} – {self.end}")


@dataclass(frozen=True, slots=True)
class TierPosition:
    """Where the account stands before the first day priced: the energy already used in that
    day's bill period (total and per time-of-use register) and, for annual tiers, the energy of the
    earlier periods of the same tier year (as the bill run's ``year_to_date_kwh``)."""

    period_kwh: Decimal = Decimal(0)
    period_tou: Mapping[TouPeriod, Decimal] = field(default_factory=lambda: MappingProxyType({}))
    year_kwh: Decimal = Decimal(0)


def engine_charges(
    *,
    tariffs: Sequence[Tariff],
    periods: Sequence[BillPeriod],
    position: TierPosition,
    category: str | None = None,
    low_income: bool = False,
) -> ChargeDays:
    """The `ChargeDays` that prices a run's usages with the billing engine (see the module rule).
    ``tariffs``: the versions of the account's tariff; ``periods``: its bill periods covering the
    run's days, in order; ``category``: its customer class (default: the tariff's)."""
    ordered = sorted(periods, key=lambda p: p.start)
    for before, after in pairwise(ordered):
        if after.start != before.end:
            raise CannotPrice(f"the bill periods {before.label} and {after.label} do not meet")
    in_force = [_tariff_of(tariffs, period) for period in ordered]

    def charge(usages: Sequence[DayUsage]) -> list[Decimal]:
        return _charges(usages, ordered, in_force, position, category, low_income)

    return charge


def _tariff_of(tariffs: Sequence[Tariff], period: BillPeriod) -> Tariff:
    last_day = period.end - ONE_DAY
    found = [t for t in tariffs if t.effective_on(last_day)]
    if len(found) != 1:
        raise CannotPrice(
            f"{len(found)} tariff versions in force on {last_day} (period {period.label}); need one"
        )
    tariff = found[0]
    if tariff.basic is not None:
        raise CannotPrice(
            f"两部制电价{tariff.version}的基本电费按月计收，不做日测算 "
            "a two-part tariff's basic charge is monthly: it is not estimated daily"
        )
    return tariff


def _charges(
    usages: Sequence[DayUsage],
    periods: list[BillPeriod],
    tariffs: list[Tariff],
    position: TierPosition,
    category: str | None,
    low_income: bool,
) -> list[Decimal]:
    rows: dict[_Key, UsageCase] = {}
    pairs: list[tuple[_Key, _Key]] = []
    index = 0
    total, tou, year = position.period_kwh, dict(position.period_tou), position.year_kwh
    for usage in usages:
        found = _period_index(periods, usage.day, start=index)
        if found != index:
            for skipped in range(index, found):  # earlier periods of the run close: their energy
                same_year = periods[skipped].label[:4] == periods[skipped + 1].label[:4]
                year = year + total if same_year else Decimal(0)
                total, tou = Decimal(0), {}
            index = found
        before = _row(rows, index, periods[index], tariffs[index], total, tou, year, category, low_income)
        total += usage.kwh
        for register, kwh in usage.periods.items():
            tou[register] = tou.get(register, Decimal(0)) + kwh
        after = _row(rows, index, periods[index], tariffs[index], total, tou, year, category, low_income)
        pairs.append((before, after))
    priced = _price(rows, {key: tariffs[key[0]] for key in rows})
    return [priced[after] - priced[before] for before, after in pairs]


def _period_index(periods: list[BillPeriod], day: date, *, start: int) -> int:
    for number in range(start, len(periods)):
        if periods[number].start <= day < periods[number].end:
            return number
    raise CannotPrice(f"no bill period (from {periods[start].label if periods else '—'}) holds the day {day}")


def _row(
    rows: dict[_Key, UsageCase],
    index: int,
    period: BillPeriod,
    tariff: Tariff,
    total: Decimal,
    tou: Mapping[TouPeriod, Decimal],
    year: Decimal,
    category: str | None,
    low_income: bool,
) -> _Key:
    periods: dict[TouPeriod, Decimal] = {p: kwh for p, kwh in tou.items() if p is not TouPeriod.FLAT}
    # 平 = 总 − the others: the engine derives it
    key: _Key = (index, total, tuple(sorted(periods.items())))
    rows.setdefault(
        key,
        UsageCase(
            start=period.start,
            end=period.end,
            category=category or tariff.category.value,
            kwh_total=total,
            kwh_tou=periods,
            low_income=low_income,
            year_to_date_kwh=year,
        ),
    )
    return key


def _price(rows: Mapping[_Key, UsageCase], tariffs: Mapping[_Key, Tariff]) -> dict[_Key, Decimal]:
    """Every row's bill total, in one call of the engine."""
    keys = list(rows)
    if not keys:
        return {}
    versions = np.empty(len(keys), dtype=object)
    versions[:] = [tariffs[key].version for key in keys]
    blank = np.empty(len(keys), dtype=object)
    blank[:] = [""] * len(keys)
    try:
        job = PricingJob(
            accounts=len(keys),
            usage=columns_of([rows[key] for key in keys]),
            tariff_keys=versions,
            owners=np.arange(len(keys), dtype=np.intp),
            prefixes=blank,
            prefix_labels=blank,
            main_rows=np.arange(len(keys), dtype=np.intp),
        )
        priced = price_job(job=job, tariffs={t.version: t for t in tariffs.values()}, pf_tables={})
    except TooPrecise as error:
        raise CannotPrice(str(error)) from None
    for number, reason in enumerate(priced.errors.tolist()):
        if reason:
            raise CannotPrice(f"{reason} ({rows[keys[number]].start} – {rows[keys[number]].end})")
    return {key: decimal_of(int(priced.totals[number]), scale=100) for number, key in enumerate(keys)}
