"""Late payment penalty (电费违约金) on overdue bills. Pure: values in, values out; the payment day
and every rate are passed in (`LateFeePolicy`), no clock is read.

The rules (《供电营业规则》(1996) art. 98; 《电力供应与使用条例》 art. 39 allows 1‰–3‰ per day by
contract; the 2024 revision, 国家发展改革委令2024年第14号, was not available to us, so every rate is
configuration — the defaults are the 1996 values):

1. **Days.** A bill's penalty is counted for each day from the day after its due date up to and
   including the payment day: ``days = pay_date − due_date``; a bill paid on or before its due
   date has 0 days and no penalty.
2. **Rate.** Residential customers: 1‰ of the overdue amount per day. Other customers (general,
   large industry, agriculture): 2‰ per day for the current year's arrears, 3‰ per day for
   arrears carried across the year end. We read this per day (`YearSplit.PER_DAY`, default): the
   days up to and including 31 December of the bill's own year at 2‰, the days after that year
   ends at 3‰. The bill's year is the year of its period label ``YYYY-MM``, or of its due date
   when the label is not a period. A bureau may instead charge every day at 3‰ once the arrears
   cross the year end (`YearSplit.ALL_DAYS`).
3. **Exact, then rounded once per bill.** ``fee = amount × rate‰ × days``, the parts of both rates
   added exactly (`Decimal`) and rounded to the fen half-up by `round_fen`, the one money rounding.
4. **Total and minimum.** The total is the sum of the bills' fees; a positive total under 1 元 is
   charged as 1 元 (the policy's ``minimum_fee``). A total of 0 (nothing overdue) stays 0.

Example: 2000.00 元 due 2000-12-15, paid 2001-01-18 → 34 days. General: 16 days in 2000 at 2‰ +
18 days in 2001 at 3‰ = 64.00 + 108.00 = 172.00 元. Residential: 34 × 1‰ × 2000.00 = 68.00 元.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, Inexact, localcontext

from meter2cash.collection.late_fee_policy import (
    DEFAULT_LATE_FEE_POLICY,
    PER_MILLE,
    ClassRates,
    LateFeePolicy,
    YearSplit,
)
from meter2cash.platform.money import round_fen

PERIOD_LABEL = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
EXACT_DIGITS = 80  # far more than any amount × rate × days needs: the products below stay exact


class UnknownCustomerCategory(KeyError):
    """The policy names no rates for the customer class."""


class BadArrear(ValueError):
    """An overdue bill whose amount is not an exact, non-negative number of fen."""


@dataclass(frozen=True, slots=True)
class Arrear:
    """One overdue bill (欠费): its label (period ``YYYY-MM`` or bill number), the amount still owed
    (元) and its due date (缴费截止日期)."""

    bill: str
    amount: Decimal
    due_date: date

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal) or not self.amount.is_finite():
            raise BadArrear(f"the amount of {self.bill} must be a Decimal, got {self.amount!r}")
        if self.amount < 0 or round_fen(self.amount) != self.amount:
            raise BadArrear(f"the amount of {self.bill} must be zero or more, in whole fen: {self.amount}")


@dataclass(frozen=True, slots=True)
class LateFeeItem:
    """One bill's penalty: the overdue days split by year, the fee (元, to the fen) and the rule
    in words (Chinese, as a customer reads it)."""

    bill: str
    amount: Decimal
    days: int
    days_in_year: int
    days_after_year: int
    fee: Decimal
    rule: str


@dataclass(frozen=True, slots=True)
class LateFees:
    """A case's penalties: the items, their sum, and the total charged (the sum, or the minimum
    when the sum is positive and under it)."""

    items: tuple[LateFeeItem, ...]
    items_total: Decimal
    total: Decimal
    minimum_applied: bool


def overdue_days(*, due_date: date, pay_date: date) -> int:
    """Days from the day after the due date up to and including the payment day; 0 when paid on or
    before the due date."""
    return max(0, (pay_date - due_date).days)


def bill_year(*, bill: str, due_date: date) -> int:
    """The bill's own year: that of its period label ``YYYY-MM``, else (a bill number, any other
    label, year 0000) that of its due date."""
    match = PERIOD_LABEL.fullmatch(bill.strip())
    year = int(match.group(1)) if match else 0
    return year if year >= 1 else due_date.year


def late_fee_item(
    *, category: str, arrear: Arrear, pay_date: date, policy: LateFeePolicy = DEFAULT_LATE_FEE_POLICY
) -> LateFeeItem:
    """The penalty of one overdue bill paid on ``pay_date`` (rules 1–3 above)."""
    rates = class_rates(policy, category)
    days = overdue_days(due_date=arrear.due_date, pay_date=pay_date)
    year = bill_year(bill=arrear.bill, due_date=arrear.due_date)
    year_end = date(year, 12, 31)
    in_year = min(days, overdue_days(due_date=arrear.due_date, pay_date=min(pay_date, year_end)))
    after_year = days - in_year
    if policy.year_split is YearSplit.ALL_DAYS and after_year > 0:
        in_year, after_year = 0, days
    with localcontext() as exact_context:
        exact_context.prec = EXACT_DIGITS
        exact_context.traps[Inexact] = True
        exact_fee = arrear.amount * (rates.current_year * in_year + rates.after_year * after_year) / PER_MILLE
    fee = round_fen(exact_fee)
    return LateFeeItem(
        bill=arrear.bill,
        amount=arrear.amount,
        days=days,
        days_in_year=in_year,
        days_after_year=after_year,
        fee=fee,
        rule=_rule(rates=rates, year=year, days=days, in_year=in_year, after_year=after_year, policy=policy),
    )


def late_fees(
    *,
    category: str,
    arrears: Sequence[Arrear],
    pay_date: date,
    policy: LateFeePolicy = DEFAULT_LATE_FEE_POLICY,
) -> LateFees:
    """The penalties of a customer's overdue bills all paid on ``pay_date``, and the total charged
    (rule 4: a positive total under the minimum is charged as the minimum)."""
    items = tuple(
        late_fee_item(category=category, arrear=arrear, pay_date=pay_date, policy=policy)
        for arrear in arrears
    )
    items_total = sum((item.fee for item in items), Decimal("0.00"))
    minimum_applied = Decimal(0) < items_total < policy.minimum_fee
    return LateFees(
        items=items,
        items_total=items_total,
        total=policy.minimum_fee if minimum_applied else items_total,
        minimum_applied=minimum_applied,
    )


def class_rates(policy: LateFeePolicy, category: str) -> ClassRates:
    try:
        return policy.rates(category)
    except KeyError:
        known = ", ".join(sorted(policy.classes))
        raise UnknownCustomerCategory(
            f"no late-fee rates for the class {category!r}; known: {known}"
        ) from None


def per_mille_text(rate: Decimal) -> str:
    """``2`` → ``2‰``, ``2.50`` → ``2.5‰``: a rate as the regulation writes it."""
    text = f"{rate.normalize():f}" if rate else "0"
    return f"{text}‰"


def _rule(
    *, rates: ClassRates, year: int, days: int, in_year: int, after_year: int, policy: LateFeePolicy
) -> str:
    if days == 0:
        return "未逾期，不计违约金"
    if rates.single_rate:
        return f"{rates.label} {per_mille_text(rates.current_year)}/日 × {days} 天"
    if policy.year_split is YearSplit.ALL_DAYS and after_year:
        return f"跨年欠费 全部 {days} 天 × {per_mille_text(rates.after_year)}"
    parts = []
    if in_year:
        parts.append(f"{year}年内 {in_year} 天 × {per_mille_text(rates.current_year)}")
    if after_year:
        parts.append(f"跨年 {after_year} 天 × {per_mille_text(rates.after_year)}")
    return " + ".join(parts)
