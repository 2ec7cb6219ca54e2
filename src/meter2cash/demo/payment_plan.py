"""What the demo's customers pay, when and how (缴费计划). Pure: from the issued bills and each
account's payment profile (`meter2cash.demo.payments`), the payments of the collection window.

- How an account pays is fixed by its number, so a rebuild pays the same way: about four in ten
  by bank withholding (银行代扣, one of three banks), a few at the counter (坐收, each with a
  numbered receipt), the rest through a third-party agent (代收: WeChat Pay, Alipay).
- ``on_time`` accounts pay the bill in full a few days before its due date (withholding: on the
  due date, when the bank debits).
- ``late`` accounts pay ``delay_days`` after the due date: the bill plus the late payment penalty
  (电费违约金) it has accrued by then, priced by the one late-fee rule
  (`meter2cash.collection.late_fees`). One in three of them first pays half the bill on the due
  date — a partial payment (部分缴费) — and the rest late.
- ``chronic_non_payer`` accounts leave about ``unpaid_percent`` of their bills unpaid and pay the
  others ``delay_days`` (60–180) after the due date, so most of their debt is still open when
  the window ends: these are the accounts dunning (催费) and the lawful disconnection steps
  (停电) are for.
- Nothing is paid after ``until`` (the end of the window). A payment is never dated before the
  bill was issued.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from meter2cash.collection.late_fee_policy import LateFeePolicy
from meter2cash.collection.late_fees import Arrear, late_fees
from meter2cash.demo.payments import CHRONIC, LATE, PaymentProfile
from meter2cash.platform.money import round_fen

COUNTER, AGENT, WITHHOLDING = "counter", "agent", "bank_withholding"
BANKS = ("ICBC", "ABC", "CCB")
AGENTS = ("wechat", "alipay")
WITHHOLDING_SHARE = 40  # per cent of accounts paying by bank withholding
COUNTER_SHARE = 3  # per cent paying at the counter
PAY_BEFORE_DUE = 5  # on-time payers pay up to this many days before the due date


@dataclass(frozen=True, slots=True)
class DemoBill:
    account_no: str
    category: str
    bill_no: str
    amount: Decimal
    issued_on: date
    due_on: date


@dataclass(frozen=True, slots=True)
class PlannedPayment:
    account_no: str
    bill_no: str
    amount: Decimal
    paid_on: date
    channel: str  # COUNTER, AGENT or WITHHOLDING
    source: str  # bank or agent code; "counter"
    kind: str  # on_time, late, partial, chronic


def _draw(*parts: str) -> int:
    """A stable number 0–99 from text (the same on every machine and every run)."""
    return zlib.crc32("|".join(parts).encode()) % 100


def how_account_pays(account_no: str) -> tuple[str, str]:
    """(channel, source) of an account, fixed by its number."""
    draw = _draw(account_no, "channel")
    if draw < WITHHOLDING_SHARE:
        return WITHHOLDING, BANKS[draw % len(BANKS)]
    if draw < WITHHOLDING_SHARE + COUNTER_SHARE:
        return COUNTER, "counter"
    return AGENT, AGENTS[draw % len(AGENTS)]


def plan_payments(
    *,
    bills: Iterable[DemoBill],
    profiles: Mapping[str, PaymentProfile],
    until: date,
    late_fee_policy: LateFeePolicy,
) -> list[PlannedPayment]:
    """Every payment of the window, sorted by day then account."""
    planned: list[PlannedPayment] = []
    for bill in bills:
        profile = profiles.get(bill.account_no)
        if profile is None or bill.amount <= 0:
            continue
        channel, source = how_account_pays(bill.account_no)
        planned.extend(
            p
            for p in _payments_of(
                bill, profile=profile, channel=channel, source=source, policy=late_fee_policy
            )
            if p.paid_on <= until
        )
    planned.sort(key=lambda p: (p.paid_on, p.account_no, p.bill_no))
    return planned


def _payments_of(
    bill: DemoBill, *, profile: PaymentProfile, channel: str, source: str, policy: LateFeePolicy
) -> list[PlannedPayment]:
    def pay(amount: Decimal, day: date, kind: str) -> PlannedPayment:
        return PlannedPayment(
            bill.account_no, bill.bill_no, amount, max(day, bill.issued_on), channel, source, kind
        )

    if profile.profile == CHRONIC:
        if _draw(bill.bill_no, "unpaid") < profile.unpaid_percent:
            return []
        day = bill.due_on + timedelta(days=profile.delay_days)
        return [pay(_with_fee(bill, bill.amount, day=day, policy=policy), day, "chronic")]
    if profile.profile == LATE:
        day = bill.due_on + timedelta(days=max(1, profile.delay_days))
        if _draw(bill.bill_no, "partial") < 33:
            half = round_fen(bill.amount / 2)
            rest = bill.amount - half
            return [
                pay(half, bill.due_on, "partial"),
                pay(_with_fee(bill, rest, day=day, policy=policy), day, "late"),
            ]
        return [pay(_with_fee(bill, bill.amount, day=day, policy=policy), day, "late")]
    if channel == WITHHOLDING:
        return [pay(bill.amount, bill.due_on, "on_time")]
    early = _draw(bill.bill_no, "early") % (PAY_BEFORE_DUE + 1)
    return [pay(bill.amount, bill.due_on - timedelta(days=early), "on_time")]


def _with_fee(bill: DemoBill, owed: Decimal, *, day: date, policy: LateFeePolicy) -> Decimal:
    """What the customer is told to pay at the counter or by the agent on ``day``: what the bill
    still owes plus its late fee."""
    fee = late_fees(
        category=bill.category,
        arrears=[Arrear(bill=bill.bill_no, amount=owed, due_date=bill.due_on)],
        pay_date=day,
        policy=policy,
    ).total
    return owed + fee
