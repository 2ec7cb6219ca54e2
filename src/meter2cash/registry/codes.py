"""Code lists of the archive (档案), with their Chinese names. Pure values, no storage."""

from __future__ import annotations

from enum import StrEnum


class CustomerCategory(StrEnum):
    """用电类别 as the tariff catalogs group customers."""

    RESIDENTIAL = "residential"  # 居民生活
    GENERAL = "general"  # 一般工商业
    LARGE_INDUSTRY = "large_industry"  # 大工业 (two-part tariff)
    AGRICULTURE = "agriculture"  # 农业生产


class VoltageLevel(StrEnum):
    """供电电压等级."""

    V220 = "220V"
    V380 = "380V"
    KV10 = "10kV"
    KV35 = "35kV"
    KV110 = "110kV"
    KV220 = "220kV"


class PowerFactorStandard(StrEnum):
    """力率考核标准 (〔83〕水电财字第215号)."""

    PF090 = "0.90"
    PF085 = "0.85"
    PF080 = "0.80"
    NONE = "none"


class PaymentMode(StrEnum):
    """缴费方式."""

    POSTPAID = "postpaid"  # 后付费
    SMART_PREPAID = "smart_prepaid"  # 费控 (remote prepaid)
    CARD_PREPAID = "card_prepaid"  # IC卡 (card meter)


class AccountStatus(StrEnum):
    ACTIVE = "active"  # 正常
    SUSPENDED = "suspended"  # 暂停
    CLOSED = "closed"  # 销户


class TouRegister(StrEnum):
    """Time-of-use registers a meter may keep besides its total (总)."""

    SHARP = "sharp"  # 尖
    PEAK = "peak"  # 峰
    FLAT = "flat"  # 平
    VALLEY = "valley"  # 谷


TOU_NAMES: tuple[str, ...] = tuple(register.value for register in TouRegister)  # in 尖峰平谷 order


class ServicePointKind(StrEnum):
    CUSTOMER = "customer"  # 用户计量点
    AREA_SUPPLY = "area_supply"  # 台区总表计量点


ZH_NAMES: dict[str, str] = {
    "residential": "居民生活",
    "general": "一般工商业",
    "large_industry": "大工业",
    "agriculture": "农业生产",
    "postpaid": "后付费",
    "smart_prepaid": "费控",
    "card_prepaid": "IC卡预付费",
    "active": "正常",
    "suspended": "暂停",
    "closed": "销户",
    "sharp": "尖",
    "peak": "峰",
    "flat": "平",
    "valley": "谷",
}
