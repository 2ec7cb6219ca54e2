"""A late-fee case (违约金试算): one documented JSON case (docs/collection.md) read into the inputs of
`late_fees.late_fees`, and the result as the public JSON. Pure.

The case::

    {"customer_category": "residential | general | large_industry | agriculture",
     "pay_date": "2001-01-18",
     "arrears": [{"bill": "2000-12", "amount": "2000.00", "due_date": "2000-12-15"}]}

A case with any problem is refused whole (`InputRefused`), every problem named with where it is
(``arrears[1].amount`` …): an unknown category, a date that is not ``YYYY-MM-DD``, a missing pay
date, no arrears, an amount that is negative, not a decimal number or finer than the fen, a bill
named twice, an unknown key. Numbers may be decimal strings or JSON numbers read exactly (the
caller parses JSON with ``parse_float=Decimal``); a binary float is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from meter2cash.collection.late_fee_policy import DEFAULT_LATE_FEE_POLICY, LateFeePolicy
from meter2cash.collection.late_fees import Arrear, LateFees, late_fees
from meter2cash.platform.errors import InputRefused, Problem
from meter2cash.platform.money import BadAmount, NotExact, exact, fen_text, round_fen

SUMMARY = "违约金试算请求有误 The late-fee case has errors"
TOP_KEYS = frozenset({"customer_category", "pay_date", "arrears"})
ARREAR_KEYS = frozenset({"bill", "amount", "due_date"})
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# No overdue amount reaches 10¹² 元: a larger one is a typing error.
MAX_AMOUNT = Decimal(10) ** 12


@dataclass(frozen=True, slots=True)
class LateFeeCase:
    """The inputs of one case, checked."""

    customer_category: str
    pay_date: date
    arrears: tuple[Arrear, ...]


@dataclass
class _Reader:
    problems: list[Problem] = field(default_factory=list)

    def fail(self, where: str, reason: str, value: object = None) -> None:
        self.problems.append(
            Problem(reason=reason, column=where, value=None if value is None else str(value))
        )

    def unknown_keys(self, data: Mapping[str, Any], known: frozenset[str], where: str = "") -> None:
        for key in sorted(set(map(str, data)) - known):
            self.fail(f"{where}{key}", f"未知的键 unknown key (known: {', '.join(sorted(known))})")

    def day(self, data: Mapping[str, Any], key: str, where: str) -> date | None:
        raw = data.get(key)
        if raw is None:
            self.fail(where, "必填 required")
            return None
        if isinstance(raw, str) and ISO_DAY.fullmatch(raw.strip()):
            try:
                return date.fromisoformat(raw.strip())
            except ValueError:
                pass
        self.fail(where, "日期格式应为 YYYY-MM-DD a date written YYYY-MM-DD", raw)
        return None

    def amount(self, data: Mapping[str, Any], key: str, where: str) -> Decimal | None:
        raw = data.get(key)
        if raw is None:
            self.fail(where, "必填 required")
            return None
        try:
            value = exact(raw)
        except (BadAmount, NotExact):
            self.fail(where, "不是十进制数 not a decimal number", raw)
            return None
        if value < 0:
            self.fail(where, "不能为负数 must not be negative", raw)
        elif value >= MAX_AMOUNT:
            self.fail(where, "金额过大 too large (at most 10¹² − 0.01)", raw)
        elif round_fen(value) != value:
            self.fail(where, "金额最多两位小数 at most two decimals (whole fen)", raw)
        else:
            return value
        return None


def parse_late_fee_case(
    *, data: Mapping[str, Any], policy: LateFeePolicy = DEFAULT_LATE_FEE_POLICY
) -> LateFeeCase:
    """The case's category, payment day and overdue bills; every problem at once."""
    reader = _Reader()
    reader.unknown_keys(data, TOP_KEYS)
    category = data.get("customer_category")
    if category is None:
        reader.fail("customer_category", "必填 required")
    elif not isinstance(category, str) or category not in policy.classes:
        known = " / ".join(policy.classes)
        reader.fail("customer_category", f"未知的用电类别 unknown category (known: {known})", category)
    pay_date = reader.day(data, "pay_date", "pay_date")
    arrears = _arrears(reader, data.get("arrears"))
    if reader.problems or pay_date is None or not isinstance(category, str):
        raise InputRefused(SUMMARY, reader.problems)
    return LateFeeCase(customer_category=category, pay_date=pay_date, arrears=arrears)


def _arrears(reader: _Reader, raw: object) -> tuple[Arrear, ...]:
    if raw is None:
        reader.fail("arrears", "必填 required")
        return ()
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        reader.fail("arrears", "应为列表 must be a list", raw)
        return ()
    if not raw:
        reader.fail("arrears", "没有欠费账单 no overdue bills: give at least one")
        return ()
    arrears: list[Arrear] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(raw):
        where = f"arrears[{index}]"
        if not isinstance(item, Mapping):
            reader.fail(where, "应为对象 must be an object", item)
            continue
        reader.unknown_keys(item, ARREAR_KEYS, f"{where}.")
        bill = item.get("bill")
        if not isinstance(bill, str) or not bill.strip():
            reader.fail(f"{where}.bill", "必填 required: the bill's period YYYY-MM or its number", bill)
            bill = None
        elif bill.strip() in seen:
            reader.fail(f"{where}.bill", f"账单重复 the bill is already arrears[{seen[bill.strip()]}]", bill)
        else:
            seen[bill.strip()] = index
        amount = reader.amount(item, "amount", f"{where}.amount")
        due_date = reader.day(item, "due_date", f"{where}.due_date")
        if bill is not None and amount is not None and due_date is not None:
            arrears.append(Arrear(bill=bill.strip(), amount=amount, due_date=due_date))
    return tuple(arrears)


def quote_late_fees(*, data: Mapping[str, Any], policy: LateFeePolicy = DEFAULT_LATE_FEE_POLICY) -> LateFees:
    """Price one JSON case (docs/collection.md) under ``policy``."""
    case = parse_late_fee_case(data=data, policy=policy)
    return late_fees(
        category=case.customer_category, arrears=case.arrears, pay_date=case.pay_date, policy=policy
    )


def late_fees_json(fees: LateFees) -> dict[str, object]:
    """The public contract: ``{"total", "items": [{"bill", "amount", "days", "fee", "rule"}]}``;
    every number a decimal string: money with two places, ``days`` a whole number (``"34"``)."""
    return {
        "total": fen_text(fees.total),
        "items": [
            {
                "bill": item.bill,
                "amount": fen_text(item.amount),
                "days": str(item.days),
                "fee": fen_text(item.fee),
                "rule": item.rule,
            }
            for item in fees.items
        ],
    }
