"""Benchmark: the bill run (电费计算) — 1,000,000 accounts priced from billing determinants to
draft bills, as computation alone and end to end on SQLite and PostgreSQL.

The accounts are a realistic 蒙西 mix from the shipped catalog: ≈ 85 % residential (MX-RES-1
tiered; ≈ 10 % of them on MX-RES-TOU with peak/valley kWh; ≈ 3 % low-income; some vacant houses
at 0 kWh), 12 % general (MX-GEN-1 time of use, a few meters without period registers, 0.85
power-factor standard from 100 kVA with kvarh), 2 % agriculture (MX-AGR-1, 0.80 standard from
100 kVA), 1 % large industry (MX-LI-10KV two-part: by capacity, by contract demand — some below
the 40 % floor, some above 105 % — or by actual demand; kvarh for the 0.90 standard; a third with
transformer and line losses, 高供低计). Sixty route books read on the 1st, 5th, 10th, 15th, 20th
and 25th, so the June period ends on six different days and all but the 1st span the 蒙西 season
change (May windy season → June calm season, day-weighted TOU multipliers); ≈ 0.3 % new
connections and ≈ 0.1 % terminations have part periods; ≈ 1 % of the TOU residents changed
tariff last year (two assignments).

What is timed:

1. *Computation alone* — the same accounts built directly as a `PricingJob` of columns (no
   database), ``price_job`` timed best and median of ``--runs``; separately the time to make
   every bill line: one `BillLine` object at a time (``PricedAccounts.line(i)``, what a bill
   view or a quote does) and as storage rows (``PricedAccounts.storage_rows``, what the bill run
   writes).
2. *End to end* — a fresh migrated database per backend, seeded fast with bulk inserts
   (executemany on SQLite, COPY on PostgreSQL; not timed, reported separately), then one
   ``run_bills(ctx, actor="clerk", period="2026-06")`` call from the first query to the last
   commit: determinants, archive and tariffs read, priced, draft bills and lines written, chunk by
   chunk. Verified afterwards (bills = accounts, Σ line amounts = Σ bill totals, every bill's lines
   add up to its total) and run again: the re-run must price nothing. Each phase runs in its own
   process so its peak RSS is its own.

PostgreSQL: the URL in ``M2C_TEST_POSTGRES_URL`` (a throwaway database is created in it and
dropped afterwards); when unset, the script re-runs itself under ``scripts/with-postgres``, which
starts a throwaway cluster (fsync=off — real servers write slower).

Targets (2-core machine): computation under 5 s; end to end under 60 s on PostgreSQL.

Run:  .venv/bin/python bench/billing_bench.py [--accounts 1000000] [--backends sqlite,postgresql]
      [--skip-e2e] [--runs 3] [--chunk-size 20000] [--profile] [--output FILE]
      (default output: bench/results/billing.json; quick run: --accounts 20000)
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import itertools
import json
import os
import platform
import pstats
import re
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from meter2cash.billing.bill_model import QUANTITY, Bill, BillLine, BillRun
from meter2cash.billing.bill_run import CHUNK, run_bills
from meter2cash.billing.bills import PricingJob, price_job
from meter2cash.billing.catalog import load_catalog
from meter2cash.billing.catalog_files import bundled_catalog, bundled_catalog_path
from meter2cash.billing.pf_tables import official_tables
from meter2cash.billing.tariff import TouPeriod
from meter2cash.billing.usage import UsageColumns, period_index
from meter2cash.platform.clock import FixedClock
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import make_engine, unit_of_work
from meter2cash.platform.migrate import upgrade
from meter2cash.platform.permissions import Role
from meter2cash.platform.settings import Settings
from meter2cash.platform.users import create_user

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results" / "billing.json"
PG_ENV = "M2C_TEST_POSTGRES_URL"

PERIOD = "2026-06"
RUN_AT = datetime(2026, 6, 28, 2, 0, tzinfo=UTC)  # the injected clock: after the last reading day
SEED = 20260628
BOOKS, AREAS = 60, 150
READING_DAYS = (1, 5, 10, 15, 20, 25)  # route book b reads on READING_DAYS[b % 6]
CHANGE_DAY = "2025-07-01"  # the day some residents moved from MX-RES-1 to MX-RES-TOU
CLERK, MANAGER = "clerk", "manager"
TARGET_COMPUTATION_S = 5.0
TARGET_E2E_PG_S = 60.0

CODES = ("MX-RES-1", "MX-RES-TOU", "MX-GEN-1", "MX-AGR-1", "MX-LI-10KV")
CATEGORIES = ("residential", "residential", "general", "agriculture", "large_industry")
VOLTAGES = ("220V", "220V", "380V", "380V", "10kV")
RES, RES_TOU, GEN, AGR, LI = range(5)

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Objects = npt.NDArray[np.object_]
Days = npt.NDArray[np.datetime64]


# --------------------------------------------------------------------------- the accounts


@dataclass(frozen=True)
class Population:
    """One row per account; energy, demand and capacity in 10⁻⁴ units (the engine's scale)."""

    n: int
    tariff: npt.NDArray[np.int8]  # index into CODES
    low_income: Bools
    pf_standard: Objects
    basic_by: Objects
    payment: Objects
    capacity: Ints
    contract: Ints
    has_contract: Bools
    t_loss: Ints  # 0 = none (NULL in the archive)
    t_kvarh: Ints
    l_loss: Ints
    book: Ints
    area: Ints
    start: Days
    end: Days
    opened: Days
    closed: Days  # NaT when open
    changed: Bools  # has an earlier, closed tariff assignment
    kwh: Ints
    sharp: Ints
    peak: Ints
    valley: Ints
    has_sharp: Bools
    has_tou: Bools
    kvarh: Ints
    has_kvarh: Bools
    demand: Ints
    has_demand: Bools
    estimated: Bools

    @property
    def codes(self) -> Objects:
        out: Objects = np.array(CODES, dtype=object)[self.tariff]
        return out

    @property
    def categories(self) -> Objects:
        out: Objects = np.array(CATEGORIES, dtype=object)[self.tariff]
        return out

    @property
    def part(self) -> Bools:
        """Not one whole month (`pricing.is_whole_month`; every reading day here is ≤ 28)."""
        start_m = self.start.astype("datetime64[M]")
        start_day = (self.start - start_m).astype(np.int64)
        end_m = self.end.astype("datetime64[M]")
        end_day = (self.end - end_m).astype(np.int64)
        whole: Bools = (end_m - start_m == np.timedelta64(1, "M")) & (start_day == end_day)
        return ~whole

    def basic_days(self) -> Ints:
        """As the bill run reads them (``run_inputs._basic_days``): days of use when the account
        opened or closed inside the determinant's period, else 0 (the whole month)."""
        first = np.maximum(self.start, self.opened)
        last = np.where(np.isnat(self.closed), self.end, np.minimum(self.end, self.closed))
        whole = (first == self.start) & (last == self.end)
        days = np.maximum((last - first).astype(np.int64), 0)
        out: Ints = np.where(whole, 0, days).astype(np.int64)
        return out


def _kwh(values: npt.NDArray[np.float64]) -> Ints:
    """kWh with 2 decimals (a register × multiplier), in 10⁻⁴ units."""
    out: Ints = np.floor(values * 100).astype(np.int64) * 100
    return out


def _whole(values: npt.NDArray[np.float64]) -> Ints:
    out: Ints = np.rint(values).astype(np.int64) * 10**4
    return out


def population(n: int, seed: int = SEED) -> Population:
    rng = np.random.default_rng(seed)
    r = rng.random(n)
    tariff = np.full(n, RES, dtype=np.int8)
    tariff[r >= 0.85] = GEN
    tariff[r >= 0.97] = AGR
    tariff[r >= 0.99] = LI
    residential = tariff == RES
    tariff[residential & (rng.random(n) < 0.10)] = RES_TOU
    res_tou, gen, agr, li = (tariff == k for k in (RES_TOU, GEN, AGR, LI))
    residential = (tariff == RES) | res_tou

    # Energy: a month of use.
    use = np.where(
        residential,
        rng.gamma(2.0, 110.0, n),
        np.where(gen, rng.gamma(1.5, 1200.0, n), rng.gamma(2.0, 1500.0, n)),
    )
    use = np.where(li, np.exp(rng.uniform(np.log(3e4), np.log(3e6), n)), use)
    use[residential & (rng.random(n) < 0.02)] = 0.0  # vacant houses
    kwh = _kwh(use)

    # Time-of-use registers.
    has_tou = res_tou | (gen & (rng.random(n) < 0.95)) | li
    has_sharp = (gen & has_tou & (rng.random(n) < 0.4)) | li
    sharp_share = np.where(li, rng.uniform(0.04, 0.08, n), rng.uniform(0.03, 0.08, n))
    peak_share = np.where(
        res_tou,
        rng.uniform(0.30, 0.45, n),
        np.where(li, rng.uniform(0.25, 0.33, n), rng.uniform(0.28, 0.38, n)),
    )
    valley_share = np.where(
        res_tou,
        rng.uniform(0.20, 0.35, n),
        np.where(li, rng.uniform(0.28, 0.38, n), rng.uniform(0.20, 0.32, n)),
    )
    real = kwh.astype(np.float64) / 10**4
    zero = np.zeros(n, dtype=np.int64)
    sharp = np.where(has_sharp, _kwh(real * sharp_share), zero)
    peak = np.where(has_tou, _kwh(real * peak_share), zero)
    valley = np.where(has_tou, _kwh(real * valley_share), zero)

    # Contract: capacity, power-factor standard, two-part basic charge, losses.
    capacity_kva = np.where(
        residential,
        rng.choice([4, 6, 8, 10], n, p=[0.2, 0.3, 0.4, 0.1]),
        np.where(
            gen,
            rng.choice(
                [20, 30, 50, 80, 100, 160, 200, 315], n, p=[0.2, 0.2, 0.2, 0.15, 0.1, 0.08, 0.05, 0.02]
            ),
            rng.choice([10, 20, 50, 100, 160], n, p=[0.2, 0.3, 0.2, 0.2, 0.1]),
        ),
    )
    li_sizes = [315, 400, 500, 630, 800, 1000, 1250, 1600, 2000, 2500, 3150, 4000, 5000, 6300, 8000, 10000]
    capacity_kva = np.where(li, rng.choice(li_sizes, n), capacity_kva).astype(np.float64)
    pf_standard = np.full(n, "none", dtype=object)
    pf_standard[gen & (capacity_kva >= 100)] = "0.85"
    pf_standard[agr & (capacity_kva >= 100)] = "0.80"
    pf_standard[li] = "0.90"
    has_kvarh = (pf_standard != "none") | li
    cos_phi = rng.uniform(0.72, 0.99, n)
    kvarh = np.where(has_kvarh, _kwh(real * np.tan(np.arccos(cos_phi))), zero)

    how = rng.random(n)
    basic_by = np.full(n, "capacity", dtype=object)
    basic_by[li & (how >= 0.5)] = "contract_demand"
    basic_by[li & (how >= 0.9)] = "actual_demand"
    has_contract = basic_by == "contract_demand"
    contract_kw = np.maximum(np.rint(capacity_kva * rng.uniform(0.30, 0.90, n)), 1.0)
    demand_kw = np.where(
        has_contract, contract_kw * rng.uniform(0.60, 1.25, n), capacity_kva * rng.uniform(0.25, 0.85, n)
    )
    has_demand = li.copy()
    demand = np.where(has_demand, np.rint(demand_kw * 10**4).astype(np.int64), zero)
    contract = np.where(has_contract, _whole(contract_kw), zero)

    lossy = li & (rng.random(n) < 0.3)
    t_loss_kwh = np.rint(capacity_kva * rng.uniform(1.0, 3.0, n))
    t_loss = np.where(lossy, _whole(t_loss_kwh), zero)
    t_kvarh = np.where(lossy, _whole(t_loss_kwh * rng.uniform(3.0, 6.0, n)), zero)
    l_loss = np.where(lossy & (rng.random(n) < 0.33), _whole(rng.uniform(50, 500, n)), zero)

    # Route books, periods, openings and closings.
    book = rng.integers(0, BOOKS, n).astype(np.int64)
    day = np.array(READING_DAYS, dtype=np.int64)[book % len(READING_DAYS)]
    start = np.datetime64("2026-05-01") + (day - 1).astype("timedelta64[D]")
    end = np.datetime64("2026-06-01") + (day - 1).astype("timedelta64[D]")
    length = (end - start).astype(np.int64)
    kind = rng.random(n)
    new = kind < 0.003
    gone = (kind >= 0.003) & (kind < 0.004)
    offset = (rng.random(n) * (length - 1)).astype(np.int64) + 1  # 1 … length − 1 days
    start = np.where(new, start + offset.astype("timedelta64[D]"), start)
    end = np.where(gone, start + offset.astype("timedelta64[D]"), end)
    opened = np.datetime64("2010-01-01") + rng.integers(0, 5800, n).astype("timedelta64[D]")
    opened = np.where(new, start, opened)
    closed = np.where(gone, end, np.datetime64("NaT", "D"))
    part_scale = np.where(new | gone, (end - start).astype(np.int64) / length, 1.0)
    # a part period uses part of a month's energy
    for values in (kwh, sharp, peak, valley, kvarh):
        values[:] = np.floor(values * part_scale / 100).astype(np.int64) * 100
    changed = res_tou & (opened < np.datetime64(CHANGE_DAY)) & (rng.random(n) < 0.01)

    residential_pay = rng.choice(["postpaid", "smart_prepaid", "card_prepaid"], n, p=[0.6, 0.35, 0.05])
    payment = np.where(residential, residential_pay, "postpaid").astype(object)
    return Population(
        n=n,
        tariff=tariff,
        low_income=residential & (rng.random(n) < 0.03),
        pf_standard=pf_standard,
        basic_by=basic_by,
        payment=payment,
        capacity=_whole(capacity_kva),
        contract=contract,
        has_contract=has_contract,
        t_loss=t_loss,
        t_kvarh=t_kvarh,
        l_loss=l_loss,
        book=book,
        area=rng.integers(0, AREAS, n).astype(np.int64),
        start=start,
        end=end,
        opened=opened,
        closed=closed,
        changed=changed,
        kwh=kwh,
        sharp=sharp,
        peak=peak,
        valley=valley,
        has_sharp=has_sharp,
        has_tou=has_tou,
        kvarh=kvarh,
        has_kvarh=has_kvarh,
        demand=demand,
        has_demand=has_demand,
        estimated=rng.random(n) < 0.03,
    )


def mix(pop: Population) -> dict[str, object]:
    """What the accounts are, for the report."""
    li = pop.tariff == LI
    excess = pop.has_contract & (pop.demand * 100 > pop.contract * 105)
    floor = pop.has_contract & (pop.contract * 10 < pop.capacity * 4)
    return {
        "by_tariff": {code: int((pop.tariff == k).sum()) for k, code in enumerate(CODES)},
        "low_income": int(pop.low_income.sum()),
        "zero_kwh": int((pop.kwh == 0).sum()),
        "tou_meters": int(pop.has_tou.sum()),
        "power_factor_assessed": {s: int((pop.pf_standard == s).sum()) for s in ("0.90", "0.85", "0.80")},
        "large_industry_basic_by": {
            b: int((li & (pop.basic_by == b)).sum()) for b in ("capacity", "contract_demand", "actual_demand")
        },
        "contract_demand_below_40pct_floor": int(floor.sum()),
        "demand_above_105pct_of_contract": int(excess.sum()),
        "with_transformer_losses": int((pop.t_loss > 0).sum()),
        "with_line_losses": int((pop.l_loss > 0).sum()),
        "whole_periods_by_end_day": _end_days(pop),
        "part_periods": int(pop.part.sum()),
        "new_connections": int((pop.opened == pop.start).sum()),
        "terminations": int((~np.isnat(pop.closed)).sum()),
        "two_tariff_assignments": int(pop.changed.sum()),
        "estimated_determinants": int(pop.estimated.sum()),
    }


def _end_days(pop: Population) -> dict[str, int]:
    whole = ~pop.part
    days, counts = np.unique(pop.end[whole], return_counts=True)
    return {str(d): int(c) for d, c in zip(days, counts, strict=True)}


# --------------------------------------------------------------------------- computation alone


def pricing_job(pop: Population) -> tuple[PricingJob, dict[str, Any]]:
    """The job the bill run builds from the database (`run_inputs.load_inputs`), built directly."""
    catalog = {t.code: t for t in bundled_catalog()}
    tariffs = {t.version: t for t in catalog.values()}
    versions = np.array([catalog[c].version for c in CODES], dtype=object)
    starts = pop.start.astype(object).tolist()
    ends = pop.end.astype(object).tolist()
    zeros = np.zeros(pop.n, dtype=np.int64)
    blank = np.full(pop.n, "", dtype=object)
    usage = UsageColumns(
        **period_index(list(zip(starts, ends, strict=True))),  # type: ignore[arg-type]
        categories=pop.categories,
        kwh=pop.kwh,
        tou={TouPeriod.SHARP: pop.sharp, TouPeriod.PEAK: pop.peak, TouPeriod.VALLEY: pop.valley},
        has_tou=pop.has_tou,
        kvarh=pop.kvarh,
        has_kvarh=pop.has_kvarh,
        demand=pop.demand,
        has_demand=pop.has_demand,
        capacity=pop.capacity,
        contract_demand=pop.contract,
        has_contract=pop.has_contract,
        basic_by=pop.basic_by,
        basic_days=pop.basic_days(),
        pf_standard=pop.pf_standard,
        low_income=pop.low_income,
        year_to_date=zeros,
        transformer_loss=pop.t_loss,
        transformer_loss_kvarh=pop.t_kvarh,
        line_loss=pop.l_loss,
        deduct=zeros,
        deduct_tou={},
    )
    job = PricingJob(
        accounts=pop.n,
        usage=usage,
        tariff_keys=versions[pop.tariff],
        owners=np.arange(pop.n, dtype=np.intp),
        prefixes=blank,
        prefix_labels=blank.copy(),
        main_rows=np.arange(pop.n, dtype=np.intp),
    )
    return job, tariffs


def computation(n: int, runs: int) -> dict[str, object]:
    """Child process: time ``price_job`` on a job built as columns, then every line's object."""
    pop = population(n)
    t0 = time.perf_counter()
    job, tariffs = pricing_job(pop)
    build = time.perf_counter() - t0
    tables = official_tables()
    timings: list[float] = []
    cpu: list[float] = []
    priced = None
    for _ in range(runs):
        priced = None  # let the previous result go before the next run
        c0, t0 = time.process_time(), time.perf_counter()
        priced = price_job(job=job, tariffs=tariffs, pf_tables=tables)
        timings.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    assert priced is not None
    errors = priced.errors[priced.errors != ""]
    assert len(errors) == 0, sorted(set(errors.tolist()))[:5]
    lines = len(priced.line_owner)
    # What the bill run stores: every line as a row, made block by block (`storage_rows`).
    scale = 10**QUANTITY.scale
    c0, t0 = time.process_time(), time.perf_counter()
    stored = priced.storage_rows(quantity_scale=scale)
    storage, storage_cpu = time.perf_counter() - t0, time.process_time() - c0
    assert len(stored) == lines
    # One BillLine at a time (a bill view, a quote).
    c0, t0 = time.process_time(), time.perf_counter()
    codes: dict[str, int] = {}
    amount = 0
    for i in range(lines):
        line = priced.line(i)
        head = line.code.split(".")[0]
        codes[head] = codes.get(head, 0) + 1
        amount += int(line.amount * 100)
    materialise, materialise_cpu = time.perf_counter() - t0, time.process_time() - c0
    # Not timed: both ways must give the same lines.
    differ: list[str] = []
    for i in range(lines):
        line, row = priced.line(i), stored[i]
        if (
            row[1] != line.code
            or row[2] != line.label
            or Decimal(row[3]).scaleb(-QUANTITY.scale) != line.quantity
            or (row[4], row[5], row[7], row[8])
            != (line.unit, line.unit_price, line.rule, line.tariff_version)
            or row[6] != int(line.amount * 100)
        ) and len(differ) < 5:
            differ.append(f"line {i}: stored {row!r} ≠ line() {line!r}")
    assert amount == int(priced.totals.sum()) == sum(row[6] for row in stored)
    del stored
    best, median = min(timings), statistics.median(timings)
    return {
        "accounts": n,
        "distinct_periods": len(job.usage.periods),
        "runs": runs,
        "seconds_build_job_from_columns": round(build, 2),
        "seconds_price_job": [round(t, 3) for t in timings],
        "seconds_price_job_best": round(best, 3),
        "seconds_price_job_median": round(median, 3),
        "cpu_seconds_price_job": [round(t, 3) for t in cpu],
        "accounts_per_second_best": round(n / best),
        "accounts_per_second_median": round(n / median),
        "lines": lines,
        "lines_by_kind": dict(sorted(codes.items())),
        "seconds_materialise_every_line": round(materialise, 2),
        "cpu_seconds_materialise_every_line": round(materialise_cpu, 2),
        "lines_per_second_materialised": round(lines / materialise) if materialise else None,
        "seconds_storage_rows_every_line": round(storage, 2),
        "cpu_seconds_storage_rows_every_line": round(storage_cpu, 2),
        "seconds_price_and_storage_rows": round(median + storage, 2),
        "accounts_per_second_price_and_storage_rows": round(n / (median + storage)),
        "total_yuan": f"{int(priced.totals.sum()) / 100:.2f}",
        "peak_rss_mb": _peak_rss_mb(),
        "storage_rows_equal_line_objects": not differ,
        "storage_rows_differing_sample": differ,
        "met_target": best < TARGET_COMPUTATION_S,
    }


# --------------------------------------------------------------------------- seeding


@dataclass(frozen=True)
class Column:
    """One column of a bulk insert: its values and how to write them."""

    name: str
    kind: str  # int | text | bool | dec4 (an integer in 10⁻⁴ units) | date (ISO text)
    values: Sequence[Any]  # None = NULL


def _opt(values: npt.NDArray[Any], present: Bools) -> list[Any]:
    return [v if p else None for v, p in zip(values.tolist(), present.tolist(), strict=True)]


def _iso(days: Days) -> list[str | None]:
    text_days = np.datetime_as_string(days, unit="D")
    return [None if t == "NaT" else str(t) for t in text_days.tolist()]


def tables(pop: Population) -> Iterator[tuple[str, list[Column]]]:
    """The archive and the determinants, table by table, in insertion order."""
    n = pop.n
    ids = np.arange(1, n + 1, dtype=np.int64)
    yield (
        "route_book",
        [
            Column("id", "int", list(range(1, BOOKS + 1))),
            Column("code", "text", [f"RB{b:03d}" for b in range(BOOKS)]),
            Column("name", "text", [f"抄表段{b}" for b in range(BOOKS)]),
            Column("reading_day", "int", [READING_DAYS[b % len(READING_DAYS)] for b in range(BOOKS)]),
            Column("reader", "text", [f"reader{b % 12}" for b in range(BOOKS)]),
        ],
    )
    yield (
        "transformer_area",
        [
            Column("id", "int", list(range(1, AREAS + 1))),
            Column("code", "text", [f"TA{a:04d}" for a in range(AREAS)]),
            Column("name", "text", [f"台区{a}" for a in range(AREAS)]),
            Column("capacity_kva", "dec4", [(400 if a % 3 else 630) * 10**4 for a in range(AREAS)]),
        ],
    )
    numbers = [f"{i:09d}" for i in range(1, n + 1)]
    yield (
        "customer",
        [
            Column("id", "int", ids.tolist()),
            Column("code", "text", [f"C{s}" for s in numbers]),
            Column("name", "text", [f"客户{s}" for s in numbers]),
            Column("phone", "text", [f"13{s}" for s in numbers]),
            Column("address", "text", [f"幸福路{i % 5000}号{i // 5000}室" for i in range(1, n + 1)]),
        ],
    )
    li = pop.tariff == LI
    yield (
        "account",
        [
            Column("id", "int", ids.tolist()),
            Column("account_no", "text", [f"15{s}" for s in numbers]),
            Column("customer_id", "int", ids.tolist()),
            Column("category", "text", pop.categories.tolist()),
            Column("voltage_level", "text", np.array(VOLTAGES, dtype=object)[pop.tariff].tolist()),
            Column("contract_capacity_kva", "dec4", pop.capacity.tolist()),
            Column("pf_standard", "text", pop.pf_standard.tolist()),
            Column("payment_mode", "text", pop.payment.tolist()),
            Column("important", "bool", li.tolist()),
            Column("low_income", "bool", pop.low_income.tolist()),
            Column("status", "text", np.where(np.isnat(pop.closed), "active", "closed").tolist()),
            Column("route_book_id", "int", (pop.book + 1).tolist()),
            Column("transformer_area_id", "int", (pop.area + 1).tolist()),
            Column("opened_on", "date", _iso(pop.opened)),
            Column("closed_on", "date", _iso(pop.closed)),
            Column("basic_charge_by", "text", pop.basic_by.tolist()),
            Column("contract_demand_kw", "dec4", _opt(pop.contract, pop.has_contract)),
            Column("transformer_loss_kwh", "dec4", _opt(pop.t_loss, pop.t_loss > 0)),
            Column("transformer_loss_kvarh", "dec4", _opt(pop.t_kvarh, pop.t_loss > 0)),
            Column("line_loss_kwh", "dec4", _opt(pop.l_loss, pop.l_loss > 0)),
        ],
    )
    # Tariff assignments: one open assignment each, and a closed MX-RES-1 one before it for
    # the residents who changed to time of use.
    changed = np.flatnonzero(pop.changed)
    opened = _iso(pop.opened)
    account_ids = [*ids.tolist(), *(changed + 1).tolist()]
    yield (
        "tariff_assignment",
        [
            Column("id", "int", list(range(1, len(account_ids) + 1))),
            Column("account_id", "int", account_ids),
            Column("tariff_code", "text", [*pop.codes.tolist(), *(["MX-RES-1"] * len(changed))]),
            Column(
                "effective_from",
                "date",
                [
                    *np.where(pop.changed, CHANGE_DAY, np.array(opened, dtype=object)).tolist(),
                    *(opened[i] for i in changed.tolist()),
                ],
            ),
            Column("effective_to", "date", [*([None] * n), *([CHANGE_DAY] * len(changed))]),
        ],
    )
    flat = pop.kwh - pop.sharp - pop.peak - pop.valley
    yield (
        "billing_determinant",
        [
            Column("id", "int", ids.tolist()),
            Column("account_id", "int", ids.tolist()),
            Column("period", "text", [PERIOD] * n),
            Column("start_on", "date", _iso(pop.start)),
            Column("end_on", "date", _iso(pop.end)),
            Column("days", "int", (pop.end - pop.start).astype(np.int64).tolist()),
            Column("kwh_total", "dec4", pop.kwh.tolist()),
            Column("kwh_sharp", "dec4", _opt(pop.sharp, pop.has_sharp)),
            Column("kwh_peak", "dec4", _opt(pop.peak, pop.has_tou)),
            Column("kwh_flat", "dec4", _opt(flat, pop.has_tou)),
            Column("kwh_valley", "dec4", _opt(pop.valley, pop.has_tou)),
            Column("kvarh", "dec4", _opt(pop.kvarh, pop.has_kvarh)),
            Column("max_demand_kw", "dec4", _opt(pop.demand, pop.has_demand)),
            Column("quality", "text", np.where(pop.estimated, "estimated", "actual").tolist()),
            Column("detail", "text", ['{"segments": 1}'] * n),
            Column("computed_by", "text", [CLERK] * n),
        ],
    )


def _sqlite_values(column: Column) -> Sequence[Any]:
    if column.kind == "bool":
        return [int(v) for v in column.values]
    return column.values  # dec4 is already the scaled integer ExactDecimal stores on SQLite


def _dec4(v: int) -> str:
    return f"{v // 10**4}.{v % 10**4:04d}"


def _pg_bool(v: object) -> str:
    return "t" if v else "f"


_PG_TEXT: dict[str, Callable[[Any], str]] = {
    "int": str,
    "text": str,
    "date": str,
    "bool": _pg_bool,
    "dec4": _dec4,
}


def _pg_text(column: Column) -> list[str]:
    convert = _PG_TEXT[column.kind]
    return ["\\N" if v is None else convert(v) for v in column.values]


def _insert(session: Session, table: str, columns: list[Column]) -> int:
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    names = ", ".join(c.name for c in columns)
    if session.get_bind().dialect.name == "postgresql":
        texts = [_pg_text(c) for c in columns]
        rows = len(texts[0])
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            step = 50_000
            for at in range(0, rows, step):
                part = zip(*(t[at : at + step] for t in texts), strict=True)
                copy.write("".join("\t".join(row) + "\n" for row in part))
        return rows
    values = list(zip(*(_sqlite_values(c) for c in columns), strict=True))
    cursor = raw.cursor()
    cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})", values)
    cursor.close()
    return len(values)


