"""Posting a batch of bank withholding payments on SQLite and PostgreSQL: the same allocation as single
payments, a bad row refuses the whole batch, a re-import posts nothing twice, concurrent counter
payments never settle the same debt twice, a batch payment can be reversed, and the ledger balances."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from archive_factory import small_archive
from batch_bureau import issue_bills
from ledger_bureau import issue
from meter2cash.collection import gl
from meter2cash.collection.account_views import account_view
from meter2cash.collection.batch_payment_service import import_payment_batch
from meter2cash.collection.batch_payments import BatchPayment, BatchRefused, BatchReport
from meter2cash.collection.ledger import trial_balance
from meter2cash.collection.ledger_model import LedgerEntry, LedgerTxn, Payment
from meter2cash.collection.month_end import close_month
from meter2cash.collection.payment_service import take_payment
from meter2cash.collection.payments import PaymentRequest
from meter2cash.collection.reversals import decide_reversal, request_reversal
from meter2cash.platform.audit import AuditRecord, verify_chain
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.platform.users import PermissionDenied

TODAY = date(2026, 3, 1)  # the test clock's business day
BANK = gl.clearing(channel=gl.Channel.BANK_WITHHOLDING, method=gl.Method.DEBIT, source="ICBC")


def pay(account_no: str, amount: str, ref: str, paid_on: date = TODAY) -> BatchPayment:
    return BatchPayment(account_no=account_no, amount=Decimal(amount), paid_on=paid_on, channel_ref=ref)


def run(
    ctx: AppContext, rows: list[BatchPayment], *, batch: str = "WH-202603-01", actor: str = "cashier"
) -> BatchReport:
    return import_payment_batch(
        ctx,
        actor=actor,
        batch=batch,
        channel=gl.Channel.BANK_WITHHOLDING,
        method=gl.Method.DEBIT,
        source="ICBC",
        rows=rows,
    )


def balances(ctx: AppContext) -> dict[str, Decimal]:
    with unit_of_work(ctx.sessions) as session:
        result = trial_balance(session)
    assert sum(result.values(), Decimal(0)) == 0
    return result


def payment_sums(ctx: AppContext) -> dict[int, Decimal]:
    """Each payment's own ledger lines, summed (they must be zero)."""
    with unit_of_work(ctx.sessions) as session:
        rows = session.execute(
            select(LedgerEntry.payment_id, func.count(), func.sum(LedgerEntry.amount))
            .where(LedgerEntry.payment_id.is_not(None))
            .group_by(LedgerEntry.payment_id)
        ).all()
    return {payment_id: total if count >= 2 else None for payment_id, count, total in rows}


@pytest.fixture
def bureau(ctx: AppContext) -> AppContext:
    small_archive(ctx, accounts=4)
    return ctx


