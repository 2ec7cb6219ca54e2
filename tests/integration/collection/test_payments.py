"""Taking payments on SQLite and PostgreSQL: allocation, late fees, prepayment, idempotency,
refusals, reversal with approval, waivers and write-offs, and a ledger that always balances."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from archive_factory import small_archive
from ledger_bureau import issue
from meter2cash.collection import gl
from meter2cash.collection.account_views import account_view
from meter2cash.collection.adjustments import Kind, decide_adjustment, request_adjustment
from meter2cash.collection.ledger import trial_balance
from meter2cash.collection.ledger_model import LedgerEntry, Payment
from meter2cash.collection.month_end import accrue_month_end, close_month, post_issued_bills
from meter2cash.collection.payment_service import take_payment
from meter2cash.collection.payments import PaymentRefused, PaymentRequest
from meter2cash.collection.reversals import decide_reversal, request_reversal
from meter2cash.platform.audit import verify_chain
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.platform.errors import NotFound
from meter2cash.platform.i18n import use_lang
from meter2cash.platform.users import PermissionDenied


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Refusals are matched on their English message ids; the Chinese wording is checked once below."""
    with use_lang("en"):
        yield


TODAY = date(2026, 3, 1)  # the test clock's business day


def counter(account_no: str, amount: str, *, key: str, paid_on: date = TODAY) -> PaymentRequest:
    return PaymentRequest(
        account_no=account_no,
        amount=Decimal(amount),
        channel=gl.Channel.COUNTER,
        method=gl.Method.CASH,
        source="counter",
        paid_on=paid_on,
        idempotency_key=key,
    )


def assert_balanced(ctx: AppContext) -> dict[str, Decimal]:
    with unit_of_work(ctx.sessions) as session:
        balances = trial_balance(session)
    assert sum(balances.values(), Decimal(0)) == 0
    return balances


@pytest.fixture
def bureau(ctx: AppContext) -> AppContext:
    small_archive(ctx, accounts=3)
    return ctx


def test_a_counter_payment_settles_the_oldest_bill_first_and_gets_a_numbered_receipt(
    bureau: AppContext,
) -> None:
    issue(bureau, account_no="A0001", period="2026-01", amount="120.00", due_on=date(2026, 3, 10))
    issue(bureau, account_no="A0001", period="2026-02", amount="80.00", due_on=date(2026, 3, 20))
    result = take_payment(bureau, actor="cashier", request=counter("A0001", "150.00", key="k1"))
    assert result.receipt_no == "SJ2026-0000001"
    assert [(p["bill_no"], p["amount"]) for p in result.applied] == [
        ("T2026-01-A0001", "120.00"),
        ("T2026-02-A0001", "30.00"),
    ]
    assert result.balance_after["owed"] == "50.00"
    second = take_payment(bureau, actor="cashier", request=counter("A0001", "50.00", key="k2"))
    assert second.receipt_no == "SJ2026-0000002"
    assert second.balance_after["owed"] == "0.00"
    balances = assert_balanced(bureau)
    assert balances[gl.CASH] == Decimal("200.00")
    assert balances[gl.revenue("residential")] == Decimal("-200.00")


def test_a_late_payment_first_charges_the_late_fee_to_the_payment_day(bureau: AppContext) -> None:
    # Residential 1‰ a day: 200.00 due 2026-02-10, paid 2026-03-01 → 19 days → 3.80 元.
    issue(bureau, account_no="A0001", period="2026-01", amount="200.00", due_on=date(2026, 2, 10))
    result = take_payment(bureau, actor="cashier", request=counter("A0001", "203.80", key="late"))
    assert result.late_fees_charged == Decimal("3.80")
    assert [(p["kind"], p["amount"]) for p in result.applied] == [
        ("late_fee", "3.80"),
        ("principal", "200.00"),
    ]
    assert result.balance_after["owed"] == "0.00"
    assert assert_balanced(bureau)[gl.LATE_FEE_INCOME] == Decimal("-3.80")