def context(url: str, folder: Path) -> AppContext:
    return AppContext.create(
        engine=make_engine(url),
        clock=FixedClock(RUN_AT),
        settings=Settings(data_dir=folder, database_url=url),
    )


def seed(url: str, folder: str, n: int) -> dict[str, object]:
    """Child process: migrate, users, catalog, then the archive and determinants in bulk."""
    started = time.perf_counter()
    ctx = context(url, Path(folder))
    upgrade(ctx.engine)
    seconds: dict[str, float] = {"migrate": time.perf_counter() - started}
    mark = time.perf_counter()
    with unit_of_work(ctx.sessions) as session:
        for name, role in ((CLERK, Role.BILLING_CLERK), (MANAGER, Role.MANAGER)):
            create_user(
                session,
                actor="bench",
                at=RUN_AT,
                username=name,
                display_name=name,
                password=f"password-{name}",
                roles={role},
            )
    load_catalog(ctx, actor=MANAGER, path=bundled_catalog_path())
    seconds["users_and_catalog"] = time.perf_counter() - mark
    mark = time.perf_counter()
    pop = population(n)
    seconds["generate"] = time.perf_counter() - mark
    rows: dict[str, int] = {}
    for table, columns in tables(pop):
        mark = time.perf_counter()
        with unit_of_work(ctx.sessions) as session:
            rows[table] = _insert(session, table, columns)
        seconds[f"insert_{table}"] = time.perf_counter() - mark
    mark = time.perf_counter()
    if ctx.engine.dialect.name == "postgresql":
        with unit_of_work(ctx.sessions) as session:
            for table in rows:
                sequence = f"pg_get_serial_sequence('{table}', 'id')"
                session.execute(text(f"SELECT setval({sequence}, (SELECT max(id) FROM {table}))"))
        with ctx.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")  # what autovacuum does after a bulk load
        seconds["vacuum_analyze"] = time.perf_counter() - mark
    ctx.engine.dispose()
    return {
        "rows": rows,
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
        "seconds_total": round(time.perf_counter() - started, 2),
        "mix": mix(pop),
    }


