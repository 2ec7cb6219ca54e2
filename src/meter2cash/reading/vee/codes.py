"""The codes a meter reading check (抄表 VEE) may raise, their severities, and reading quality flags.

The code names are a public contract: files, the API and clerks' reports quote them, so they never
change. Pure values.
"""

from __future__ import annotations

from enum import StrEnum


class VeeCode(StrEnum):
    """One validation rule each. Chinese names are the usual 抄表异常 names on a clerk's screen."""

    INVALID = "INVALID"  # 无效示数
    DUPLICATE = "DUPLICATE"  # 重复抄表
    ROLLBACK = "ROLLBACK"  # 示数下降 (倒走)
    ROLLOVER = "ROLLOVER"  # 示数翻转 (走满归零)
    TOU_SUM = "TOU_SUM"  # 分时示数不平
    MULTIPLIER_CHANGE = "MULTIPLIER_CHANGE"  # 倍率不符
    CLOCK_DRIFT = "CLOCK_DRIFT"  # 时钟超差
    MISSING = "MISSING"  # 漏抄
    ZERO = "ZERO"  # 零电量
    STOPPED = "STOPPED"  # 停走
    SPIKE_HIGH = "SPIKE_HIGH"  # 电量突增
    SPIKE_LOW = "SPIKE_LOW"  # 电量突减
    OVER_CAPACITY = "OVER_CAPACITY"  # 超容量
    INACTIVE_USAGE = "INACTIVE_USAGE"  # 停用表计有电量


class Severity(StrEnum):
    """``error``: the reading can't be billed as it is (estimate or correct it first);
    ``warning``: billable, but a clerk reviews it before the bill is issued;
    ``info``: noted, nothing to do."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


SEVERITY: dict[VeeCode, Severity] = {
    VeeCode.INVALID: Severity.ERROR,
    VeeCode.DUPLICATE: Severity.ERROR,  # INFO when the two readings are identical
    VeeCode.ROLLBACK: Severity.ERROR,
    VeeCode.ROLLOVER: Severity.WARNING,
    VeeCode.TOU_SUM: Severity.ERROR,
    VeeCode.MULTIPLIER_CHANGE: Severity.ERROR,
    VeeCode.CLOCK_DRIFT: Severity.WARNING,
    VeeCode.MISSING: Severity.ERROR,
    VeeCode.ZERO: Severity.WARNING,
    VeeCode.STOPPED: Severity.ERROR,
    VeeCode.SPIKE_HIGH: Severity.WARNING,
    VeeCode.SPIKE_LOW: Severity.WARNING,
    VeeCode.OVER_CAPACITY: Severity.ERROR,
    VeeCode.INACTIVE_USAGE: Severity.ERROR,
}

# English message ids of the codes' titles; translated at the edge (zh_CN catalog).
TITLES: dict[VeeCode, str] = {
    VeeCode.INVALID: "invalid reading",
    VeeCode.DUPLICATE: "duplicate reading",
    VeeCode.ROLLBACK: "register went down",
    VeeCode.ROLLOVER: "register rolled over",
    VeeCode.TOU_SUM: "time-of-use registers do not add up",
    VeeCode.MULTIPLIER_CHANGE: "multiplier differs from the archive",
    VeeCode.CLOCK_DRIFT: "meter clock off",
    VeeCode.MISSING: "reading missing",
    VeeCode.ZERO: "zero consumption",
    VeeCode.STOPPED: "meter stopped",
    VeeCode.SPIKE_HIGH: "consumption too high",
    VeeCode.SPIKE_LOW: "consumption too low",
    VeeCode.OVER_CAPACITY: "more energy than the capacity allows",
    VeeCode.INACTIVE_USAGE: "consumption on an inactive meter",
}


class QualityFlag(StrEnum):
    """Where a reading's value came from, after AEMO NEM12's quality flags."""

    ACTUAL = "actual"  # 实抄
    ESTIMATED = "estimated"  # 估抄
    SUBSTITUTED = "substituted"  # 替代 (a replacement value for billing)
    EDITED = "edited"  # 人工修正 (a clerk set the final value)
    CUSTOMER_READ = "customer_read"  # 客户自报


NEM12_LETTER: dict[QualityFlag, str] = {
    QualityFlag.ACTUAL: "A",
    QualityFlag.ESTIMATED: "E",
    QualityFlag.SUBSTITUTED: "S",
    QualityFlag.EDITED: "F",  # final substituted: a value a person has made final
    QualityFlag.CUSTOMER_READ: "S",  # NEM12 treats a customer's own read as a substitution method
}

# Flags that are not a meter's own reading: they count towards "too many consecutive estimates".
NOT_READ_FROM_METER = frozenset({QualityFlag.ESTIMATED, QualityFlag.SUBSTITUTED})
