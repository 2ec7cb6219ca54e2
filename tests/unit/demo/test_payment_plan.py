"""The demo's payment plan: who pays what, when and how."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from meter2cash.collection.late_fee_policy import DEFAULT_LATE_FEE_POLICY
from meter2cash.collection.late_fees import Arrear, late_fees
from meter2cash.demo.payment_plan import (
    COUNTER,
    WITHHOLDING,
    DemoBill,
    how_account_pays,
    plan_payments,
)
from meter2cash.demo.payments import CHRONIC, LATE, ON_TIME, PaymentProfile

ISSUED = date(2026, 10, 2)
DUE = date(2026, 10, 17)


def bill(account_no: str, amount: str = "100.00", bill_no: str | None = None) -> DemoBill:
    return DemoBill(account_no, "residential", bill_no or f"2026-{account_no}", Decimal(amount), ISSUED, DUE)


def plan(bills: list[DemoBill], profiles: dict[str, PaymentProfile], until: date = date(2027, 6, 1)):
    return plan_payments(bills=bills, profiles=profiles, until=until, late_fee_policy=DEFAULT_LATE_FEE_POLICY)


def test_an_on_time_payer_pays_the_whole_bill_by_its_due_date() -> None:
    numbers = [f"A{i:04d}" for i in range(200)]
    payments = plan([bill(n) for n in numbers], {n: PaymentProfile(n, ON_TIME, 0, 0) for n in numbers})
    assert len(payments) == 200
    for payment in payments:
        assert payment.amount == Decimal("100.00")
        assert ISSUED <= payment.paid_on <= DUE
        if payment.channel == WITHHOLDING:
            assert payment.paid_on == DUE


def test_a_late_payer_pays_the_bill_and_its_late_fee_or_half_first_then_the_rest() -> None:
    numbers = [f"L{i:04d}" for i in range(60)]
    payments = plan([bill(n) for n in numbers], {n: PaymentProfile(n, LATE, 10, 0) for n in numbers})
    late_day = DUE + timedelta(days=10)
    kinds = {p.kind for p in payments}
    assert kinds == {"late", "partial"}
    for payment in payments:
        if payment.kind == "partial":
            assert payment.amount == Decimal("50.00") and payment.paid_on == DUE
    for number in numbers:
        own = [p for p in payments if p.account_no == number]
        owed = Decimal("50.00") if len(own) == 2 else Decimal("100.00")
        fee = late_fees(category="residential", arrears=[Arrear("b", owed, DUE)], pay_date=late_day).total
        last = own[-1]
        assert last.paid_on == late_day and last.amount == owed + fee


def test_a_chronic_non_payer_leaves_bills_unpaid_and_nothing_is_paid_after_the_window() -> None:
    numbers = [f"C{i:04d}" for i in range(100)]
    profiles = {n: PaymentProfile(n, CHRONIC, 90, 70) for n in numbers}
    everything = plan([bill(n) for n in numbers], profiles)
    assert 10 < len(everything) < 60
    assert plan([bill(n) for n in numbers], profiles, until=DUE + timedelta(days=89)) == []


def test_how_an_account_pays_is_fixed_by_its_number_and_mixes_every_channel() -> None:
    numbers = [f"M{i:05d}" for i in range(2000)]
    ways = [how_account_pays(n) for n in numbers]
    assert ways == [how_account_pays(n) for n in numbers]
    channels = {channel for channel, _source in ways}
    assert channels == {WITHHOLDING, COUNTER, "agent"}
    withholding = sum(1 for channel, _ in ways if channel == WITHHOLDING) / len(ways)
    assert 0.3 < withholding < 0.5


def test_a_payment_is_never_dated_before_its_bill_was_issued() -> None:
    early = DemoBill("E1", "residential", "2026-E1", Decimal("10.00"), DUE, DUE)
    [payment] = plan([early], {"E1": PaymentProfile("E1", ON_TIME, 0, 0)})
    assert payment.paid_on == DUE