# --------------------------------------------------------------------------- end to end


def end_to_end(url: str, folder: str, n: int, chunk_size: int, profile: bool) -> dict[str, object]:
    """Child process: one timed bill run, its checks, and the re-run."""
    ctx = context(url, Path(folder))
    marks: list[tuple[float, int]] = []

    def progress(done: int, _total: int) -> None:
        marks.append((time.perf_counter(), done))

    profiler = cProfile.Profile() if profile else None
    statements = _StatementTimer(ctx.engine) if profile else None
    cpu0, t0 = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    report = run_bills(ctx, actor=CLERK, period=PERIOD, chunk_size=chunk_size, progress=progress)
    if profiler:
        profiler.disable()
    if statements:
        statements.stop()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    peak_rss = _peak_rss_mb()
    chunk_times = [b[0] - a[0] for a, b in itertools.pairwise(marks)]

    with ctx.sessions() as session:
        bills = int(session.scalar(select(func.count()).select_from(Bill).where(Bill.period == PERIOD)) or 0)
        lines = int(session.scalar(select(func.count()).select_from(BillLine)) or 0)
        t_check = time.perf_counter()
        line_sum, bill_sum = session.execute(
            select(
                select(func.sum(BillLine.amount)).scalar_subquery(),
                select(func.sum(Bill.total)).where(Bill.period == PERIOD).scalar_subquery(),
            )
        ).one()
        check_seconds = time.perf_counter() - t_check
        by_bill = (
            select(BillLine.bill_id, func.sum(BillLine.amount).label("s"))
            .group_by(BillLine.bill_id)
            .subquery()
        )
        mismatched = int(
            session.scalar(
                select(func.count())
                .select_from(Bill)
                .outerjoin(by_bill, by_bill.c.bill_id == Bill.id)
                .where((by_bill.c.s.is_(None)) | (by_bill.c.s != Bill.total))
            )
            or 0
        )
        run_state = session.scalar(select(BillRun.state).where(BillRun.period == PERIOD))
        # New two-part connections: is their basic charge prorated by days of use?
        part_two_part = int(
            session.scalar(
                text(
                    "SELECT count(*) FROM bill b JOIN account a ON a.id = b.account_id "
                    "WHERE a.category = 'large_industry' "
                    "AND (a.opened_on = b.start_on OR a.closed_on = b.end_on)"
                )
            )
            or 0
        )
        prorated_basic = int(
            session.scalar(
                select(func.count())
                .select_from(BillLine)
                .where(BillLine.code.like("basic.%"), BillLine.rule.like("%天计收"))
            )
            or 0
        )
        size = _database_size(session, url)

    t_again = time.perf_counter()
    again = run_bills(ctx, actor=CLERK, period=PERIOD, chunk_size=chunk_size)
    rerun = time.perf_counter() - t_again
    ctx.engine.dispose()

    profile_text = ""
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(35)
        stats.sort_stats("tottime").print_stats(25)
        profile_text = out.getvalue()
        if statements:
            profile_text += "\nSQL statements by total time (client side, including the server's work):\n"
            profile_text += statements.report()
        backend = make_url(url).get_backend_name()
        stats.dump_stats(str(Path(tempfile.gettempdir()) / f"billing_bench_{backend}.pstats"))

    checks = {
        "bills_equal_accounts": bills == report.priced == n,
        "sum_line_amounts_equals_sum_bill_totals": line_sum == bill_sum,
        "bills_whose_lines_do_not_add_up": mismatched,
        "run_state": run_state,
        "rerun_priced": again.priced,
        "rerun_unchanged": again.unchanged,
        "rerun_prices_nothing": again.priced == 0 and again.unchanged == n,
    }
    setup = marks[0][0] - t0 if marks else None
    return {
        "seconds_end_to_end": round(elapsed, 2),
        "cpu_seconds_end_to_end": round(cpu, 2),
        "accounts_per_second": round(n / elapsed),
        "seconds_setup_until_first_chunk": None if setup is None else round(setup, 2),
        "seconds_chunks": round(sum(chunk_times), 2),
        "seconds_finish": round(elapsed - (marks[-1][0] - t0), 2) if marks else None,
        "chunks": len(chunk_times),
        "seconds_per_chunk_median": round(statistics.median(chunk_times), 3) if chunk_times else None,
        "priced": report.priced,
        "unpriced": len(report.unpriced),
        "unpriced_sample": dict(list(report.unpriced.items())[:5]),
        "bills_written": bills,
        "lines_written": lines,
        "revenue_by_category": report.revenue_by_category,
        "sum_bill_totals": str(bill_sum),
        "seconds_sum_check_query": round(check_seconds, 2),
        "peak_rss_mb": peak_rss,
        "database_mb_after_run": size,
        "seconds_rerun": round(rerun, 2),
        "two_part_bills_of_new_or_closed_accounts": part_two_part,
        "basic_lines_prorated_by_days": prorated_basic,
        "checks": checks,
        "profiled": profile,
        "profile": profile_text,
    }