def test_a_partial_payment_leaves_the_rest_owed_and_an_overpayment_becomes_prepayment(
    bureau: AppContext,
) -> None:
    issue(bureau, account_no="A0002", period="2026-01", amount="100.00", due_on=date(2026, 3, 10))
    partial = take_payment(bureau, actor="cashier", request=counter("A0002", "40.00", key="p1"))
    assert partial.balance_after["principal"] == "60.00"
    over = take_payment(bureau, actor="cashier", request=counter("A0002", "100.00", key="p2"))
    assert over.prepayment == Decimal("40.00")
    assert over.balance_after["owed"] == "-40.00"
    issue(bureau, account_no="A0002", period="2026-02", amount="55.50", due_on=date(2026, 3, 25))
    report = post_issued_bills(bureau, actor="billing_clerk")
    assert report.bills == 1 and report.prepayment_applied == Decimal("40.00")
    view = account_view(bureau, actor="cashier", account_no="A0002")
    assert view.balance.owed == Decimal("15.50")
    assert view.bills == [
        {
            "bill_no": "T2026-02-A0002",
            "due_on": "2026-03-25",
            "principal": "15.50",
            "late_fee": "0.00",
            "period": "2026-02",
            "total": "15.50",
        }
    ]
    assert_balanced(bureau)


