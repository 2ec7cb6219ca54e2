"""The register history as Parquet files in ``<data_dir>/demo/``.

- ``daily_registers.parquet``: one row per customer meter and day it was on its service point,
  ordered by account, meter, day. Columns ``meter_no``, ``account_no``, ``day`` (date) and the
  readings ``total``, ``sharp``, ``peak``, ``flat``, ``valley`` (kWh), ``reactive`` (kvarh) at the
  end of the day (the daily freeze 日冻结 stamped 00:00 of the next day) as decimal text with the
  meter's 2 decimals, exactly as the meter shows them. TOU columns are
  null on meters without TOU registers, ``reactive`` on meters without a kvarh register, and
  every reading is null on a missed-reading day (漏抄).
- ``area_supply_registers.parquet``: the area supply meters (台区总表): ``area_code``,
  ``meter_no``, ``day``, ``total``.
- ``monthly_demand.parquet``: large-industry maximum demand: ``account_no``, ``month``
  (``YYYY-MM``), ``max_demand_kw`` (decimal text, primary side).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from meter2cash.demo.population import Bureau
from meter2cash.demo.simulation import Simulation

TOU_COLUMNS = ("sharp", "peak", "flat", "valley")


def _text(values: np.ndarray, present: np.ndarray, name: str) -> pl.Series:
    """Hundredths as decimal text (``1234.56``), null where not present."""
    where = np.flatnonzero(present)
    numbers = pl.DataFrame({"x": values[where]}).select(
        (pl.col("x") // 100).cast(pl.String) + "." + (pl.col("x") % 100 + 100).cast(pl.String).str.slice(1)
    )
    column = pl.repeat(None, len(values), dtype=pl.String, eager=True).alias(name)
    return column.scatter(where, numbers.to_series()) if len(where) else column


def daily_registers(bureau: Bureau, sim: Simulation) -> pl.DataFrame:
    meters = sim.meters
    order = np.lexsort((meters.first_day, meters.account))
    row, day = np.nonzero(sim.valid()[order])
    meter = order[row]
    present = ~sim.missing[meter, day]
    columns = [
        pl.Series("meter_no", meters.meter_no, dtype=pl.String).gather(meter),
        pl.Series("account_no", bureau.accounts.account_no, dtype=pl.String).gather(meters.account[meter]),
        pl.Series("day", sim.calendar.days, dtype=pl.Date).gather(day),
        _text(sim.total[meter, day], present, "total"),
    ]
    tou = present & meters.tou[meter]
    for x, name in enumerate(TOU_COLUMNS):
        columns.append(_text(sim.tou[meter, day, x], tou, name))
    columns.append(_text(sim.reactive[meter, day], present & meters.reactive[meter], "reactive"))
    return pl.DataFrame(columns)


def supply_registers(bureau: Bureau, sim: Simulation) -> pl.DataFrame:
    n_areas, n_days = sim.supply.shape
    area = np.repeat(np.arange(n_areas), n_days)
    day = np.tile(np.arange(n_days), n_areas)
    return pl.DataFrame(
        [
            pl.Series("area_code", [a.code for a in bureau.areas], dtype=pl.String).gather(area),
            pl.Series("meter_no", [a.supply_meter_no for a in bureau.areas], dtype=pl.String).gather(area),
            pl.Series("day", sim.calendar.days, dtype=pl.Date).gather(day),
            _text(sim.supply.reshape(-1), np.ones(n_areas * n_days, dtype=bool), "total"),
        ]
    )


def monthly_demand(sim: Simulation) -> pl.DataFrame:
    keys = sorted(sim.demand)
    return pl.DataFrame(
        {
            "account_no": [k[0] for k in keys],
            "month": [k[1] for k in keys],
            "max_demand_kw": [sim.demand[k] for k in keys],
        },
        schema={"account_no": pl.String, "month": pl.String, "max_demand_kw": pl.String},
    )


def write_parquet(frame: pl.DataFrame, path: Path) -> None:
    """Write atomically (temporary file, then rename) so a half-written file is never left."""
    partial = path.with_suffix(".parquet.partial")
    frame.write_parquet(partial, compression="zstd", statistics=True)
    partial.replace(path)
