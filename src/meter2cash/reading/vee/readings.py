"""What the reading checks look at: a meter's facts and a sequence of its readings. Pure values.

Register values are kept *as received* (``Decimal`` or the text a reader typed or a file held),
because telling a clerk that a value is not a number is one of the checks (INVALID). Times are
local wall-clock time (北京时间, UTC+8), without a time zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from meter2cash.platform.periods import Period
from meter2cash.reading.usage_history import UsagePeriod
from meter2cash.reading.vee.codes import QualityFlag
from meter2cash.reading.vee.register import RegisterSpec
from meter2cash.registry.codes import TouRegister

RegisterValue = Decimal | str


class MeterStatus(StrEnum):
    """Whether the meter is expected to record energy."""

    ACTIVE = "active"  # 正常
    SUSPENDED = "suspended"  # 暂停
    CLOSED = "closed"  # 销户
    DISCONNECTED = "disconnected"  # 停电 (费控拉闸 / 欠费停电)


class ReadingSource(StrEnum):
    """How the reading was taken."""

    REMOTE = "remote"  # 采集: a collection terminal / DL/T 645 read
    HANDHELD = "handheld"  # 抄表机
    MANUAL = "manual"  # 手工录入
    CUSTOMER = "customer"  # 客户自报


@dataclass(frozen=True, slots=True)
class MeterFacts:
    """What the archive (档案) says about the meter being read."""

    meter_no: str
    register: RegisterSpec
    multiplier: Decimal  # 倍率 in the archive; energy = advance × this
    tou_registers: tuple[TouRegister, ...] = ()
    capacity_kva: Decimal | None = None  # contract / nameplate capacity for OVER_CAPACITY
    status: MeterStatus = MeterStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class MeterReading:
    """One reading of all the meter's registers at one moment."""

    read_at: datetime
    total: RegisterValue
    tou: Mapping[str, RegisterValue] = field(default_factory=dict)
    multiplier: Decimal | None = None  # the multiplier found in the field (现场倍率), if reported
    meter_clock: datetime | None = None  # what the meter's clock showed at read_at
    source: ReadingSource = ReadingSource.HANDHELD
    quality: QualityFlag = QualityFlag.ACTUAL
    area_supply_kwh: Decimal | None = None  # energy of the area's supply meter over the same period


@dataclass(frozen=True, slots=True)
class ReadingSet:
    """A meter, its history and readings to check.

    ``previous`` is the last accepted reading (from the archive or the last bill); without it the
    first valid reading is the baseline and gets no consumption. ``window`` is the reading window
    (抄表例日 ± grace) of the period being read; ``as_of`` is "now", passed in.
    """

    meter: MeterFacts
    readings: tuple[MeterReading, ...]
    history: tuple[UsagePeriod, ...] = ()
    previous: MeterReading | None = None
    window: Period | None = None
    as_of: datetime | None = None
