"""Late fees as the ledger accrues them (违约金计提): on a bill partly paid over time. Pure.

`late_fees.late_fee_item` prices one overdue amount paid on one day. In the ledger a bill's
principal falls as payments arrive, so its penalty is the sum, day by day, of the rate of that day
times the principal still owed at the start of that day (`Balance` steps). Everything else is the
rule of `late_fees` (《供电营业规则》(1996) art. 98) with the same policy:

1. the days run from the day after the due date up to and including ``through`` (a payment day, or
   a month end); money paid on a day counts as owed that whole day;
2. the rate of a day is the class's current-year rate up to 31 December of the bill's year and the
   after-year rate from then on (or every day at the after-year rate under ``all_days``);
3. the exact sum is rounded to the fen once (`round_fen`);
4. the minimum (1 元): a bill whose penalty to date is positive but under the minimum is charged
   the minimum. The ledger applies it per bill, over the bill's life, so accruing at month end and
   again at payment never charges it twice (docs/decisions/0009-ledger.md).

``accrued`` is the penalty of the bill from its due date to ``through``; the ledger charges the
difference from what it has already charged, so accruing twice to the same day charges nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, Inexact, localcontext

from meter2cash.collection.late_fee_policy import PER_MILLE, LateFeePolicy, YearSplit
from meter2cash.collection.late_fees import EXACT_DIGITS, bill_year, class_rates, per_mille_text
from meter2cash.platform.money import round_fen

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Balance:
    """From the start of ``since`` the bill's principal still owed is ``amount``."""

    since: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Accrued:
    bill: str
    days: int
    accrued: Decimal  # the penalty to date, minimum applied
    rule: str


def accrued_late_fee(
    *,
    category: str,
    bill: str,
    due_date: date,
    balances: Sequence[Balance],
    through: date,
    policy: LateFeePolicy,
) -> Accrued:
    """The penalty of one bill from the day after ``due_date`` to ``through`` inclusive, on the
    principal owed day by day (``balances``, in date order; before the first step, 0 is owed)."""
    rates = class_rates(policy, category)
    first_day = due_date + timedelta(days=1)
    days = max(0, (through - due_date).days)
    if days == 0:
        return Accrued(bill=bill, days=0, accrued=ZERO, rule="未逾期，不计违约金")
    year_end = date(bill_year(bill=bill, due_date=due_date), 12, 31)
    crosses = through > year_end
    total = Decimal(0)
    with localcontext() as context:
        context.prec = EXACT_DIGITS
        context.traps[Inexact] = True
        for index, step in enumerate(balances):
            start = max(step.since, first_day)
            end = (
                through
                if index + 1 == len(balances)
                else min(through, balances[index + 1].since - timedelta(1))
            )
            if end < start or step.amount <= 0:
                continue
            in_year = max(0, (min(end, year_end) - start).days + 1)
            after_year = (end - start).days + 1 - in_year
            if policy.year_split is YearSplit.ALL_DAYS and crosses:
                in_year, after_year = 0, in_year + after_year
            total += step.amount * (rates.current_year * in_year + rates.after_year * after_year) / PER_MILLE
    accrued = round_fen(total)
    if ZERO < accrued < policy.minimum_fee:
        accrued = policy.minimum_fee
    rule = f"{rates.label} {_rate_text(rates.current_year, rates.after_year)} × 逐日欠费本金, {days} 天"
    return Accrued(bill=bill, days=days, accrued=accrued, rule=rule)


def _rate_text(current: Decimal, after: Decimal) -> str:
    if current == after:
        return f"{per_mille_text(current)}/日"
    return f"年内 {per_mille_text(current)}/日、跨年 {per_mille_text(after)}/日"
