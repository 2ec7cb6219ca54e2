"""The ledger's invariants hold in the database itself, on SQLite and PostgreSQL: a transaction
that does not sum to zero is refused, nothing in the ledger can be changed or deleted, and
concurrent payments on one account are never allocated twice."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError

from archive_factory import small_archive
from ledger_bureau import issue
from meter2cash.collection import gl
from meter2cash.collection.ledger import Line, Unbalanced, post, trial_balance
from meter2cash.collection.ledger_model import LedgerEntry, LedgerTxn
from meter2cash.collection.payment_service import take_payment
from meter2cash.collection.payments import PaymentRequest
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work

AT = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
DAY = date(2026, 3, 1)


def test_posting_lines_that_do_not_sum_to_zero_is_refused_before_anything_is_written(ctx: AppContext) -> None:
    with pytest.raises(Unbalanced), unit_of_work(ctx.sessions) as session:
        post(
            session,
            kind="test",
            source="t1",
            business_day=DAY,
            at=AT,
            actor="admin",
            lines=[Line(gl.CASH, Decimal("1.00")), Line(gl.LATE_FEE_INCOME, Decimal("-0.99"))],
        )
    with unit_of_work(ctx.sessions) as session:
        assert session.scalar(select(LedgerTxn.id)) is None


def test_an_unbalanced_transaction_written_behind_the_posting_code_is_refused_at_commit(
    ctx: AppContext,
) -> None:
    with pytest.raises((Unbalanced, DBAPIError)), unit_of_work(ctx.sessions) as session:
        txn_id = session.scalar(
            insert(LedgerTxn)
            .values(kind="test", source="raw", business_day=DAY, posted_at=AT, actor="admin")
            .returning(LedgerTxn.id)
        )
        session.execute(insert(LedgerEntry).values(txn_id=txn_id, gl=gl.CASH, amount=Decimal("5.00")))
        session.info.setdefault("m2c_ledger_txns", set()).add(txn_id)  # what post() records
    with unit_of_work(ctx.sessions) as session:
        assert session.scalar(select(LedgerTxn.id)) is None


def test_a_raw_unbalanced_insert_is_refused_by_postgresql_itself(ctx: AppContext) -> None:
    if ctx.engine.dialect.name != "postgresql":
        pytest.skip("SQLite relies on the unit of work's check")
    with pytest.raises(DBAPIError, match="ledger_unbalanced"), ctx.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO ledger_txn (id, kind, source, business_day, posted_at, actor) "
                "VALUES (9001, 'test', 'raw-sql', '2026-03-01', now(), 'x')"
            )
        )
        connection.execute(text("INSERT INTO ledger_entry (txn_id, gl, amount) VALUES (9001, 'cash', 5.00)"))


def test_ledger_lines_cannot_be_changed_or_deleted(ctx: AppContext) -> None:
    with unit_of_work(ctx.sessions) as session:
        post(
            session,
            kind="test",
            source="t2",
            business_day=DAY,
            at=AT,
            actor="admin",
            lines=[Line(gl.CASH, Decimal("1.00")), Line(gl.LATE_FEE_INCOME, Decimal("-1.00"))],
        )
    for statement in (
        "UPDATE ledger_entry SET amount = 2",
        "DELETE FROM ledger_entry",
        "DELETE FROM ledger_txn",
    ):
        with pytest.raises(DBAPIError, match="immutable"), ctx.engine.begin() as connection:
            connection.execute(text(statement))


def test_lines_cannot_be_added_later_to_a_committed_transaction(ctx: AppContext) -> None:
    with unit_of_work(ctx.sessions) as session:
        txn_id = post(
            session,
            kind="test",
            source="t3",
            business_day=DAY,
            at=AT,
            actor="admin",
            lines=[Line(gl.CASH, Decimal("1.00")), Line(gl.LATE_FEE_INCOME, Decimal("-1.00"))],
        )
    with pytest.raises((Unbalanced, DBAPIError)), unit_of_work(ctx.sessions) as session:
        session.execute(insert(LedgerEntry).values(txn_id=txn_id, gl=gl.CASH, amount=Decimal("9.00")))
        session.info.setdefault("m2c_ledger_txns", set()).add(txn_id)


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ("txn_id", "ledger_entry_txn|FOREIGN KEY"),
        ("payment_id", "ledger_entry_payment|FOREIGN KEY"),
        ("receivable_id", "ledger_entry_receivable|FOREIGN KEY"),
    ],
)
def test_a_line_pointing_at_a_missing_transaction_payment_or_bill_is_refused(
    ctx: AppContext, column: str, message: str
) -> None:
    """PostgreSQL checks these references once per statement (trigger ledger_entry_checked),
    SQLite by its foreign keys."""
    values = {"txn_id": 9002, "payment_id": None, "receivable_id": None, column: 424242}
    with pytest.raises(DBAPIError, match=message), ctx.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO ledger_txn (id, kind, source, business_day, posted_at, actor) "
                "VALUES (9002, 'test', 'raw-ref', '2026-03-01', '2026-03-01 01:00:00', 'x')"
            )
        )
        connection.execute(
            insert(LedgerEntry),
            [
                {**values, "gl": gl.CASH, "amount": Decimal("5.00")},
                {**values, "gl": gl.LATE_FEE_INCOME, "amount": Decimal("-5.00")},
            ],
        )


def test_the_ledger_cannot_be_truncated(ctx: AppContext) -> None:
    if ctx.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    for table in ("ledger_entry", "ledger_txn", "payment", "late_fee_charge"):
        with pytest.raises(DBAPIError, match="immutable"), ctx.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {table} CASCADE"))


def test_concurrent_payments_on_one_account_never_settle_the_same_debt_twice(ctx: AppContext) -> None:
    small_archive(ctx, accounts=1)
    issue(ctx, account_no="A0001", period="2026-01", amount="100.00", due_on=date(2026, 3, 10))
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def pay(n: int) -> None:
        try:
            start.wait()
            take_payment(
                ctx,
                actor="cashier",
                request=PaymentRequest(
                    account_no="A0001",
                    amount=Decimal("40.00"),
                    channel=gl.Channel.COUNTER,
                    method=gl.Method.CASH,
                    source="counter",
                    paid_on=DAY,
                    idempotency_key=f"c{n}",
                ),
            )
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=pay, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with unit_of_work(ctx.sessions) as session:
        balances = trial_balance(session)
    assert balances[gl.CASH] == Decimal("160.00")
    assert balances[gl.RECEIVABLE] == Decimal("0.00")  # settled exactly once
    assert balances[gl.PREPAYMENT] == Decimal("-60.00")
    assert sum(balances.values(), Decimal(0)) == 0
