"""Benchmark: automatic collection of 1,000 meters over DL/T 645-2007 through simulated gateways.

10 gateways × 100 meters (default) on loopback, each gateway a `GatewaySimulator` on its own port
(one TCP connection per gateway, requests serialised on it as on an RS-485 bus, gateways in
parallel). Each meter gets the full read plan: the forward active energy block (total and the 4
TOU tariffs), combined reactive, maximum demand, date and time — 5 request/reply exchanges
(9 when read item by item, also measured). Every value read is checked against what the
simulator holds.

The simulators run in a separate process (as real gateways would be other machines), so the
figure is the collector's; the same run with simulators in the collector's process is reported
for reference.

Run:  .venv/bin/python bench/collect_bench.py [--gateways 10] [--meters-per-gateway 100]
      [--runs 5] [--output FILE]   (default output: bench/results/collect.json)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path

from meter2cash.platform.clock import BUSINESS_TZ
from meter2cash.reading.collect import CollectionRun, CollectPolicy, MeterTarget, collect
from meter2cash.reading.dlt645.readout import read_plan
from meter2cash.reading.gateway_sim import (
    GatewaySimulator,
    running_in_thread,
    synthetic_registers,
    synthetic_source,
)

CLOCK = datetime(2026, 3, 1, 8, 30, 15, tzinfo=BUSINESS_TZ)
TARGET_METERS_PER_SECOND = 500
POLICY = CollectPolicy(attempts=3, reply_timeout=2.0)


def addresses(gateway: int, meters: int) -> list[str]:
    return [f"{gateway:04d}{n:08d}" for n in range(1, meters + 1)]


def serve(gateways: int, meters: int, pipe: Connection) -> None:
    """Child process: serve the simulated gateways until told to stop."""
    sims = [
        GatewaySimulator(synthetic_source(addresses(g, meters), clock=CLOCK)) for g in range(1, gateways + 1)
    ]
    with running_in_thread(*sims):
        pipe.send([sim.port for sim in sims])
        pipe.recv()


def targets_for(ports: list[int], meters: int) -> list[MeterTarget]:
    return [
        MeterTarget(address, "127.0.0.1", port)
        for gateway, port in enumerate(ports, 1)
        for address in addresses(gateway, meters)
    ]


def check(run: CollectionRun) -> None:
    assert run.summary.failed == 0, run.summary
    for result in run.results:
        expected = synthetic_registers(result.target.address, clock=CLOCK)
        readout = result.readout
        assert readout is not None
        got = (readout.total, readout.sharp, readout.peak, readout.flat, readout.valley, readout.reactive)
        want = (
            expected.total,
            expected.sharp,
            expected.peak,
            expected.flat,
            expected.valley,
            expected.reactive,
        )
        assert got == want, (result.target.address, got, want)
        assert readout.max_demand_kw == expected.max_demand_kw and readout.clock == CLOCK


def timed_runs(targets: list[MeterTarget], runs: int, policy: CollectPolicy = POLICY) -> list[float]:
    rates = []
    for _ in range(runs):
        started = time.perf_counter()
        run = asyncio.run(collect(targets, policy=policy))
        elapsed = time.perf_counter() - started
        check(run)
        rates.append(len(targets) / elapsed)
    return rates


def same_process(gateways: int, meters: int, runs: int) -> list[float]:
    async def main() -> list[float]:
        sims = [
            GatewaySimulator(synthetic_source(addresses(g, meters), clock=CLOCK))
            for g in range(1, gateways + 1)
        ]
        for sim in sims:
            await sim.start()
        targets = targets_for([sim.port for sim in sims], meters)
        rates = []
        for _ in range(runs):
            started = time.perf_counter()
            run = await collect(targets, policy=POLICY)
            rates.append(len(targets) / (time.perf_counter() - started))
            check(run)
        for sim in sims:
            await sim.stop()
        return rates

    return asyncio.run(main())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gateways", type=int, default=10)
    parser.add_argument("--meters-per-gateway", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results" / "collect.json")
    args = parser.parse_args()

    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(target=serve, args=(args.gateways, args.meters_per_gateway, child), daemon=True)
    server.start()
    try:
        ports = parent.recv()
        targets = targets_for(ports, args.meters_per_gateway)
        rates = timed_runs(targets, args.runs)
        one_by_one = timed_runs(targets, args.runs, replace(POLICY, energy_block=False))
    finally:
        parent.send("stop")
        server.join(10)
    shared = same_process(args.gateways, args.meters_per_gateway, args.runs)

    result = {
        "benchmark": "DL/T 645 collection through simulated gateways over loopback",
        "gateways": args.gateways,
        "meters": len(targets),
        "reads_per_meter": len(read_plan()),
        "runs": args.runs,
        "meters_per_second": round(statistics.median(rates)),
        "meters_per_second_best": round(max(rates)),
        "exchanges_per_second": round(statistics.median(rates) * len(read_plan())),
        "meters_per_second_item_by_item": round(statistics.median(one_by_one)),
        "reads_per_meter_item_by_item": len(read_plan(energy_block=False)),
        "meters_per_second_simulators_in_same_process": round(statistics.median(shared)),
        "target_meters_per_second": TARGET_METERS_PER_SECOND,
        "met_target": statistics.median(rates) >= TARGET_METERS_PER_SECOND,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "machine": platform.platform(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
