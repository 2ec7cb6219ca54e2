"""The collection service (自动抄表入库): the period's unread meters are read through simulated
gateways and their readings stored through the same checks as every reading."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from archive_factory import small_archive
from meter2cash.platform.audit import history, verify_chain
from meter2cash.platform.clock import BUSINESS_TZ as BJ
from meter2cash.platform.context import AppContext
from meter2cash.platform.errors import InputRefused, NotFound
from meter2cash.platform.users import PermissionDenied
from meter2cash.reading.collect import CollectPolicy
from meter2cash.reading.collection_run import CollectionReport, collect_period
from meter2cash.reading.gateway_sim import Fault, FaultKind, GatewaySimulator, running_in_thread
from meter2cash.reading.kpis import reading_kpis
from meter2cash.reading.model import CollectionAttempt, MeterReading, ReadingBatch, ReadingTask
from meter2cash.reading.plans import plan_period
from meter2cash.reading.register_source import DictRegisterSource, MeterRegisters
from meter2cash.reading.simulation import LiveClockSource
from meter2cash.registry.model import Meter, MeterInstall
from meter2cash.registry.registers import RegisterSet
from meter2cash.registry.service import replace_meter

D = Decimal
PERIOD = "2025-02"
DUE_DAY = datetime(2025, 2, 15, 10, 0, tzinfo=BJ)  # RB01 reads on the 15th
FAST = CollectPolicy(attempts=3, reply_timeout=0.2, idle_gap=0.05, connect_timeout=1.0)
TOTALS = {1: "150.00", 2: "160.00", 3: "170.00", 4: "180.00", 5: "190.00"}
DEAD, GARBAGE, FLAKY = "000000000003", "000000000005", "000000000002"


def address(n: int) -> str:
    return f"{n:012d}"


def set_now(ctx: AppContext, when: datetime) -> None:
    ctx.clock.instant = when.astimezone(UTC)  # type: ignore[attr-defined]


def set_endpoint(ctx: AppContext, meter_no: str, host: str | None, port: int | None) -> None:
    with ctx.sessions.begin() as session:
        session.execute(
            update(Meter).where(Meter.meter_no == meter_no).values(comm_host=host, comm_port=port)
        )


@dataclass
class Bureau:
    """Five meters of route book RB01 behind two gateways: M0001–M0003 behind the first,
    M0004–M0005 behind the second. M0003 is dead, M0005 talks garbage, M0002 sends one bad
    checksum before answering."""

    ctx: AppContext
    gateways: tuple[GatewaySimulator, GatewaySimulator]

    def collect(self, actor: str = "meter_reader", **options: object) -> CollectionReport:
        return collect_period(self.ctx, actor=actor, period=PERIOD, policy=FAST, **options)  # type: ignore[arg-type]

    def heal(self) -> None:
        self.gateways[0].set_fault(DEAD, None)
        self.gateways[1].set_fault(GARBAGE, None)


@pytest.fixture
def bureau(ctx: AppContext) -> Iterator[Bureau]:
    small_archive(ctx, accounts=5)
    plan_period(ctx, actor="billing_clerk", period=PERIOD)
    set_now(ctx, DUE_DAY)

    def source(numbers: range) -> LiveClockSource:
        registers = {address(n): MeterRegisters(total=D(TOTALS[n])) for n in numbers}
        return LiveClockSource(DictRegisterSource(registers), ctx.clock.now)

    first = GatewaySimulator(
        source(range(1, 4)),
        faults={DEAD: Fault(FaultKind.DEAD), FLAKY: Fault(FaultKind.BAD_CHECKSUM, times=1)},
    )
    second = GatewaySimulator(source(range(4, 6)), faults={GARBAGE: Fault(FaultKind.GARBAGE)})
    with running_in_thread(first, second):
        for n in range(1, 6):
            gateway = first if n <= 3 else second
            set_endpoint(ctx, f"M{n:04d}", gateway.host, gateway.port)
        yield Bureau(ctx, (first, second))


def tasks(ctx: AppContext) -> dict[str, tuple[str, int]]:
    with ctx.sessions() as session:
        rows = session.execute(
            select(Meter.meter_no, ReadingTask.state, ReadingTask.attempts).join(
                Meter, Meter.id == ReadingTask.meter_id
            )
        )
        return {meter_no: (state, attempts) for meter_no, state, attempts in rows}


def attempts_of(ctx: AppContext, meter_no: str) -> list[tuple[int, str, str | None, int]]:
    with ctx.sessions() as session:
        rows = session.execute(
            select(
                CollectionAttempt.attempt,
                CollectionAttempt.outcome,
                CollectionAttempt.error_kind,
                CollectionAttempt.batch_id,
            )
            .join(Meter, Meter.id == CollectionAttempt.meter_id)
            .where(Meter.meter_no == meter_no)
            .order_by(CollectionAttempt.attempt)
        )
        return [(a, o, k, b) for a, o, k, b in rows]


class TestACollectionRun:
    def test_the_meters_that_answer_are_stored_as_automatic_readings(self, bureau: Bureau) -> None:
        report = bureau.collect()

        assert (report.attempted, report.collected, report.failed) == (5, 3, 2)
        assert report.failed_by_kind == {"garbled": 1, "timeout": 1}
        assert (report.stored, report.billable, report.held) == (3, 3, 0)
        with bureau.ctx.sessions() as session:
            readings = {
                meter_no: r
                for r, meter_no in session.execute(
                    select(MeterReading, Meter.meter_no).join(Meter, Meter.id == MeterReading.meter_id)
                )
            }
        assert sorted(readings) == ["M0001", "M0002", "M0004"]
        assert {r.source for r in readings.values()} == {"auto"}
        assert {r.batch_id for r in readings.values()} == {report.batch_id}
        assert readings["M0004"].total == D("180.00")
        assert readings["M0004"].read_at == "2025-02-15T10:00:00+08:00"
        assert readings["M0004"].meter_clock == "2025-02-15T10:00:00"  # Beijing wall time, no zone

    def test_every_attempt_is_recorded_with_the_retries_of_the_dead_meter(self, bureau: Bureau) -> None:
        report = bureau.collect()

        batch = report.batch_id
        assert attempts_of(bureau.ctx, "M0003") == [
            (1, "failed", "timeout", batch),
            (2, "failed", "timeout", batch),
            (3, "failed", "timeout", batch),
        ]
        assert attempts_of(bureau.ctx, "M0002") == [
            (1, "failed", "bad_checksum", batch),
            (2, "ok", None, batch),
        ]
        assert attempts_of(bureau.ctx, "M0001") == [(1, "ok", None, batch)]
        assert report.attempts == 1 + 2 + 3 + 1 + 3
        assert report.attempts_failed_by_kind == {"bad_checksum": 1, "garbled": 3, "timeout": 3}
        assert report.first_try == 2

    def test_the_tasks_read_are_marked_read_and_the_others_counted_as_tried(self, bureau: Bureau) -> None:
        bureau.collect()

        assert tasks(bureau.ctx) == {
            "M0001": ("read", 1),
            "M0002": ("read", 1),
            "M0003": ("pending", 1),
            "M0004": ("read", 1),
            "M0005": ("pending", 1),
        }

    def test_the_first_try_success_kpi_counts_the_meters_read_on_their_first_attempt(
        self, bureau: Bureau
    ) -> None:
        bureau.collect()

        with bureau.ctx.sessions() as session:
            kpis = reading_kpis(session, period=PERIOD, today=date(2025, 2, 15)).as_dict()
        assert kpis["first_try_success_pct"] == "40.00"  # M0001 and M0004 of 5 tried
        assert kpis["reading_rate_pct"] == "60.00"

    def test_one_batch_and_one_audit_record_describe_the_run(self, bureau: Bureau) -> None:
        report = bureau.collect()

        with bureau.ctx.sessions() as session:
            batch = session.get(ReadingBatch, report.batch_id)
            trail = history(session, object_type="reading_batch", object_id=str(report.batch_id))
            chain = verify_chain(session)
        assert batch is not None
        assert (batch.kind, batch.name, batch.rows, batch.created_by) == (
            "collection",
            "collection 2025-02 * #1",
            5,
            "meter_reader",
        )
        assert json.loads(batch.summary or "{}")["collected"] == 3
        assert [(r.action, r.actor) for r in trail] == [("reading.collect", "meter_reader")]
        after = json.loads(trail[0].after or "{}")
        assert (after["attempted"], after["failed_by_kind"]) == (5, {"garbled": 1, "timeout": 1})
        assert chain.ok

    def test_the_report_is_json_able(self, bureau: Bureau) -> None:
        document = json.loads(json.dumps(bureau.collect().as_dict()))

        assert document["batch_name"] == "collection 2025-02 * #1"
        assert {f["meter_no"]: f["error_kind"] for f in document["failures"]} == {
            "M0003": "timeout",
            "M0005": "garbled",
        }
        assert document["failures"][0]["endpoint"].startswith("127.0.0.1:")


class TestRunningAgain:
    def test_a_second_run_tries_only_the_meters_still_unread(self, bureau: Bureau) -> None:
        bureau.collect()
        bureau.heal()
        before = (bureau.gateways[0].requests, bureau.gateways[1].requests)

        again = bureau.collect()

        assert (again.attempted, again.collected, again.failed) == (2, 2, 0)
        assert again.batch_name == "collection 2025-02 * #2"
        assert {state for state, _ in tasks(bureau.ctx).values()} == {"read"}
        assert bureau.gateways[0].requests - before[0] == 5  # M0003's read plan only
        assert bureau.gateways[1].requests - before[1] == 5  # M0005's

    def test_attempt_numbers_run_on_so_a_late_success_is_not_a_first_try(self, bureau: Bureau) -> None:
        first = bureau.collect()
        bureau.heal()
        second = bureau.collect()

        assert [a[:3] for a in attempts_of(bureau.ctx, "M0003")] == [
            (1, "failed", "timeout"),
            (2, "failed", "timeout"),
            (3, "failed", "timeout"),
            (4, "ok", None),
        ]
        assert attempts_of(bureau.ctx, "M0003")[-1][3] == second.batch_id != first.batch_id
        assert second.first_try == 0
        with bureau.ctx.sessions() as session:
            kpis = reading_kpis(session, period=PERIOD, today=date(2025, 2, 15)).as_dict()
        assert kpis["first_try_success_pct"] == "40.00"
        assert kpis["reading_rate_pct"] == "100.00"

    def test_when_every_task_is_read_nothing_is_tried_and_nothing_written(self, bureau: Bureau) -> None:
        bureau.collect()
        bureau.heal()
        bureau.collect()

        third = bureau.collect()

        assert (third.attempted, third.batch_id, third.due) == (0, None, 0)
        with bureau.ctx.sessions() as session:
            assert len(session.scalars(select(ReadingBatch)).all()) == 2


class TestWhatIsNotTried:
    def test_a_meter_without_a_gateway_endpoint_is_counted_not_tried(self, bureau: Bureau) -> None:
        set_endpoint(bureau.ctx, "M0001", None, None)

        report = bureau.collect()

        assert (report.due, report.no_endpoint, report.attempted) == (5, 1, 4)
        assert tasks(bureau.ctx)["M0001"] == ("pending", 0)

    def test_tasks_outside_their_reading_window_are_not_tried(self, bureau: Bureau) -> None:
        set_now(bureau.ctx, datetime(2025, 2, 12, 10, tzinfo=BJ))  # the window opens on the 13th
        early = bureau.collect()
        set_now(bureau.ctx, datetime(2025, 2, 19, 10, tzinfo=BJ))  # it closed on the 18th
        late = bureau.collect()

        assert (early.not_due, early.attempted, early.batch_id) == (5, 0, None)
        assert (late.window_closed, late.attempted, late.batch_id) == (5, 0, None)

    def test_the_meters_of_an_unreachable_gateway_are_each_recorded_as_tried(self, bureau: Bureau) -> None:
        for n in (4, 5):
            set_endpoint(bureau.ctx, f"M{n:04d}", "127.0.0.1", 1)

        report = bureau.collect()

        assert report.failed_by_kind == {"connection": 2, "timeout": 1}
        assert [a[1:3] for a in attempts_of(bureau.ctx, "M0005")] == [("failed", "connection")]
        with bureau.ctx.sessions() as session:
            kpis = reading_kpis(session, period=PERIOD, today=date(2025, 2, 15))
        assert kpis.collection_tried == 5

    def test_one_route_book_only(self, bureau: Bureau) -> None:
        report = bureau.collect(route_book="RB01")
        assert report.batch_name == "collection 2025-02 RB01 #1"
        with pytest.raises(NotFound):
            bureau.collect(route_book="NOPE")


class TestReadingsTheArchiveRefuses:
    def test_a_meter_removed_before_the_read_day_is_reported_and_the_rest_stored(
        self, bureau: Bureau
    ) -> None:
        replace_meter(
            bureau.ctx,
            actor="meter_reader",
            service_point="SP0001",
            on=date(2025, 2, 14),
            old_final=RegisterSet.of("149.00"),
            new_meter_no="N0001",
            new_address="000000770001",
            new_start=RegisterSet.of("0.00"),
            ct_ratio=D(1),
            pt_ratio=D(1),
            reason="故障换表",
        )

        report = bureau.collect()

        assert report.failed_by_kind == {"garbled": 1, "refused": 1, "timeout": 1}
        assert (report.collected, report.stored) == (2, 2)
        refused = next(f for f in report.failures if f.error_kind == "refused")
        assert refused.meter_no == "M0001" and "2025-02-15" in refused.detail
        assert tasks(bureau.ctx)["M0001"] == ("pending", 1)

    def test_a_meter_whose_archive_baseline_the_checks_cannot_use_is_reported(self, bureau: Bureau) -> None:
        make_tou(bureau.ctx, "M0004", install_registers=False)  # TOU meter installed without TOU readings

        report = bureau.collect()

        refused = next(f for f in report.failures if f.error_kind == "refused")
        assert refused.meter_no == "M0004" and "sharp" in refused.detail
        assert (report.collected, report.stored) == (2, 2)


def make_tou(ctx: AppContext, meter_no: str, *, install_registers: bool) -> None:
    """Give a meter 尖峰平谷 registers in the archive (and at install, 100.00 = 10+30+40+20)."""
    with ctx.sessions.begin() as session:
        meter = session.scalars(select(Meter).where(Meter.meter_no == meter_no)).one()
        meter.tou_registers = "sharp|peak|flat|valley"
        if install_registers:
            install = session.scalars(select(MeterInstall).where(MeterInstall.meter_id == meter.id)).one()
            install.start_sharp, install.start_peak = D("10.00"), D("30.00")
            install.start_flat, install.start_valley = D("40.00"), D("20.00")


class TestTimeOfUseMeters:
    def test_the_registers_the_archive_lists_are_stored_with_reactive_and_demand(
        self, bureau: Bureau
    ) -> None:
        make_tou(bureau.ctx, "M0004", install_registers=True)
        source = bureau.gateways[1].source
        assert isinstance(source, LiveClockSource) and isinstance(source.inner, DictRegisterSource)
        source.inner.set(
            address(4),
            MeterRegisters(
                total=D("180.00"),
                sharp=D("10.00"),
                peak=D("50.00"),
                flat=D("70.00"),
                valley=D("50.00"),
                reactive=D("12.34"),
                max_demand_kw=D("3.2100"),
                max_demand_at=datetime(2025, 2, 3, 9, 15, tzinfo=BJ),
            ),
        )

        bureau.collect()

        with bureau.ctx.sessions() as session:
            reading = session.scalars(
                select(MeterReading)
                .join(Meter, Meter.id == MeterReading.meter_id)
                .where(Meter.meter_no == "M0004")
            ).one()
        assert (reading.sharp, reading.peak, reading.flat, reading.valley) == (
            D("10.00"),
            D("50.00"),
            D("70.00"),
            D("50.00"),
        )
        assert (reading.reactive, reading.max_demand_kw, reading.status) == (D("12.34"), D("3.2100"), "valid")


class TestRefusals:
    def test_a_user_without_the_collect_role_is_refused_before_any_meter_is_asked(
        self, bureau: Bureau
    ) -> None:
        with pytest.raises(PermissionDenied):
            bureau.collect(actor="cashier")
        assert bureau.gateways[0].requests == bureau.gateways[1].requests == 0

    def test_a_malformed_period_is_refused(self, bureau: Bureau) -> None:
        with pytest.raises(InputRefused):
            collect_period(bureau.ctx, actor="meter_reader", period="2025-2")