def test_a_retried_payment_posts_once_and_a_reused_key_with_another_amount_is_refused(
    bureau: AppContext,
) -> None:
    issue(bureau, account_no="A0001", period="2026-01", amount="100.00", due_on=date(2026, 3, 10))
    first = take_payment(bureau, actor="cashier", request=counter("A0001", "60.00", key="same"))
    again = take_payment(bureau, actor="cashier", request=counter("A0001", "60.00", key="same"))
    assert again.replayed and again.payment_id == first.payment_id
    with pytest.raises(PaymentRefused, match="Duplicate"):
        take_payment(bureau, actor="cashier", request=counter("A0001", "70.00", key="same"))
    with use_lang("zh_CN"), pytest.raises(PaymentRefused, match="重复缴费"):
        take_payment(bureau, actor="cashier", request=counter("A0001", "61.00", key="same"))
    with unit_of_work(bureau.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 1
    assert assert_balanced(bureau)[gl.CASH] == Decimal("60.00")


@pytest.mark.parametrize(
    ("account", "amount", "paid_on", "reason"),
    [
        ("A0001", "0", TODAY, "more than zero"),
        ("A0001", "-5.00", TODAY, "more than zero"),
        ("A0001", "1.005", TODAY, "whole fen"),
        ("A0001", "10.00", TODAY + timedelta(days=1), "future"),
    ],
)
def test_a_payment_that_breaks_a_rule_is_refused_with_the_reason(
    bureau: AppContext, account: str, amount: str, paid_on: date, reason: str
) -> None:
    with pytest.raises(PaymentRefused, match=reason):
        take_payment(bureau, actor="cashier", request=counter(account, amount, key="x", paid_on=paid_on))
    with unit_of_work(bureau.sessions) as session:
        assert session.scalar(select(func.count()).select_from(LedgerEntry)) == 0


def test_a_payment_for_an_unknown_account_or_from_an_unknown_bank_is_refused(bureau: AppContext) -> None:
    with pytest.raises(NotFound, match="A9999"):
        take_payment(bureau, actor="cashier", request=counter("A9999", "10.00", key="u"))
    bank = PaymentRequest(
        account_no="A0001",
        amount=Decimal("10.00"),
        channel=gl.Channel.BANK_WITHHOLDING,
        method=gl.Method.DEBIT,
        source="NOBANK",
        paid_on=TODAY,
        channel_ref="B1",
    )
    with pytest.raises(PaymentRefused, match="NOBANK"):
        take_payment(bureau, actor="cashier", request=bank)


def test_a_payment_dated_in_a_closed_collection_month_is_refused(bureau: AppContext) -> None:
    close_month(bureau, actor="manager", period="2026-02")
    with pytest.raises(PaymentRefused, match="closed"):
        take_payment(
            bureau, actor="cashier", request=counter("A0001", "10.00", key="c", paid_on=date(2026, 2, 27))
        )


def test_only_a_cashier_or_supervisor_may_take_money(bureau: AppContext) -> None:
    with pytest.raises(PermissionDenied):
        take_payment(bureau, actor="meter_reader", request=counter("A0001", "10.00", key="m"))


def test_a_same_day_reversal_needs_another_persons_supervisor_approval(bureau: AppContext) -> None:
    issue(bureau, account_no="A0001", period="2026-01", amount="100.00", due_on=date(2026, 3, 10))
    paid = take_payment(bureau, actor="cashier", request=counter("A0001", "100.00", key="r"))
    asked = request_reversal(bureau, actor="manager", payment=paid.receipt_no or "", reason="收错户")
    with pytest.raises(PaymentRefused, match="four eyes"):
        decide_reversal(bureau, actor="manager", reversal_id=asked.id, approve=True, note="ok")
    with pytest.raises(PermissionDenied):
        decide_reversal(bureau, actor="cashier", reversal_id=asked.id, approve=True, note="ok")
    done = decide_reversal(bureau, actor="admin", reversal_id=asked.id, approve=True, note="核实收错户")
    assert done.state == "approved"
    view = account_view(bureau, actor="cashier", account_no="A0001")
    assert view.balance.owed == Decimal("100.00")
    assert view.payments[0]["reversed"] is True
    assert assert_balanced(bureau).get(gl.CASH, Decimal(0)) == 0
    with unit_of_work(bureau.sessions) as session:
        assert verify_chain(session).problem is None


def test_a_payment_from_an_earlier_day_cannot_be_reversed(bureau: AppContext) -> None:
    paid = take_payment(bureau, actor="cashier", request=counter("A0001", "10.00", key="old"))
    bureau.clock.advance(timedelta(days=1))  # type: ignore[attr-defined]
    with pytest.raises(PaymentRefused, match="only a payment received today"):
        request_reversal(bureau, actor="cashier", payment=str(paid.payment_id), reason="late")


def test_month_end_accrual_charges_once_and_a_later_payment_only_the_further_days(bureau: AppContext) -> None:
    # General 2‰: 1000.00 due 2026-02-10; at 2026-02-28: 18 days → 36.00; paid 2026-03-01: +1 day → 2.00.
    with unit_of_work(bureau.sessions) as session:
        from meter2cash.registry.model import Account

        account = session.scalar(select(Account).where(Account.account_no == "A0003"))
        assert account is not None
        account.category = "general"
    issue(bureau, account_no="A0003", period="2026-01", amount="1000.00", due_on=date(2026, 2, 10))
    first = accrue_month_end(bureau, actor="billing_clerk", through=date(2026, 2, 28))
    again = accrue_month_end(bureau, actor="billing_clerk", through=date(2026, 2, 28))
    assert (first.total, again.total) == (Decimal("36.00"), Decimal("0.00"))
    paid = take_payment(bureau, actor="cashier", request=counter("A0003", "1038.00", key="g"))
    assert paid.late_fees_charged == Decimal("2.00")
    assert paid.balance_after["owed"] == "0.00"
    assert_balanced(bureau)


def test_a_small_late_fee_is_charged_the_one_yuan_minimum_once(bureau: AppContext) -> None:
    issue(bureau, account_no="A0001", period="2026-01", amount="50.00", due_on=date(2026, 2, 25))
    accrue_month_end(bureau, actor="billing_clerk", through=date(2026, 2, 28))  # 3 days × 0.05 → 1.00 min
    paid = take_payment(bureau, actor="cashier", request=counter("A0001", "51.00", key="min"))
    assert paid.late_fees_charged == Decimal("0.00")  # 4 days → 0.20, still under the 1.00 already charged
    assert paid.balance_after["owed"] == "0.00"


def test_waivers_and_write_offs_need_a_different_supervisor_and_move_the_ledger(bureau: AppContext) -> None:
    issue(bureau, account_no="A0001", period="2026-01", amount="300.00", due_on=date(2026, 2, 1))
    accrue_month_end(bureau, actor="billing_clerk", through=date(2026, 2, 28))  # 27 days × 0.30 = 8.10
    waiver = request_adjustment(
        bureau,
        actor="cashier",
        kind=Kind.WAIVER,
        bill_no="T2026-01-A0001",
        amount=Decimal("8.10"),
        reason="困难户",
    )
    with pytest.raises(PermissionDenied):
        decide_adjustment(
            bureau, actor="cashier", kind=Kind.WAIVER, request_id=waiver.id, approve=True, note="x"
        )
    decide_adjustment(
        bureau, actor="manager", kind=Kind.WAIVER, request_id=waiver.id, approve=True, note="批准"
    )
    with pytest.raises(PaymentRefused, match="cannot be forgiven"):
        request_adjustment(
            bureau,
            actor="billing_clerk",
            kind=Kind.WRITE_OFF,
            bill_no="T2026-01-A0001",
            amount=Decimal("300.01"),
            reason="户主失联",
        )
    write_off = request_adjustment(
        bureau,
        actor="billing_clerk",
        kind=Kind.WRITE_OFF,
        bill_no="T2026-01-A0001",
        amount=Decimal("300.00"),
        reason="户主失联",
    )
    decide_adjustment(
        bureau, actor="admin", kind=Kind.WRITE_OFF, request_id=write_off.id, approve=True, note="核销"
    )
    balances = assert_balanced(bureau)
    assert balances[gl.WRITE_OFF] == Decimal("300.00")
    assert balances[gl.LATE_FEE_RECEIVABLE] == Decimal("0.00")
