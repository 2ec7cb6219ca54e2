"""Automatic meter collection (自动抄表) over DL/T 645-2007, through gateways.

The meters behind one gateway endpoint (host, port) share one TCP connection and one RS-485
bus, so they are read one after another on that connection; different gateways are read in
parallel, at most ``max_parallel_gateways`` at once (the global semaphore; the per-connection
one is `GatewayLink.bus`).

Reading a meter is an *attempt* at its whole read plan (`read_plan`): the total first, then the
time-of-use registers, reactive energy, demand and clock. A silent, garbled or otherwise failed
reply ends the attempt; the meter is tried again up to ``attempts`` times. A meter that refuses
an optional item (error reply) still gives a readout without it; a meter that refuses the
total has failed (not retried: it would refuse again). A gateway that cannot be reached fails
its remaining meters without trying each one.

Nothing a meter does stops the run or raises: every attempt is recorded (meter, attempt number,
outcome, error kind, duration) and the summary counts collected and failed meters by error kind.
Durations come from the injected ``timer`` (a monotonic clock; default the event loop's).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from enum import StrEnum

from meter2cash.platform.clock import BUSINESS_TZ
from meter2cash.reading.dlt645.bcd import BadDigits
from meter2cash.reading.dlt645.frame import (
    BadAddress,
    BadChecksum,
    GarbledFrame,
    MeterErrorReply,
    TruncatedFrame,
    UnexpectedReply,
    WrongAddress,
    is_wildcard,
    normalise_address,
)
from meter2cash.reading.dlt645.identifiers import BadValue, Value, decode_value
from meter2cash.reading.dlt645.link import GatewayLink, LinkDown, LinkSettings, NoAnswer
from meter2cash.reading.dlt645.readout import (
    STATE_GRID_TARIFF_ORDER,
    MeterReadout,
    PlanItem,
    assemble_readout,
    read_plan,
)

Timer = Callable[[], float]


class ErrorKind(StrEnum):
    TIMEOUT = "timeout"  # no answer: dead, unpowered or absent meter
    GARBLED = "garbled"  # bytes that are no frame
    TRUNCATED = "truncated"  # a frame cut short
    BAD_CHECKSUM = "bad_checksum"
    WRONG_ADDRESS = "wrong_address"  # another meter answered
    UNEXPECTED_REPLY = "unexpected_reply"  # an answer to another question
    METER_ERROR = "meter_error"  # the meter refused the total (error reply)
    BAD_VALUE = "bad_value"  # not BCD, or no valid date/time
    CONNECTION = "connection"  # gateway unreachable or connection dropped
    BAD_ADDRESS = "bad_address"  # the archive's address is not a DL/T 645 address
    INTERNAL = "internal"  # a bug in this program; the run goes on


_KINDS: tuple[tuple[type[Exception], ErrorKind], ...] = (
    (NoAnswer, ErrorKind.TIMEOUT),
    (LinkDown, ErrorKind.CONNECTION),
    (GarbledFrame, ErrorKind.GARBLED),
    (TruncatedFrame, ErrorKind.TRUNCATED),
    (BadChecksum, ErrorKind.BAD_CHECKSUM),
    (WrongAddress, ErrorKind.WRONG_ADDRESS),
    (UnexpectedReply, ErrorKind.UNEXPECTED_REPLY),
    (MeterErrorReply, ErrorKind.METER_ERROR),
    (BadDigits, ErrorKind.BAD_VALUE),
    (BadValue, ErrorKind.BAD_VALUE),
    (BadAddress, ErrorKind.BAD_ADDRESS),
)
NOT_RETRIED = frozenset({ErrorKind.METER_ERROR, ErrorKind.BAD_ADDRESS, ErrorKind.INTERNAL})


def error_kind(error: Exception) -> ErrorKind:
    """The error kind a collection report gives ``error``."""
    for exception_type, kind in _KINDS:
        if isinstance(error, exception_type):
            return kind
    return ErrorKind.INTERNAL


@dataclass(frozen=True, slots=True)
class MeterTarget:
    """A meter to read: its address and the gateway endpoint it hangs behind."""

    address: str
    host: str
    port: int
    meter_no: str | None = None
    tariff_order: tuple[str, ...] = STATE_GRID_TARIFF_ORDER

    @property
    def endpoint(self) -> tuple[str, int]:
        return (self.host, self.port)


@dataclass(frozen=True, slots=True)
class CollectPolicy:
    attempts: int = 3
    reply_timeout: float = 2.0
    connect_timeout: float = 3.0
    idle_gap: float = 0.3
    wakeup_bytes: int = 4
    max_parallel_gateways: int = 64
    retry_pause: float = 0.0
    with_daily_frozen: bool = False
    energy_block: bool = True
    meter_tz: tzinfo = BUSINESS_TZ  # the zone of the meters' wall clocks

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.max_parallel_gateways < 1:
            raise ValueError("attempts and max_parallel_gateways must be at least 1")

    def link_settings(self) -> LinkSettings:
        return LinkSettings(
            connect_timeout=self.connect_timeout,
            reply_timeout=self.reply_timeout,
            idle_gap=self.idle_gap,
            wakeup_bytes=self.wakeup_bytes,
        )


@dataclass(frozen=True, slots=True)
class Attempt:
    address: str
    meter_no: str | None
    attempt_no: int
    ok: bool
    error_kind: ErrorKind | None
    duration_s: float
    detail: str = ""

    @property
    def outcome(self) -> str:
        return "ok" if self.ok else "failed"


@dataclass(frozen=True, slots=True)
class MeterResult:
    target: MeterTarget
    readout: MeterReadout | None
    error_kind: ErrorKind | None = None
    detail: str = ""
    attempts: int = 0

    @property
    def ok(self) -> bool:
        return self.readout is not None


@dataclass(frozen=True, slots=True)
class CollectionSummary:
    meters: int
    collected: int
    failed: int
    attempts: int
    failed_by_kind: Mapping[str, int]
    attempts_failed_by_kind: Mapping[str, int]
    duration_s: float

    @property
    def meters_per_second(self) -> float:
        return round(self.meters / self.duration_s, 1) if self.duration_s > 0 else 0.0


@dataclass(frozen=True, slots=True)
class CollectionRun:
    results: tuple[MeterResult, ...]
    attempts: tuple[Attempt, ...]
    summary: CollectionSummary


def summarise(
    results: Sequence[MeterResult], attempts: Sequence[Attempt], *, duration_s: float
) -> CollectionSummary:
    """Counts of a run: meters collected and failed, failures by error kind. Pure."""
    failed = Counter(str(r.error_kind) for r in results if not r.ok)
    failed_attempts = Counter(str(a.error_kind) for a in attempts if not a.ok)
    return CollectionSummary(
        meters=len(results),
        collected=sum(1 for r in results if r.ok),
        failed=sum(failed.values()),
        attempts=len(attempts),
        failed_by_kind=dict(sorted(failed.items())),
        attempts_failed_by_kind=dict(sorted(failed_attempts.items())),
        duration_s=duration_s,
    )


@dataclass
class _Plans:
    policy: CollectPolicy
    cache: dict[tuple[str, ...], tuple[PlanItem, ...]] = field(default_factory=dict)

    def of(self, tariff_order: tuple[str, ...]) -> tuple[PlanItem, ...]:
        if tariff_order not in self.cache:
            self.cache[tariff_order] = read_plan(
                tariff_order=tariff_order,
                with_daily_frozen=self.policy.with_daily_frozen,
                energy_block=self.policy.energy_block,
            )
        return self.cache[tariff_order]


async def collect(
    targets: Iterable[MeterTarget],
    *,
    policy: CollectPolicy | None = None,
    timer: Timer | None = None,
    on_result: Callable[[MeterResult], None] | None = None,
) -> CollectionRun:
    """Read every target; results come back in the order of ``targets``. Never raises for a meter."""
    policy = policy or CollectPolicy()
    clock = timer or asyncio.get_running_loop().time
    started = clock()
    targets = list(targets)
    results: list[MeterResult | None] = [None] * len(targets)
    attempts: list[Attempt] = []
    by_gateway: dict[tuple[str, int], list[int]] = {}
    for index, target in enumerate(targets):
        by_gateway.setdefault(target.endpoint, []).append(index)
    gateways = asyncio.Semaphore(policy.max_parallel_gateways)
    plans = _Plans(policy)

    def record(index: int, result: MeterResult, tried: list[Attempt]) -> None:
        results[index] = result
        attempts.extend(tried)
        if on_result is not None:
            on_result(result)

    async def run_gateway(endpoint: tuple[str, int], indexes: list[int]) -> None:
        async with gateways:
            link = GatewayLink(*endpoint, policy.link_settings())
            unreachable = False
            try:
                for index in indexes:
                    target = targets[index]
                    if unreachable:
                        record(index, MeterResult(target, None, ErrorKind.CONNECTION, _UNREACHABLE), [])
                        continue
                    result, tried = await read_meter(
                        link, target, plan=plans.of(target.tariff_order), policy=policy, timer=clock
                    )
                    record(index, result, tried)
                    unreachable = result.error_kind is ErrorKind.CONNECTION
            finally:
                await link.close()

    await asyncio.gather(*(run_gateway(endpoint, indexes) for endpoint, indexes in by_gateway.items()))
    done = tuple(r for r in results if r is not None)
    return CollectionRun(done, tuple(attempts), summarise(done, attempts, duration_s=clock() - started))


_UNREACHABLE = "gateway unreachable; not tried"


async def read_meter(
    link: GatewayLink,
    target: MeterTarget,
    *,
    plan: Sequence[PlanItem],
    policy: CollectPolicy,
    timer: Timer,
) -> tuple[MeterResult, list[Attempt]]:
    """Read one meter's plan, with retries; the result and every attempt. Never raises."""
    tried: list[Attempt] = []
    try:
        address = normalise_address(target.address)
    except BadAddress as error:
        return MeterResult(target, None, ErrorKind.BAD_ADDRESS, str(error)), tried
    kind, detail = ErrorKind.INTERNAL, ""
    for attempt_no in range(1, policy.attempts + 1):
        started = timer()
        try:
            readout = await _read_plan(link, address, plan, target.tariff_order, policy.meter_tz)
        except Exception as error:
            kind, detail = error_kind(error), str(error) or type(error).__name__
            tried.append(
                Attempt(address, target.meter_no, attempt_no, False, kind, timer() - started, detail)
            )
            if kind is ErrorKind.CONNECTION:
                await link.close()
            if kind in NOT_RETRIED:
                break
            if policy.retry_pause and attempt_no < policy.attempts:
                await asyncio.sleep(policy.retry_pause)
            continue
        tried.append(Attempt(address, target.meter_no, attempt_no, True, None, timer() - started))
        return MeterResult(target, readout, attempts=len(tried)), tried
    return MeterResult(target, None, kind, detail, attempts=len(tried)), tried


