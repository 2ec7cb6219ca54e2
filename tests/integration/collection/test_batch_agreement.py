"""A batch allocates exactly as single payments do (property test, SQLite): the same bureau, the same
payments in the same order, once through `post_payment_batch` and once through
`payments.record_payment` one by one — the same bills settled, late fees charged, prepayment kept,
to the fen."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from archive_factory import small_archive
from batch_bureau import issue_bills
from meter2cash.collection import gl
from meter2cash.collection.allocation import WithinBill
from meter2cash.collection.batch_payments import BatchPayment, post_payment_batch
from meter2cash.collection.ledger_model import LateFeeCharge, LedgerEntry, Payment
from meter2cash.collection.month_end import post_issued_bills
from meter2cash.collection.payments import PaymentRequest, record_payment
from meter2cash.collection.policies import collection_policy, late_fee_policy
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from sqlite_copies import START, sqlite_context

TODAY = date(2026, 3, 1)
ACCOUNTS = ("A0001", "A0002", "A0003")

fen = st.integers(min_value=1, max_value=30_000).map(lambda n: Decimal(n).scaleb(-2))
day = st.integers(min_value=-40, max_value=25).map(lambda n: TODAY + timedelta(days=n))
bills = st.lists(
    st.tuples(st.sampled_from(ACCOUNTS), st.sampled_from(("2026-01", "2026-02")), fen, day),
    max_size=5,
    unique_by=lambda bill: (bill[0], bill[1]),
)
small = st.integers(min_value=1, max_value=300).map(lambda n: Decimal(n).scaleb(-2))  # less than a late fee
payments = st.lists(
    st.tuples(st.sampled_from(ACCOUNTS), st.one_of(small, fen), st.integers(min_value=-12, max_value=0)),
    min_size=1,
    max_size=6,
)


@contextmanager
def bureau(
    template: Path, folder: Path, bill_rows: list[tuple[str, str, Decimal, date]], post_first: bool
) -> Iterator[AppContext]:
    ctx = sqlite_context(template, folder, start=START)
    try:
        small_archive(ctx, accounts=len(ACCOUNTS))
        issue_bills(ctx, [(no, period, str(amount), due) for no, period, amount, due in bill_rows])
        if post_first:
            post_issued_bills(ctx, actor="billing_clerk")
        yield ctx
    finally:
        ctx.engine.dispose()


def outcome(ctx: AppContext) -> dict[str, object]:
    """What the payments did: balances per gl, account and bill, and the late fees charged."""
    with unit_of_work(ctx.sessions) as session:
        lines = session.execute(
            select(
                LedgerEntry.gl,
                LedgerEntry.account_id,
                LedgerEntry.receivable_id,
                func.sum(LedgerEntry.amount),
            ).group_by(LedgerEntry.gl, LedgerEntry.account_id, LedgerEntry.receivable_id)
        ).all()
        fees = session.execute(
            select(LateFeeCharge.receivable_id, func.sum(LateFeeCharge.amount)).group_by(
                LateFeeCharge.receivable_id
            )
        ).all()
        per_payment = session.execute(
            select(Payment.channel_ref, LedgerEntry.gl, LedgerEntry.receivable_id, LedgerEntry.amount).join(
                Payment, Payment.id == LedgerEntry.payment_id
            )
        ).all()
    return {
        "balances": sorted(
            (code, account, receivable, total) for code, account, receivable, total in lines if total
        ),
        "fees": sorted(fees),
        "payment_lines": sorted(per_payment),
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(  # a late fee left owing, then charged more before the next payment of the same batch
    bill_rows=[("A0001", "2026-01", Decimal("100.00"), date(2026, 1, 30))],
    rows=[("A0001", Decimal("0.50"), -12), ("A0001", Decimal("200.00"), 0)],
    post_first=True,
    within="principal_first",
)
@given(
    bill_rows=bills,
    rows=payments,
    post_first=st.booleans(),
    within=st.sampled_from(("late_fee_first", "principal_first")),
)
def test_a_batch_allocates_as_single_payments_in_the_same_order_do(
    sqlite_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
    bill_rows: list[tuple[str, str, Decimal, date]],
    rows: list[tuple[str, Decimal, int]],
    post_first: bool,
    within: str,
) -> None:
    batch = [
        BatchPayment(
            account_no=no, amount=amount, paid_on=TODAY + timedelta(days=offset), channel_ref=f"R{n}"
        )
        for n, (no, amount, offset) in enumerate(rows)
    ]
    results = []
    for mode in ("batch", "single"):
        with bureau(sqlite_template, tmp_path_factory.mktemp(mode), bill_rows, post_first) as ctx:
            policy = replace(collection_policy(ctx.settings), within_bill=WithinBill(within))
            fees = late_fee_policy(ctx.settings)
            now = ctx.clock.now()
            with unit_of_work(ctx.sessions) as session:
                if mode == "batch":
                    post_payment_batch(
                        session,
                        batch="B1",
                        channel=gl.Channel.BANK_WITHHOLDING,
                        method=gl.Method.DEBIT,
                        source="ICBC",
                        rows=batch,
                        policy=policy,
                        late_fee_policy=fees,
                        at=now,
                        today=TODAY,
                        actor="cashier",
                    )
                else:
                    for row in batch:
                        record_payment(
                            session,
                            request=PaymentRequest(
                                account_no=row.account_no,
                                amount=row.amount,
                                channel=gl.Channel.BANK_WITHHOLDING,
                                method=gl.Method.DEBIT,
                                source="ICBC",
                                paid_on=row.paid_on,
                                channel_ref=row.channel_ref,
                            ),
                            policy=policy,
                            late_fee_policy=fees,
                            at=now,
                            today=TODAY,
                            actor="cashier",
                        )
            results.append(outcome(ctx))
    assert results[0] == results[1]