class _StatementTimer:
    """Wall time per SQL statement shape (``--profile`` only): which query costs what."""

    def __init__(self, engine: Any) -> None:
        self._engine = engine
        self._started: list[float] = []
        self.totals: dict[str, list[float]] = {}
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *_args: Any) -> None:
        self._started.append(time.perf_counter())

    def _after(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        elapsed = time.perf_counter() - self._started.pop()
        one = r"(\?|%\(\w+\)s(::\w+)?|\$\d+)"
        shape = re.sub(f"{one}(, {one})+", "…", " ".join(statement.split()))
        entry = self.totals.setdefault(shape[:240], [0, 0.0])
        entry[0] += 1
        entry[1] += elapsed

    def stop(self) -> None:
        event.remove(self._engine, "before_cursor_execute", self._before)
        event.remove(self._engine, "after_cursor_execute", self._after)

    def report(self, top: int = 15) -> str:
        rows = sorted(self.totals.items(), key=lambda item: -item[1][1])[:top]
        return "".join(f"{total:9.2f} s {int(calls):6d}×  {shape}\n" for shape, (calls, total) in rows)


def _database_size(session: Session, url: str) -> float:
    if url.startswith("sqlite"):
        path = Path(make_url(url).database or "")
        return round(sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6, 1)
    return round(int(session.scalar(text("SELECT pg_database_size(current_database())")) or 0) / 1e6, 1)


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _in_child(function: Callable[..., dict[str, object]], *args: object) -> dict[str, object]:
    """Run one phase in a fresh process (its own memory, its own peak RSS)."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


@dataclass
class Database:
    url: str
    folder: str
    drop: Callable[[], None]
    server: dict[str, str]


def fresh_database(backend: str, folder: Path) -> Database:
    if backend == "sqlite":
        path = folder / "billing.db"
        return Database(url=f"sqlite:///{path}", folder=str(folder), drop=lambda: None, server={})
    admin_url = os.environ[PG_ENV]
    name = f"m2c_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
        server = {
            setting: str(connection.exec_driver_sql(f"SHOW {setting}").scalar())
            for setting in ("server_version", "fsync", "synchronous_commit", "shared_buffers", "work_mem")
        }

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    return Database(url=url, folder=str(folder), drop=drop, server=server)


def end_to_end_on(backend: str, n: int, chunk_size: int, profile: bool, keep: bool) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="m2c-billing-bench-") as tmp:
        database = fresh_database(backend, Path(tmp))
        try:
            print(f"[{backend}] seeding {n:,} accounts …", file=sys.stderr, flush=True)
            seeded = _in_child(seed, database.url, database.folder, n)
            print(
                f"[{backend}] seeded in {seeded['seconds_total']} s; bill run …", file=sys.stderr, flush=True
            )
            run = _in_child(end_to_end, database.url, database.folder, n, chunk_size, profile)
            print(
                f"[{backend}] bill run {run['seconds_end_to_end']} s, re-run {run['seconds_rerun']} s",
                file=sys.stderr,
                flush=True,
            )
        finally:
            if not keep:
                database.drop()
    profile_text = str(run.pop("profile"))
    if profile_text:
        print(f"===== profile of the bill run on {backend} =====\n{profile_text}", flush=True)
    return {
        "database": backend if backend == "postgresql" else "sqlite (WAL, file in a temporary directory)",
        "server": database.server,
        "seeding": seeded,
        "bill_run": run,
    }


# --------------------------------------------------------------------------- main


def _source_digests() -> dict[str, str]:
    """Which engine was measured: others edit src/ while benchmarks run."""
    folder = ROOT / "src" / "meter2cash" / "billing"
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in sorted(folder.glob("*.py"))
        if path.stem in {"bill_run", "bill_store", "bills", "fixed_point", "pricing", "run_inputs", "usage"}
    }


def _under_postgres() -> None:
    """Re-run this script under scripts/with-postgres (a throwaway cluster) when no URL is set."""
    script = ROOT / "scripts" / "with-postgres"
    print(f"{PG_ENV} not set: starting a throwaway cluster with {script}", file=sys.stderr)
    os.execv(str(script), [str(script), sys.executable, str(Path(__file__).resolve()), *sys.argv[1:]])


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql")
    parser.add_argument("--skip-e2e", action="store_true", help="time the computation alone")
    parser.add_argument("--skip-computation", action="store_true", help="only the end-to-end runs")
    parser.add_argument("--runs", type=int, default=3, help="price_job runs (best and median reported)")
    parser.add_argument("--chunk-size", type=int, default=CHUNK, help="run_bills chunk size")
    parser.add_argument("--profile", action="store_true", help="cProfile the end-to-end runs (slower)")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the PostgreSQL database")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(None if argv is None else list(argv))
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    if not args.skip_e2e and "postgresql" in backends and not os.environ.get(PG_ENV):
        _under_postgres()

    result: dict[str, object] = {
        "benchmark": "bill run: determinants → priced draft bills with their lines (1 period)",
        "accounts": args.accounts,
        "period": PERIOD,
        "parameters": {
            "seed": SEED,
            "route_books": BOOKS,
            "transformer_areas": AREAS,
            "reading_days": list(READING_DAYS),
            "runs": args.runs,
            "chunk_size": args.chunk_size,
            "clock": RUN_AT.isoformat(),
            "catalog": bundled_catalog_path().name,
        },
        "targets": {"computation_s": TARGET_COMPUTATION_S, "end_to_end_postgresql_s": TARGET_E2E_PG_S},
        "machine": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "load_average_1min_at_start": round(os.getloadavg()[0], 2),
        "source_sha256": _source_digests(),
    }
    if not args.skip_computation:
        print(f"computation: pricing {args.accounts:,} accounts as columns …", file=sys.stderr, flush=True)
        result["computation"] = _in_child(computation, args.accounts, args.runs)
        print(json.dumps(result["computation"], ensure_ascii=False), file=sys.stderr, flush=True)
    if not args.skip_e2e:
        result["end_to_end"] = {
            backend: end_to_end_on(backend, args.accounts, args.chunk_size, args.profile, args.keep_db)
            for backend in backends
        }
        pg = result["end_to_end"].get("postgresql")  # type: ignore[attr-defined]
        if pg is not None:
            result["met_target_end_to_end_postgresql"] = (
                pg["bill_run"]["seconds_end_to_end"] < TARGET_E2E_PG_S
            )
    result["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)
    result["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