async def _read_plan(
    link: GatewayLink, address: str, plan: Sequence[PlanItem], tariff_order: tuple[str, ...], tz: tzinfo
) -> MeterReadout:
    values: dict[int, Value] = {}
    refused: list[int] = []
    answered = [address]
    for item in plan:
        await _read_item(link, address, item, values=values, refused=refused, answered=answered, tz=tz)
    return assemble_readout(
        address=answered[-1], values=values, refused=refused, tariff_order=tariff_order, tz=tz
    )


async def _read_item(
    link: GatewayLink,
    address: str,
    item: PlanItem,
    *,
    values: dict[int, Value],
    refused: list[int],
    answered: list[str],
    tz: tzinfo,
) -> None:
    try:
        frame, payload = await link.read(address, item.di.code)
    except MeterErrorReply:
        if item.fallback:
            for other in item.fallback:
                await _read_item(
                    link, address, other, values=values, refused=refused, answered=answered, tz=tz
                )
            return
        if item.required:
            raise
        refused.append(item.di.code)
        return
    values[item.di.code] = decode_value(item.di, payload, tz=tz)
    if not is_wildcard(frame.address):
        answered.append(frame.address)


async def probe_meter(
    *,
    host: str,
    port: int,
    address: str,
    policy: CollectPolicy | None = None,
    tariff_order: tuple[str, ...] = STATE_GRID_TARIFF_ORDER,
    timer: Timer | None = None,
) -> tuple[MeterResult, tuple[Attempt, ...]]:
    """Read one meter now (the field tool ``m2c read probe``). Never raises for the meter."""
    policy = policy or CollectPolicy()
    target = MeterTarget(address=address, host=host, port=port, tariff_order=tariff_order)
    link = GatewayLink(host, port, policy.link_settings())
    try:
        result, tried = await read_meter(
            link,
            target,
            plan=_Plans(policy).of(tariff_order),
            policy=policy,
            timer=timer or asyncio.get_running_loop().time,
        )
    finally:
        await link.close()
    return result, tuple(tried)
