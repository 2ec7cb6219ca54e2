"""Data identifiers (DI, 数据标识) we read, and the formats of their values. Pure.

DL/T 645-2007 Appendix A. A DI is 4 bytes ``DI3 DI2 DI1 DI0``, written here most significant
first (``00010000``) and sent low byte first (``00 00 01 00`` → +33H → ``33 33 34 33``).

=========  ==========================================  ============================  =======
DI         meaning                                     format (bytes)                unit
=========  ==========================================  ============================  =======
00010000   forward active energy, total (正向有功总电能)  XXXXXX.XX (4)                 kWh
00010100   forward active energy, tariff 1 (费率1)       XXXXXX.XX (4)                 kWh
00010200   … tariff 2 (费率2)                            XXXXXX.XX (4)                 kWh
00010300   … tariff 3 (费率3)                            XXXXXX.XX (4)                 kWh
00010400   … tariff 4 (费率4)                            XXXXXX.XX (4)                 kWh
0001FF00   forward active energy block (正向有功电能数据块): total, tariff 1…n
                                                       XXXXXX.XX (4 each)            kWh
00030000   combined reactive 1, total (组合无功1总电能)   XXXXXX.XX signed (4)          kvarh
01010000   forward active maximum demand (正向有功总最大需量) and its time
                                                       XX.XXXX (3) + YYMMDDhhmm (5)  kW
02010100   phase-A voltage (A相电压)                     XXX.X (2)                     V
04000101   date and weekday (日期及星期, 0 = Sunday)     YYMMDDWW (4)
04000102   time (时间)                                   hhmmss (3)
05060001   (last 1) daily freeze time (上1次日冻结时间)   YYMMDDhhmm (5)
05060101   (last 1) daily frozen forward active energy (上1次日冻结正向有功电能数据)
                                                       total, tariff 1…n: XXXXXX.XX (4 each)
=========  ==========================================  ============================  =======

Times (demand, freeze) carry no zone on the wire: they are the meter's wall clock. They are
decoded as aware datetimes in the zone given (default Asia/Shanghai, the business zone), and
encoded as their wall time in that zone.

Which tariff number is which time-of-use period is the meter's configuration, not the protocol;
State Grid and China Southern Grid meters number them 1 = sharp (尖), 2 = peak (峰),
3 = flat (平), 4 = valley (谷). `readout` applies that order unless a meter's archive says
otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from decimal import Decimal
from enum import Enum

from meter2cash.platform.clock import BUSINESS_TZ
from meter2cash.reading.dlt645.bcd import bcd_from_decimal, decimal_from_bcd, digits_of, packed


class BadValue(ValueError):
    """A reply's value has the wrong length or is no valid date, time or number."""


class Format(Enum):
    ENERGY = "XXXXXX.XX"
    REACTIVE = "±XXXXXX.XX"
    DEMAND = "XX.XXXX+YYMMDDhhmm"
    VOLTAGE = "XXX.X"
    DATE = "YYMMDDWW"
    TIME = "hhmmss"
    STAMP = "YYMMDDhhmm"
    ENERGY_BLOCK = "XXXXXX.XX×n"


@dataclass(frozen=True, slots=True)
class Demand:
    """A maximum demand and when it occurred (None when the meter has never recorded one)."""

    kw: Decimal
    at: datetime | None


Value = Decimal | Demand | date | time | datetime | tuple[Decimal, ...]


@dataclass(frozen=True, slots=True)
class DataId:
    code: int
    name: str
    name_zh: str
    format: Format

    @property
    def hex(self) -> str:
        return f"{self.code:08X}"


ENERGY = Format.ENERGY
FORWARD_ACTIVE_TOTAL = DataId(0x00010000, "forward active energy, total", "正向有功总电能", ENERGY)
FORWARD_ACTIVE_TARIFF: dict[int, DataId] = {
    n: DataId(0x00010000 | n << 8, f"forward active energy, tariff {n}", f"正向有功费率{n}电能", ENERGY)
    for n in range(1, 5)
}
FORWARD_ACTIVE_BLOCK = DataId(
    0x0001FF00, "forward active energy block: total, tariffs 1…n", "正向有功电能数据块", Format.ENERGY_BLOCK
)
COMBINED_REACTIVE_1 = DataId(0x00030000, "combined reactive 1, total", "组合无功1总电能", Format.REACTIVE)
MAX_DEMAND_FORWARD_ACTIVE = DataId(
    0x01010000, "forward active maximum demand and time", "正向有功总最大需量及发生时间", Format.DEMAND
)
PHASE_A_VOLTAGE = DataId(0x02010100, "phase-A voltage", "A相电压", Format.VOLTAGE)
METER_DATE = DataId(0x04000101, "date and weekday", "日期及星期", Format.DATE)
METER_TIME = DataId(0x04000102, "time", "时间", Format.TIME)
DAILY_FROZEN_TIME = DataId(0x05060001, "last daily freeze time", "上1次日冻结时间", Format.STAMP)
DAILY_FROZEN_FORWARD_ACTIVE = DataId(
    0x05060101, "last daily frozen forward active energy", "上1次日冻结正向有功电能数据", Format.ENERGY_BLOCK
)

