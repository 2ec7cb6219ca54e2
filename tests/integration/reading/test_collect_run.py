from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from itertools import count

from meter2cash.platform.clock import BUSINESS_TZ as BJ
from meter2cash.reading.collect import (
    CollectionRun,
    CollectPolicy,
    ErrorKind,
    MeterResult,
    MeterTarget,
    collect,
)
from meter2cash.reading.dlt645.readout import read_plan
from meter2cash.reading.gateway_sim import Fault, FaultKind, GatewaySimulator, synthetic_registers
from meter2cash.reading.register_source import DictRegisterSource, MeterRegisters

CLOCK = datetime(2026, 3, 1, 8, 30, 15, tzinfo=BJ)
FAST = CollectPolicy(attempts=3, reply_timeout=0.2, idle_gap=0.05, connect_timeout=1.0)
READS_PER_METER = len(read_plan())
SLOW = 0.04  # seconds before each slow reply


def addresses_of(gateway: int, meters: int) -> list[str]:
    return [f"{gateway * 1000 + n:012d}" for n in range(1, meters + 1)]


def collect_through_gateways(
    sources: list[DictRegisterSource],
    *,
    faults: Mapping[str, Fault] | None = None,
    policy: CollectPolicy = FAST,
    extra_targets: list[MeterTarget] | None = None,
    **options: object,
) -> tuple[CollectionRun, list[GatewaySimulator]]:
    async def main() -> tuple[CollectionRun, list[GatewaySimulator]]:
        sims = [GatewaySimulator(source, faults=faults) for source in sources]
        for sim in sims:
            await sim.start()
        try:
            targets = [
                MeterTarget(address, sim.host, sim.port, meter_no=f"M{address}")
                for sim in sims
                for address in sorted(sim.source.addresses())
            ]
            run = await collect([*targets, *(extra_targets or [])], policy=policy, **options)  # type: ignore[arg-type]
        finally:
            for sim in sims:
                await sim.stop()
        return run, sims

    return asyncio.run(main())


def synthetic(addresses: list[str]) -> DictRegisterSource:
    return DictRegisterSource({a: synthetic_registers(a, clock=CLOCK) for a in addresses})


class TestACollectionRunOverFiftyMeters:
    def test_two_dead_meters_and_one_garbage_talker_fail_and_the_other_47_are_collected(self) -> None:
        sources = [synthetic(addresses_of(g, 10)) for g in range(1, 6)]
        faults = {
            "000000001003": Fault(FaultKind.DEAD),
            "000000004010": Fault(FaultKind.DEAD),
            "000000002005": Fault(FaultKind.GARBAGE),
        }

        run, sims = collect_through_gateways(sources, faults=faults)

        summary = run.summary
        assert (summary.meters, summary.collected, summary.failed) == (50, 47, 3)
        assert summary.failed_by_kind == {"garbled": 1, "timeout": 2}
        assert summary.attempts == 47 + 3 * 3
        assert summary.attempts_failed_by_kind == {"garbled": 3, "timeout": 6}
        assert all(sim.connections_made == 1 for sim in sims)

    def test_every_collected_value_is_what_the_meter_holds(self) -> None:
        sources = [synthetic(addresses_of(g, 10)) for g in range(1, 6)]

        run, _ = collect_through_gateways(sources)

        for result in run.results:
            registers = synthetic_registers(result.target.address, clock=CLOCK)
            readout = result.readout
            assert readout is not None
            assert (readout.total, readout.sharp, readout.peak, readout.flat, readout.valley) == (
                registers.total,
                registers.sharp,
                registers.peak,
                registers.flat,
                registers.valley,
            )
            assert (readout.reactive, readout.max_demand_kw, readout.clock) == (
                registers.reactive,
                registers.max_demand_kw,
                CLOCK,
            )

    def test_results_come_back_in_the_order_of_the_targets(self) -> None:
        sources = [synthetic(addresses_of(g, 10)) for g in range(1, 6)]
        run, _ = collect_through_gateways(sources)
        assert [r.target.address for r in run.results] == [a for s in sources for a in sorted(s.addresses())]

    def test_every_attempt_of_a_dead_meter_is_recorded(self) -> None:
        run, _ = collect_through_gateways(
            [synthetic(addresses_of(1, 3))], faults={"000000001002": Fault(FaultKind.DEAD)}
        )
        tried = [a for a in run.attempts if a.address == "000000001002"]
        assert [(a.attempt_no, a.outcome, a.error_kind) for a in tried] == [
            (1, "failed", ErrorKind.TIMEOUT),
            (2, "failed", ErrorKind.TIMEOUT),
            (3, "failed", ErrorKind.TIMEOUT),
        ]
        assert all(a.meter_no == "M000000001002" and a.duration_s >= 0.2 for a in tried)


