"""What the pricing engine prices: one row per account (or per component of an account's
energy), as exact integer columns. Pure.

Energy, demand and capacity are integers in 10⁻⁴ units (`fixed_point.QTY`). A row's period is
``[start, end)``; ``basic_days`` are the days of use in the month for a basic charge prorated at
1/30 per day (new connection, capacity change, suspension, termination; 0 = the whole month).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from meter2cash.billing.fixed_point import QTY, Ints, column, scaled
from meter2cash.billing.tariff import BasicChargeBy, TouPeriod


@dataclass(frozen=True, slots=True)
class UsageCase:
    """One account's determinants and contract facts, as a clerk or a quote states them."""

    start: date
    end: date
    category: str
    kwh_total: Decimal | None = None
    kwh_tou: Mapping[TouPeriod, Decimal] = field(default_factory=dict)
    kvarh: Decimal | None = None
    max_demand_kw: Decimal | None = None
    capacity_kva: Decimal = Decimal(0)
    contract_demand_kw: Decimal | None = None
    basic_charge_by: BasicChargeBy = BasicChargeBy.CAPACITY
    basic_days: int = 0
    pf_standard: str = "none"
    low_income: bool = False
    year_to_date_kwh: Decimal = Decimal(0)
    transformer_loss_kwh: Decimal = Decimal(0)  # per month, from the loss table
    transformer_loss_kvarh: Decimal = Decimal(0)
    line_loss_kwh: Decimal = Decimal(0)
    deduct_kwh: Decimal = Decimal(0)  # 套扣: sub-meters' energy billed elsewhere
    deduct_tou: Mapping[TouPeriod, Decimal] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        if self.kwh_total is not None:
            return self.kwh_total
        return sum(self.kwh_tou.values(), Decimal(0))


@dataclass(frozen=True)
class UsageColumns:
    """Rows to price with one tariff version."""

    periods: Sequence[tuple[date, date]]  # the distinct ``[start, end)`` periods
    period_of: npt.NDArray[np.intp]  # each row's index into ``periods``
    categories: npt.NDArray[np.object_]
    kwh: Ints
    tou: Mapping[TouPeriod, Ints]  # the periods the meters gave; flat is derived from the total
    has_tou: npt.NDArray[np.bool_]
    kvarh: Ints
    has_kvarh: npt.NDArray[np.bool_]
    demand: Ints
    has_demand: npt.NDArray[np.bool_]
    capacity: Ints
    contract_demand: Ints
    has_contract: npt.NDArray[np.bool_]
    basic_by: npt.NDArray[np.object_]
    basic_days: Ints
    pf_standard: npt.NDArray[np.object_]
    low_income: npt.NDArray[np.bool_]
    year_to_date: Ints
    transformer_loss: Ints
    transformer_loss_kvarh: Ints
    line_loss: Ints
    deduct: Ints
    deduct_tou: Mapping[TouPeriod, Ints]

    def __len__(self) -> int:
        return len(self.kwh)

    def take(self, rows: npt.NDArray[np.intp]) -> UsageColumns:
        """The same columns for a subset of rows."""
        return UsageColumns(
            periods=self.periods,
            period_of=self.period_of[rows],
            categories=self.categories[rows],
            kwh=self.kwh[rows],
            tou={p: c[rows] for p, c in self.tou.items()},
            has_tou=self.has_tou[rows],
            kvarh=self.kvarh[rows],
            has_kvarh=self.has_kvarh[rows],
            demand=self.demand[rows],
            has_demand=self.has_demand[rows],
            capacity=self.capacity[rows],
            contract_demand=self.contract_demand[rows],
            has_contract=self.has_contract[rows],
            basic_by=self.basic_by[rows],
            basic_days=self.basic_days[rows],
            pf_standard=self.pf_standard[rows],
            low_income=self.low_income[rows],
            year_to_date=self.year_to_date[rows],
            transformer_loss=self.transformer_loss[rows],
            transformer_loss_kvarh=self.transformer_loss_kvarh[rows],
            line_loss=self.line_loss[rows],
            deduct=self.deduct[rows],
            deduct_tou={p: c[rows] for p, c in self.deduct_tou.items()},
        )


def _q(value: Decimal, what: str) -> int:
    return scaled(value, scale=QTY, what=what)


def _objects(values: Sequence[object]) -> npt.NDArray[np.object_]:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def period_index(pairs: Sequence[tuple[date, date]]) -> dict[str, object]:
    """``periods`` and ``period_of`` for each row's ``(start, end)``."""
    table: dict[tuple[date, date], int] = {}
    index = np.fromiter((table.setdefault(p, len(table)) for p in pairs), dtype=np.intp, count=len(pairs))
    return {"periods": list(table), "period_of": index}


def columns_of(cases: Sequence[UsageCase]) -> UsageColumns:
    """Columns from cases (a quote, tests, a small run). Bulk runs build columns directly."""
    periods = [p for p in TouPeriod if p is not TouPeriod.FLAT]
    tou_given = {p for case in cases for p in case.kwh_tou}
    deduct_given = {p for case in cases for p in case.deduct_tou}
    return UsageColumns(
        **period_index([(c.start, c.end) for c in cases]),  # type: ignore[arg-type]
        categories=_objects([c.category for c in cases]),
        kwh=column(_q(c.total, "kwh") for c in cases),
        tou={
            p: column(_q(c.kwh_tou.get(p, Decimal(0)), f"kwh.{p}") for c in cases)
            for p in periods
            if p in tou_given
        },
        has_tou=np.array([bool(c.kwh_tou) for c in cases], dtype=bool),
        kvarh=column(_q(c.kvarh or Decimal(0), "kvarh") for c in cases),
        has_kvarh=np.array([c.kvarh is not None for c in cases], dtype=bool),
        demand=column(_q(c.max_demand_kw or Decimal(0), "max_demand_kw") for c in cases),
        has_demand=np.array([c.max_demand_kw is not None for c in cases], dtype=bool),
        capacity=column(_q(c.capacity_kva, "capacity_kva") for c in cases),
        contract_demand=column(_q(c.contract_demand_kw or Decimal(0), "contract_demand_kw") for c in cases),
        has_contract=np.array([c.contract_demand_kw is not None for c in cases], dtype=bool),
        basic_by=_objects([BasicChargeBy(c.basic_charge_by).value for c in cases]),
        basic_days=column(c.basic_days for c in cases),
        pf_standard=_objects([c.pf_standard for c in cases]),
        low_income=np.array([c.low_income for c in cases], dtype=bool),
        year_to_date=column(_q(c.year_to_date_kwh, "year_to_date_kwh") for c in cases),
        transformer_loss=column(_q(c.transformer_loss_kwh, "transformer_loss_kwh") for c in cases),
        transformer_loss_kvarh=column(_q(c.transformer_loss_kvarh, "transformer_loss_kvarh") for c in cases),
        line_loss=column(_q(c.line_loss_kwh, "line_loss_kwh") for c in cases),
        deduct=column(_q(c.deduct_kwh, "deduct_kwh") for c in cases),
        deduct_tou={
            p: column(_q(c.deduct_tou.get(p, Decimal(0)), f"deduct.{p}") for c in cases)
            for p in periods
            if p in deduct_given
        },
    )
