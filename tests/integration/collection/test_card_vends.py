"""Card-meter vends (IC卡表售电) on SQLite and PostgreSQL: the first purchase, the purchase-count
sequence, retries that never sell twice, the money in the ledger as prepayment, and a ledger that
balances."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from meter2cash.collection.card_meters import VendRefused
from meter2cash.collection.card_vend_service import VendNotPossible, VendResult, quote_vend, vend_card
from meter2cash.collection.ledger import trial_balance
from meter2cash.collection.ledger_model import Payment
from meter2cash.collection.payments import DuplicatePayment
from meter2cash.collection.prepaid_model import CardVend
from meter2cash.platform.audit import verify_chain
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.platform.i18n import use_lang
from meter2cash.platform.users import PermissionDenied
from prepaid_bureau import prepaid_bureau


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with use_lang("en"):
        yield


@pytest.fixture
def bureau(ctx: AppContext) -> AppContext:
    prepaid_bureau(ctx, card=["A0001", "A0002"])
    return ctx


def vend(
    ctx: AppContext, amount: str, *, key: str, account: str = "A0001", card: str = "C-1", **kw: Any
) -> VendResult:
    return vend_card(
        ctx,
        actor="cashier",
        account_no=account,
        card_no=card,
        amount=Decimal(amount),
        idempotency_key=key,
        **kw,
    )


def assert_balanced(ctx: AppContext) -> dict[str, Decimal]:
    with unit_of_work(ctx.sessions) as session:
        balances = trial_balance(session)
    assert sum(balances.values(), Decimal(0)) == 0
    return balances


def test_the_first_purchase_is_count_one_priced_at_the_first_kwh_price_and_becomes_prepayment(
    bureau: AppContext,
) -> None:
    result = vend(bureau, "100.00", key="v1", opening_kwh=Decimal("5"))
    assert result.first_purchase and result.purchase_count == 1
    assert result.price == Decimal("0.431000")  # tier 1 0.43 + renewable fund 0.001
    assert result.kwh == Decimal("232.0200")  # 100 / 0.431 = 232.0185… → 232.02
    assert result.opening_kwh == Decimal("5.0000")
    assert result.receipt_no == "SJ2026-0000001"
    assert result.balance_after["prepayment"] == "100.00"
    assert_balanced(bureau)
    with unit_of_work(bureau.sessions) as session:
        assert verify_chain(session).problem is None


def test_the_next_vends_count_up_and_only_the_first_may_carry_an_opening_kwh(bureau: AppContext) -> None:
    vend(bureau, "50.00", key="v1")
    second = vend(bureau, "20.00", key="v2")
    assert (second.purchase_count, second.first_purchase) == (2, False)
    with pytest.raises(VendRefused) as refused:
        vend(bureau, "20.00", key="v3", opening_kwh=Decimal("1"))
    assert "opening_not_first" in [p.kind.value for p in refused.value.vend_problems]


def test_a_purchase_count_with_a_gap_or_used_twice_is_refused_and_nothing_is_sold(bureau: AppContext) -> None:
    vend(bureau, "50.00", key="v1")
    with pytest.raises(VendRefused) as gap:
        vend(bureau, "20.00", key="v2", purchase_count=3)
    assert "out of sequence: the next one is 2" in str(gap.value.problems[0].reason)
    with pytest.raises(VendRefused) as twice:
        vend(bureau, "20.00", key="v3", purchase_count=1)
    assert twice.value.vend_problems[0].kind.value == "duplicate"
    with unit_of_work(bureau.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 1
        assert session.scalar(select(func.count()).select_from(CardVend)) == 1
    assert_balanced(bureau)


def test_another_card_on_the_same_meter_is_refused(bureau: AppContext) -> None:
    vend(bureau, "50.00", key="v1", card="C-1")
    with pytest.raises(VendRefused) as refused:
        vend(bureau, "20.00", key="v2", card="C-9")
    assert refused.value.vend_problems[0].kind.value == "other_card"


def test_a_retried_vend_returns_the_first_and_never_sells_or_takes_money_twice(bureau: AppContext) -> None:
    first = vend(bureau, "80.00", key="same")
    again = vend(bureau, "80.00", key="same")
    assert again.replayed and again.vend_id == first.vend_id and again.payment_id == first.payment_id
    with unit_of_work(bureau.sessions) as session:
        assert session.scalar(select(func.count()).select_from(CardVend)) == 1
        assert session.scalar(select(func.sum(Payment.amount))) == Decimal("80.00")
    with pytest.raises(DuplicatePayment):
        vend(bureau, "90.00", key="same")
    assert_balanced(bureau)


def test_a_postpaid_account_or_a_bad_amount_is_refused(bureau: AppContext) -> None:
    with pytest.raises(VendNotPossible, match="not a card-meter account"):
        vend(bureau, "10.00", key="p1", account="A0003")
    with pytest.raises(Exception, match="more than zero"):
        vend(bureau, "0", key="p2")
    with pytest.raises(Exception, match="whole fen"):
        vend(bureau, "1.001", key="p3")


def test_the_quote_shows_the_kwh_and_writes_nothing(bureau: AppContext) -> None:
    quote = quote_vend(bureau, actor="cashier", account_no="A0002", amount=Decimal("43.10"))
    assert (quote.kwh, quote.purchase_count) == (Decimal("100.0000"), 1)
    with unit_of_work(bureau.sessions) as session:
        assert session.scalar(select(func.count()).select_from(CardVend)) == 0


def test_a_reader_may_not_vend(bureau: AppContext) -> None:
    with pytest.raises(PermissionDenied):
        vend_card(
            bureau,
            actor="meter_reader",
            account_no="A0001",
            card_no="C-1",
            amount=Decimal("1"),
            idempotency_key="r",
        )