class TestRetries:
    def test_a_meter_that_fails_once_is_collected_on_the_second_attempt(self) -> None:
        run, _ = collect_through_gateways(
            [synthetic(addresses_of(1, 2))], faults={"000000001001": Fault(FaultKind.BAD_CHECKSUM, times=1)}
        )
        result = run.results[0]
        assert result.ok and result.attempts == 2
        assert [a.error_kind for a in run.attempts if a.address == "000000001001"] == [
            ErrorKind.BAD_CHECKSUM,
            None,
        ]

    def test_a_meter_refusing_its_total_fails_without_retry(self) -> None:
        run, _ = collect_through_gateways(
            [synthetic(addresses_of(1, 1))], faults={"000000001001": Fault(FaultKind.ERROR_REPLY)}
        )
        assert run.results[0].error_kind is ErrorKind.METER_ERROR
        assert run.summary.attempts == 1


class TestMetersWithoutSomeItems:
    def test_a_single_rate_meter_without_demand_is_collected_with_what_it_has(self) -> None:
        source = DictRegisterSource({"000000000001": MeterRegisters(total=Decimal("321.00"), clock=CLOCK)})
        run, _ = collect_through_gateways([source])
        readout = run.results[0].readout
        assert readout is not None
        assert readout.total == Decimal("321.00") and readout.clock == CLOCK
        assert (readout.sharp, readout.max_demand_kw, readout.reactive) == (None, None, None)
        assert readout.refused == ("00030000", "01010000")

    def test_read_item_by_item_the_missing_tariffs_are_listed_as_refused(self) -> None:
        source = DictRegisterSource({"000000000001": MeterRegisters(total=Decimal("321.00"), clock=CLOCK)})
        run, _ = collect_through_gateways(
            [source], policy=CollectPolicy(reply_timeout=0.2, energy_block=False)
        )
        readout = run.results[0].readout
        assert readout is not None and readout.total == Decimal("321.00")
        assert readout.refused == ("00010100", "00010200", "00010300", "00010400", "00030000", "01010000")


class TestGatewaysAndConnections:
    def test_the_meters_of_an_unreachable_gateway_fail_without_each_being_tried(self) -> None:
        dead_gateway = [MeterTarget(f"{n:012d}", "127.0.0.1", 1) for n in range(1, 5)]
        run, _ = collect_through_gateways([synthetic(addresses_of(1, 2))], extra_targets=dead_gateway)
        failed = [r for r in run.results if not r.ok]
        assert [r.error_kind for r in failed] == [ErrorKind.CONNECTION] * 4
        assert [r.attempts for r in failed] == [3, 0, 0, 0]
        assert run.summary.collected == 2

    def test_an_address_that_is_not_dlt645_is_reported_not_raised(self) -> None:
        run, _ = collect_through_gateways(
            [synthetic(addresses_of(1, 1))], extra_targets=[MeterTarget("12-34", "127.0.0.1", 1)]
        )
        assert run.results[-1].error_kind is ErrorKind.BAD_ADDRESS
        assert run.summary.failed_by_kind == {"bad_address": 1}

    def test_gateways_are_read_in_parallel(self) -> None:
        per_gateway = SLOW * READS_PER_METER * 2  # 2 meters a gateway, their reads one after another
        sources = [synthetic(addresses_of(g, 2)) for g in range(1, 5)]
        faults = {a: Fault(FaultKind.SLOW, delay=SLOW) for s in sources for a in s.addresses()}
        run, _ = collect_through_gateways(sources, faults=faults)
        assert run.summary.collected == 8
        assert run.summary.duration_s < 4 * per_gateway * 0.6

    def test_one_gateway_at_a_time_when_the_global_limit_is_one(self) -> None:
        sources = [synthetic(addresses_of(g, 1)) for g in range(1, 4)]
        faults = {a: Fault(FaultKind.SLOW, delay=SLOW) for s in sources for a in s.addresses()}
        policy = CollectPolicy(reply_timeout=0.5, idle_gap=0.05, max_parallel_gateways=1)
        run, _ = collect_through_gateways(sources, faults=faults, policy=policy)
        assert run.summary.duration_s >= 3 * READS_PER_METER * SLOW


class TestInjectedTimer:
    def test_durations_come_from_the_timer_given(self) -> None:
        ticks = count()
        seen: list[MeterResult] = []
        run, _ = collect_through_gateways(
            [synthetic(addresses_of(1, 2))], timer=lambda: float(next(ticks)), on_result=seen.append
        )
        assert [a.duration_s for a in run.attempts] == [1.0, 1.0]
        assert run.summary.duration_s == 5.0
        assert seen == list(run.results)