KNOWN: dict[int, DataId] = {
    di.code: di
    for di in (
        FORWARD_ACTIVE_TOTAL,
        *FORWARD_ACTIVE_TARIFF.values(),
        FORWARD_ACTIVE_BLOCK,
        COMBINED_REACTIVE_1,
        MAX_DEMAND_FORWARD_ACTIVE,
        PHASE_A_VOLTAGE,
        METER_DATE,
        METER_TIME,
        DAILY_FROZEN_TIME,
        DAILY_FROZEN_FORWARD_ACTIVE,
    )
}

_SIZES = {
    Format.ENERGY: 4,
    Format.REACTIVE: 4,
    Format.DEMAND: 8,
    Format.VOLTAGE: 2,
    Format.DATE: 4,
    Format.TIME: 3,
    Format.STAMP: 5,
}


def decode_value(di: DataId, payload: bytes, *, tz: tzinfo = BUSINESS_TZ) -> Value:
    """The value of a reply's payload (the bytes after the echoed DI). Raises `BadValue` or
    `meter2cash.reading.dlt645.bcd.BadDigits`."""
    fmt = di.format
    if fmt is Format.ENERGY_BLOCK:
        if not payload or len(payload) % 4:
            raise BadValue(f"{di.hex}: {len(payload)} bytes is not a whole number of 4-byte registers")
        return tuple(decimal_from_bcd(payload[i : i + 4], scale=2) for i in range(0, len(payload), 4))
    if len(payload) != _SIZES[fmt]:
        raise BadValue(f"{di.hex}: expected {_SIZES[fmt]} bytes, got {len(payload)}")
    if fmt is Format.ENERGY:
        return decimal_from_bcd(payload, scale=2)
    if fmt is Format.REACTIVE:
        return decimal_from_bcd(payload, scale=2, signed=True)
    if fmt is Format.VOLTAGE:
        return decimal_from_bcd(payload, scale=1)
    if fmt is Format.DEMAND:
        return Demand(decimal_from_bcd(payload[:3], scale=4), _stamp(payload[3:], allow_zero=True, tz=tz))
    if fmt is Format.DATE:
        digits = digits_of(payload)
        if int(digits[6:]) > 6:
            raise BadValue(f"{di.hex}: weekday {digits[6:]} is not 0–6")
        return _date(digits[:6])
    if fmt is Format.TIME:
        return _time(digits_of(payload))
    stamp = _stamp(payload, allow_zero=False, tz=tz)
    assert stamp is not None
    return stamp


def encode_value(di: DataId, value: Value, *, tz: tzinfo = BUSINESS_TZ) -> bytes:
    """The payload a meter sends for ``value`` (for simulators and tests)."""
    fmt = di.format
    if fmt is Format.ENERGY_BLOCK and isinstance(value, tuple):
        return b"".join(bcd_from_decimal(v, size=4, scale=2) for v in value)
    if fmt in (Format.ENERGY, Format.REACTIVE, Format.VOLTAGE) and isinstance(value, Decimal):
        scale = 1 if fmt is Format.VOLTAGE else 2
        return bcd_from_decimal(value, size=_SIZES[fmt], scale=scale, signed=fmt is Format.REACTIVE)
    if fmt is Format.DEMAND and isinstance(value, Demand):
        when = "0" * 10 if value.at is None else _wall(value.at, tz).strftime("%y%m%d%H%M")
        return bcd_from_decimal(value.kw, size=3, scale=4) + packed(when)
    if fmt is Format.DATE and isinstance(value, date) and not isinstance(value, datetime):
        return packed(value.strftime("%y%m%d") + f"{value.isoweekday() % 7:02d}")
    if fmt is Format.TIME and isinstance(value, time):
        return packed(value.strftime("%H%M%S"))
    if fmt is Format.STAMP and isinstance(value, datetime):
        return packed(_wall(value, tz).strftime("%y%m%d%H%M"))
    raise TypeError(f"{di.hex} ({fmt.value}) cannot hold {value!r}")


def _date(digits: str) -> date:
    try:
        return date(2000 + int(digits[0:2]), int(digits[2:4]), int(digits[4:6]))
    except ValueError as error:
        raise BadValue(f"not a date: {digits}") from error


def _time(digits: str) -> time:
    try:
        return time(int(digits[0:2]), int(digits[2:4]), int(digits[4:6]))
    except ValueError as error:
        raise BadValue(f"not a time: {digits}") from error


def _wall(when: datetime, tz: tzinfo) -> datetime:
    if when.tzinfo is None:
        raise ValueError(f"a meter time needs a zone: {when!r}")
    return when.astimezone(tz)


def _stamp(payload: bytes, *, allow_zero: bool, tz: tzinfo) -> datetime | None:
    digits = digits_of(payload)
    if allow_zero and not int(digits):
        return None
    day = _date(digits[:6])
    try:
        return datetime(day.year, day.month, day.day, int(digits[6:8]), int(digits[8:10]), tzinfo=tz)
    except ValueError as error:
        raise BadValue(f"not a date and time: {digits}") from error
