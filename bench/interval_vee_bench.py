"""Benchmark: validate one day of 15-minute interval data for 1,000,000 meters (96 M values).

Synthetic curves are generated with NumPy (a daily load shape × a per-meter scale × noise, in
integer Wh), with planted faults: missing intervals, negative values, spikes and days whose
register advance disagrees with the curve. The checks are the production ones
(:func:`meter2cash.reading.interval_checks.check_intervals`), run column-wise with Polars. The
day also goes through the Parquet store (write, then read back and check) to time the full path.

Run:  .venv/bin/python bench/interval_vee_bench.py [--meters 1000000] [--output FILE]
      (default output: bench/results/interval_vee.json)
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import tempfile
import time
from dataclasses import fields
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from meter2cash.reading.interval_checks import (
    ADVANCE_COLUMN,
    DEFAULT_INTERVAL_POLICY,
    INTERVAL_COLUMNS,
    INTERVALS_PER_DAY,
    IntervalPolicy,
    check_intervals,
    summarize,
)
from meter2cash.reading.interval_store import scan_days, write_day

DAY = date(2026, 1, 15)
TARGET_SECONDS = 30.0
GAP_SHARE, NEGATIVE_SHARE, SPIKE_SHARE, MISMATCH_SHARE = 0.005, 0.001, 0.001, 0.001


def load_shape() -> np.ndarray:
    """A residential-looking day: low at night, a morning and a higher evening peak (mean 1)."""
    hours = np.arange(INTERVALS_PER_DAY) / 4
    shape = 0.5 + 0.6 * np.exp(-((hours - 8) ** 2) / 4) + 1.2 * np.exp(-((hours - 19.5) ** 2) / 5)
    normalized: np.ndarray = shape / shape.mean()
    return normalized


def synthesize(meters: int, seed: int) -> tuple[pl.DataFrame, dict[str, int]]:
    rng = np.random.default_rng(seed)
    scale = rng.gamma(2.0, 60.0, meters).astype(np.float32) + 5  # mean Wh per 15 min
    noise = rng.uniform(0.7, 1.3, (meters, INTERVALS_PER_DAY)).astype(np.float32)
    values = (scale[:, None] * load_shape().astype(np.float32)[None, :] * noise).astype(np.int32)
    del noise
    advance = values.sum(axis=1, dtype=np.int64)  # the register saw the true energy

    # Disjoint sets of meters per planted fault, so each count found can be compared with its plant.
    order = rng.permutation(meters)
    sizes = [int(meters * share) for share in (SPIKE_SHARE, NEGATIVE_SHARE, MISMATCH_SHARE, GAP_SHARE)]
    bounds = np.cumsum([0, *sizes])
    spiked, negative, mismatched, gapped = (order[a:b] for a, b in itertools.pairwise(bounds))
    slot = rng.integers(0, INTERVALS_PER_DAY, meters)
    values[spiked, slot[spiked]] = np.maximum(values[spiked, slot[spiked]] * 50, 5000)
    values[negative, slot[negative]] = -rng.integers(1, 500, negative.size, dtype=np.int32)
    advance[mismatched] = advance[mismatched] * 105 // 100 + 100

    gap_len = rng.integers(1, 5, gapped.size)
    gap_start = rng.integers(0, INTERVALS_PER_DAY - 4, gapped.size)
    nulls: dict[int, list[int]] = {}
    for row, start, length in zip(gapped.tolist(), gap_start.tolist(), gap_len.tolist(), strict=True):
        for column in range(start, start + length):
            nulls.setdefault(column, []).append(row)

    columns = {"meter_no": pl.Series("meter_no", np.arange(meters, dtype=np.int64)).cast(pl.String)}
    for i, name in enumerate(INTERVAL_COLUMNS):
        series = pl.Series(name, np.ascontiguousarray(values[:, i]))
        if i in nulls:
            series = series.scatter(nulls[i], None)
        columns[name] = series
    columns[ADVANCE_COLUMN] = pl.Series(ADVANCE_COLUMN, advance)
    planted = {
        "gap_meters": int(gapped.size),
        "gap_intervals": int(gap_len.sum()),
        "negative_meters": int(negative.size),
        "spike_meters": int(spiked.size),
        "advance_mismatch_meters": int(mismatched.size),
    }
    return pl.DataFrame(columns), planted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20260115)
    parser.add_argument(
        "--output", type=Path, default=Path(__file__).parent / "results" / "interval_vee.json"
    )
    parser.add_argument("--no-store", action="store_true", help="skip the Parquet write/read timing")
    args = parser.parse_args()

    started = time.perf_counter()
    frame, planted = synthesize(args.meters, args.seed)
    generated = time.perf_counter() - started

    started = time.perf_counter()
    checked = check_intervals(frame, policy=DEFAULT_INTERVAL_POLICY)
    check_seconds = time.perf_counter() - started
    found = summarize(checked)
    values = args.meters * INTERVALS_PER_DAY

    store: dict[str, float] = {}
    if not args.no_store:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            started = time.perf_counter()
            path = write_day(root, DAY, frame)
            store["write_seconds"] = round(time.perf_counter() - started, 3)
            store["file_mb"] = round(path.stat().st_size / 2**20, 1)
            del frame, checked
            started = time.perf_counter()
            again = check_intervals(scan_days(root, start=DAY, end=date.fromordinal(DAY.toordinal() + 1)))
            store["read_and_check_seconds"] = round(time.perf_counter() - started, 3)
            assert summarize(again) == found, "checks on the stored day differ from the in-memory ones"

    result = {
        "benchmark": "interval VEE, one day of 15-minute data",
        "meters": args.meters,
        "intervals_per_meter": INTERVALS_PER_DAY,
        "values": values,
        "check_seconds": round(check_seconds, 3),
        "values_per_second": int(values / check_seconds),
        "target_seconds": TARGET_SECONDS,
        "met_target": check_seconds < TARGET_SECONDS,
        "found": found,
        "planted": planted,
        "generate_seconds": round(generated, 3),
        "store": store,
        "note": "Faults are planted on disjoint meters. INTERVAL_SUM_MISMATCH also counts the spiked "
        "and (most) negative days: the register advance was planted from the clean curve, so those days "
        "disagree with it too; a negative that replaced a small value can stay within tolerance.",
        "policy": {f.name: str(getattr(DEFAULT_INTERVAL_POLICY, f.name)) for f in fields(IntervalPolicy)},
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "polars": pl.__version__,
            "numpy": np.__version__,
        },
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
