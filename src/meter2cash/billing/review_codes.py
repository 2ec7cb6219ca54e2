"""The codes a bill review rule (量费审核) may raise, their severities and titles. Pure values.

The code names are a public contract: the review queue, ``--json`` output, the KPIs and a bureau's
reports quote them, so they never change.
"""

from __future__ import annotations

from enum import StrEnum


class ReviewCode(StrEnum):
    """One review rule each; the comment is the usual name on a reviewer's screen."""

    ENERGY_JUMP = "ENERGY_JUMP"  # 电量突变
    AMOUNT_JUMP = "AMOUNT_JUMP"  # 电费突变
    ZERO_BILL = "ZERO_BILL"  # 零电量/零电费
    NEGATIVE_BILL = "NEGATIVE_BILL"  # 负电费(退费账单)
    OVER_LIMIT = "OVER_LIMIT"  # 电费超限额
    ESTIMATED = "ESTIMATED"  # 估抄电量
    LOW_POWER_FACTOR = "LOW_POWER_FACTOR"  # 力率偏低
    DEMAND_OVER_CONTRACT = "DEMAND_OVER_CONTRACT"  # 需量超合同
    TARIFF_CHANGE = "TARIFF_CHANGE"  # 电价变更
    METER_CHANGE = "METER_CHANGE"  # 换表后首次账单


class ReviewSeverity(StrEnum):
    """``flag``: a human reviews the bill before it can be issued (it goes to the review queue);
    ``note``: recorded with the bill, which is still approved automatically."""

    FLAG = "flag"
    NOTE = "note"


# English message ids of the codes' titles; translated at the edge (zh_CN catalog).
TITLES: dict[ReviewCode, str] = {
    ReviewCode.ENERGY_JUMP: "energy out of line with history",
    ReviewCode.AMOUNT_JUMP: "amount out of line with history",
    ReviewCode.ZERO_BILL: "zero bill on an active account",
    ReviewCode.NEGATIVE_BILL: "credit (negative) bill",
    ReviewCode.OVER_LIMIT: "amount above the class limit",
    ReviewCode.ESTIMATED: "billed on estimated readings",
    ReviewCode.LOW_POWER_FACTOR: "power factor below the floor",
    ReviewCode.DEMAND_OVER_CONTRACT: "maximum demand over the contract",
    ReviewCode.TARIFF_CHANGE: "tariff change inside the period",
    ReviewCode.METER_CHANGE: "first bill after a meter change",
}