def test_a_batch_settles_oldest_first_charges_late_fees_and_keeps_the_rest_as_prepayment(
    bureau: AppContext,
) -> None:
    # Residential 1‰ a day: 200.00 due 2026-02-10, paid 2026-03-01 → 19 days → 3.80 元 (as a counter payment).
    issue_bills(
        bureau,
        [
            ("A0001", "2026-01", "120.00", date(2026, 3, 10)),
            ("A0001", "2026-02", "80.00", date(2026, 3, 20)),
            ("A0002", "2026-01", "200.00", date(2026, 2, 10)),
            ("A0003", "2026-01", "50.00", date(2026, 3, 10)),
        ],
    )
    report = run(
        bureau,
        [
            pay("A0001", "150.00", "B1"),
            pay("A0002", "203.80", "B2"),
            pay("A0003", "70.00", "B3"),
            pay("A0004", "10.00", "B4"),
        ],
    )
    assert (report.posted, report.replayed, report.bills_posted) == (4, 0, 4)
    assert report.late_fees_charged == Decimal("3.80")
    assert report.prepayment == Decimal("30.00")
    assert report.amount == Decimal("433.80") and report.settled == Decimal("403.80")
    owed = {
        no: account_view(bureau, actor="cashier", account_no=no).balance.owed
        for no in ("A0001", "A0002", "A0003", "A0004")
    }
    assert owed == {
        "A0001": Decimal("50.00"),
        "A0002": Decimal("0.00"),
        "A0003": Decimal("-20.00"),
        "A0004": Decimal("-10.00"),
    }
    bills = account_view(bureau, actor="cashier", account_no="A0001").bills
    assert [(b["bill_no"], b["principal"]) for b in bills] == [("T2026-02-A0001", "50.00")]
    result = balances(bureau)
    assert result[BANK] == Decimal("433.80") and result[gl.LATE_FEE_INCOME] == Decimal("-3.80")
    sums = payment_sums(bureau)
    assert len(sums) == 4 and set(sums.values()) == {Decimal("0.00")}
    with unit_of_work(bureau.sessions) as session:
        kinds = session.execute(
            select(LedgerTxn.kind, LedgerTxn.source).where(LedgerTxn.kind == "payment")
        ).all()
        assert kinds == [("payment", "batch:ICBC:WH-202603-01:1")]
        audit = session.scalars(select(AuditRecord).where(AuditRecord.action == "payment.batch")).all()
        assert len(audit) == 1 and '"posted":4' in (audit[0].after or "")


def test_a_batch_with_bad_rows_writes_nothing_and_lists_every_problem_with_its_row(
    bureau: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("M2C_LANG", "en")
    close_month(bureau, actor="manager", period="2026-01")
    issue(bureau, account_no="A0001", period="2026-01", amount="100.00", due_on=date(2026, 3, 10))
    rows = [
        pay("A0001", "10.00", "R1"),
        pay("A0001", "1.005", "R2"),
        pay("A9999", "10.00", "R3"),
        pay("A0002", "10.00", "R1"),
        pay("A0002", "0", "R5"),
        pay("A0003", "10.00", "R6", paid_on=TODAY + timedelta(days=1)),
        pay("A0003", "10.00", "R7", paid_on=date(2026, 1, 31)),
    ]
    with pytest.raises(BatchRefused) as refused:
        run(bureau, rows)
    found = [(p.row, p.column) for p in refused.value.problems]
    assert found == [
        (2, "amount"),
        (3, "account_no"),
        (4, "channel_ref"),
        (5, "amount"),
        (6, "paid_on"),
        (7, "paid_on"),
    ]
    assert "row 1" in refused.value.problems[2].reason  # the reference R1 is also in row 1
    assert "closed" in refused.value.problems[5].reason
    with unit_of_work(bureau.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 0
        assert session.scalar(select(func.count()).select_from(LedgerEntry)) == 0


def test_re_importing_the_same_batch_posts_nothing_twice_and_a_changed_amount_is_refused(
    bureau: AppContext,
) -> None:
    issue(bureau, account_no="A0001", period="2026-01", amount="100.00", due_on=date(2026, 3, 10))
    rows = [pay("A0001", "60.00", "W1"), pay("A0002", "5.00", "W2")]
    first = run(bureau, rows)
    again = run(bureau, [*rows, pay("A0003", "7.00", "W3")])
    assert (first.posted, again.posted, again.replayed, again.replayed_rows) == (2, 1, 2, [1, 2])
    with pytest.raises(BatchRefused) as refused:
        run(bureau, [pay("A0001", "61.00", "W1")])
    assert [(p.row, p.column) for p in refused.value.problems] == [(1, "channel_ref")]
    with unit_of_work(bureau.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 3
        sources = session.scalars(select(LedgerTxn.source).where(LedgerTxn.kind == "payment")).all()
    assert sorted(sources) == ["batch:ICBC:WH-202603-01:1", "batch:ICBC:WH-202603-01:2"]
    assert balances(bureau)[BANK] == Decimal("72.00")


def test_two_payments_of_one_account_in_a_batch_are_taken_in_file_order(bureau: AppContext) -> None:
    issue(bureau, account_no="A0001", period="2026-01", amount="100.00", due_on=date(2026, 2, 20))
    report = run(
        bureau, [pay("A0001", "30.00", "M1", paid_on=date(2026, 2, 25)), pay("A0001", "80.00", "M2")]
    )
    # 100.00 owed 2026-02-21..25 (5 days), 71.00 2026-02-26..03-01 (4 days): 0.50 + 0.28 = 0.78 → the
    # 1.00 minimum, charged when the first payment came (5 days: 0.50 → 1.00) and nothing more at the second.
    assert report.late_fees_charged == Decimal("1.00")
    assert account_view(bureau, actor="cashier", account_no="A0001").balance.owed == Decimal("-9.00")
    assert set(payment_sums(bureau).values()) == {Decimal("0.00")}


def test_a_batch_concurrent_with_counter_payments_on_one_account_never_settles_a_debt_twice(
    bureau: AppContext,
) -> None:
    issue(bureau, account_no="A0001", period="2026-01", amount="100.00", due_on=date(2026, 3, 10))
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def counter(n: int) -> None:
        try:
            start.wait()
            take_payment(
                bureau,
                actor="cashier",
                request=PaymentRequest(
                    account_no="A0001",
                    amount=Decimal("40.00"),
                    channel=gl.Channel.COUNTER,
                    method=gl.Method.CASH,
                    source="counter",
                    paid_on=TODAY,
                    idempotency_key=f"c{n}",
                ),
            )
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    def batch() -> None:
        try:
            start.wait()
            run(bureau, [pay("A0002", "1.00", "X2"), pay("A0001", "60.00", "X1"), pay("A0003", "2.00", "X3")])
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=counter, args=(n,)) for n in range(3)] + [
        threading.Thread(target=batch)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    result = balances(bureau)
    assert result[gl.CASH] == Decimal("120.00") and result[BANK] == Decimal("63.00")
    assert result[gl.RECEIVABLE] == Decimal("0.00")  # settled exactly once
    assert result[gl.PREPAYMENT] == Decimal("-83.00")
    assert set(payment_sums(bureau).values()) == {Decimal("0.00")}


def test_a_batch_payment_is_reversed_alone_with_a_supervisors_approval(bureau: AppContext) -> None:
    issue_bills(
        bureau,
        [("A0001", "2026-01", "100.00", date(2026, 3, 10)), ("A0002", "2026-01", "30.00", date(2026, 3, 10))],
    )
    run(bureau, [pay("A0001", "120.00", "V1"), pay("A0002", "30.00", "V2")])
    with unit_of_work(bureau.sessions) as session:
        payment_id = session.scalar(select(Payment.id).where(Payment.channel_ref == "V1"))
    asked = request_reversal(bureau, actor="cashier", payment=str(payment_id), reason="银行退回")
    with pytest.raises(PermissionDenied):
        decide_reversal(bureau, actor="cashier", reversal_id=asked.id, approve=True, note="ok")
    assert (
        decide_reversal(bureau, actor="manager", reversal_id=asked.id, approve=True, note="核实").state
        == "approved"
    )
    assert account_view(bureau, actor="cashier", account_no="A0001").balance.owed == Decimal("100.00")
    assert account_view(bureau, actor="cashier", account_no="A0002").balance.owed == Decimal("0.00")
    result = balances(bureau)
    assert result[BANK] == Decimal("30.00") and result[gl.PREPAYMENT] == Decimal("0.00")
    with unit_of_work(bureau.sessions) as session:
        assert verify_chain(session).problem is None


def test_only_a_cashier_or_supervisor_may_post_a_batch(bureau: AppContext) -> None:
    with pytest.raises(PermissionDenied):
        run(bureau, [pay("A0001", "1.00", "P1")], actor="meter_reader")
