"""Bank reconciliation (银行对账) on SQLite and PostgreSQL: a statement is matched with the posted
bank payments, each kind of difference is stored, each resolution does what it says in the same
transaction as its audit record, and the ledger stays balanced."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from bank_bureau import assert_balanced, audited, bank_bureau, owed, payments
from meter2cash.collection import gl
from meter2cash.collection.bank_simulator import answer_debit_file, statement_batch_line
from meter2cash.collection.ledger_model import PaymentReversal
from meter2cash.collection.payment_service import take_payment
from meter2cash.collection.payments import PaymentRequest
from meter2cash.collection.reconciliation_service import (
    ItemView,
    RunView,
    reconcile_file,
    reconciliation_runs,
    resolve_difference,
)
from meter2cash.collection.reversals import decide_reversal
from meter2cash.collection.withholding_service import export_debit_file, import_withholding_result
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.platform.errors import InputRefused
from meter2cash.platform.i18n import use_lang
from meter2cash.platform.users import PermissionDenied

DAY = date(2026, 3, 1)
HEADER = "交易日期,金额,银行流水号,户号,付款人,摘要,类型,批次号\r\n"
BATCH = "WH-ICBC-20260301-01"
STATEMENT = (
    statement_batch_line(batch=BATCH, on=DAY, amount=Decimal("208.15"), bank_ref="B0")
    + "2026-03-01,25.00,T1,A0003,张伟,电费,单笔,\r\n"
    + "2026-03-01,7.00,T9,A0003,张伟,电费,单笔,\r\n"
    + "2026-03-01,5.00,X5,A0003,张伟,电费,单笔,\r\n"
).encode()


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with use_lang("en"):
        yield


def bank_payment(ctx: AppContext, account_no: str, amount: str, ref: str) -> int:
    request = PaymentRequest(
        account_no=account_no,
        amount=Decimal(amount),
        channel=gl.Channel.BANK_WITHHOLDING,
        method=gl.Method.TRANSFER,
        source="ICBC",
        paid_on=DAY,
        channel_ref=ref,
    )
    return take_payment(ctx, actor="cashier", request=request).payment_id


@pytest.fixture
def run(ctx: AppContext) -> RunView:
    """A withholding batch debited in full (A0001 120.00, A0002 88.15) and four transfers posted for
    A0003: T1 20.00, T2 10.00, T3 5.00 and T4 5.00. The statement shows the batch's lump sum, T1 as
    25.00 (a mismatch), a line nobody posted (7.00), and one 5.00 line under the bank's own
    reference (matched with T3 by account, amount and day, so T4 is a duplicate); T2 is not in it."""
    bank_bureau(ctx)
    export = export_debit_file(ctx, actor="cashier", bank="ICBC", on=DAY)
    result = answer_debit_file(data=export.data, on=DAY)
    import_withholding_result(ctx, actor="cashier", data=result, filename="result.csv")
    bank_payment(ctx, "A0003", "20.00", "T1")
    bank_payment(ctx, "A0003", "10.00", "T2")
    bank_payment(ctx, "A0003", "5.00", "T3")
    bank_payment(ctx, "A0003", "5.00", "T4")
    assert export.batch == BATCH
    return reconcile_file(ctx, actor="cashier", data=STATEMENT, filename="statement.csv")


def item(view: RunView, kind: str) -> ItemView:
    return next(found for found in view.items if found.kind == kind)


def test_a_statement_is_matched_and_every_kind_of_difference_is_found(run: RunView) -> None:
    assert run.channel == "bank_withholding" and run.source == "ICBC"  # told by the batch line
    assert (run.matched_count, run.matched_amount) == (2, Decimal("213.15"))
    assert sorted(found.kind for found in run.items) == [
        "amount_mismatch",
        "duplicate",
        "missing_in_bank",
        "missing_in_ledger",
    ]
    assert item(run, "missing_in_bank").ledger_amount == Decimal("10.00")
    assert item(run, "missing_in_ledger").bank_amount == Decimal("7.00")
    assert item(run, "amount_mismatch").detail["difference"] == "5.00"
    assert item(run, "duplicate").reason == "same_account_amount_date"
    shown = run.as_json()
    assert shown["matched"] == {"count": 2, "amount": "213.15"}
    assert shown["balanced"] is False


def test_the_same_statement_again_gives_the_first_run_and_stores_nothing(
    ctx: AppContext, run: RunView
) -> None:
    again = reconcile_file(ctx, actor="cashier", data=STATEMENT, filename="copy.csv")
    assert again.already_imported and again.id == run.id
    assert [found.id for found in reconciliation_runs(ctx, actor="cashier")] == [run.id]
    assert len(audited(ctx, "reconciliation.run")) == 1


def test_posting_a_payment_missing_in_the_ledger_posts_it_once_and_audits_it(
    ctx: AppContext, run: RunView
) -> None:
    before = payments(ctx)
    missing = item(run, "missing_in_ledger")
    done = resolve_difference(
        ctx, actor="manager", item_id=missing.id, resolution="post_missing_payment", note="补录银行到账"
    )
    assert done.state == "resolved" and done.posted_payment_id is not None
    assert payments(ctx) == before + 1
    assert owed(ctx, "A0003") == Decimal("3.00")  # 50.00 − 20.00 − 10.00 − 5.00 − 5.00 − 7.00
    with pytest.raises(InputRefused, match="already resolved"):
        resolve_difference(
            ctx, actor="manager", item_id=missing.id, resolution="accept_with_note", note="again"
        )
    [record] = audited(ctx, "reconciliation.resolve")
    assert record.object_id == str(missing.id) and record.reason == "补录银行到账"
    assert_balanced(ctx)


def test_reversing_a_payment_missing_in_the_bank_asks_for_a_reversal_a_second_supervisor_approves(
    ctx: AppContext, run: RunView
) -> None:
    missing = item(run, "missing_in_bank")
    done = resolve_difference(
        ctx, actor="manager", item_id=missing.id, resolution="reverse_payment", note="银行无此笔到账"
    )
    assert done.reversal_id is not None
    with unit_of_work(ctx.sessions) as session:
        asked = session.scalars(select(PaymentReversal)).one()
        assert (asked.payment_id, asked.state) == (missing.payment_id, "pending")
    decide_reversal(ctx, actor="admin", reversal_id=done.reversal_id, approve=True, note="核实")
    assert owed(ctx, "A0003") == Decimal("20.00")  # 10.00 + T2's 10.00, owed again
    assert_balanced(ctx)


def test_accepting_or_marking_a_bank_error_records_the_note_and_posts_nothing(
    ctx: AppContext, run: RunView
) -> None:
    before = payments(ctx)
    duplicate = resolve_difference(
        ctx,
        actor="manager",
        item_id=item(run, "duplicate").id,
        resolution="accept_with_note",
        note="两笔均属实",
    )
    mismatch = resolve_difference(
        ctx,
        actor="admin",
        item_id=item(run, "amount_mismatch").id,
        resolution="mark_bank_error",
        note="银行金额有误",
    )
    assert (duplicate.resolution, duplicate.note) == ("accept_with_note", "两笔均属实")
    assert (mismatch.resolution, mismatch.resolved_by) == ("mark_bank_error", "admin")
    assert payments(ctx) == before
    assert len(audited(ctx, "reconciliation.resolve")) == 2


def test_a_resolution_that_does_not_fit_or_has_no_note_is_refused_and_changes_nothing(
    ctx: AppContext, run: RunView
) -> None:
    missing = item(run, "missing_in_ledger")
    with pytest.raises(InputRefused, match="cannot be resolved"):
        resolve_difference(ctx, actor="manager", item_id=missing.id, resolution="reverse_payment", note="x")
    with pytest.raises(InputRefused, match="note"):
        resolve_difference(ctx, actor="manager", item_id=missing.id, resolution="accept_with_note", note=" ")
    with pytest.raises(PermissionDenied):
        resolve_difference(ctx, actor="cashier", item_id=missing.id, resolution="accept_with_note", note="ok")
    assert audited(ctx, "reconciliation.resolve") == []


def test_a_settlement_file_is_reconciled_with_the_agents_payments(ctx: AppContext) -> None:
    bank_bureau(ctx)
    request = PaymentRequest(
        account_no="A0003",
        amount=Decimal("50.00"),
        channel=gl.Channel.AGENT,
        method=gl.Method.TRANSFER,
        source="post",
        paid_on=DAY,
        channel_ref="PS1",
    )
    take_payment(ctx, actor="cashier", request=request)
    settlement = "代收机构,代收日期,户号,金额,代收流水号\nPOST,2026-03-01,A0003,50.00,PS1\n"
    view = reconcile_file(ctx, actor="cashier", data=settlement.encode(), filename="post.csv")
    assert (view.kind, view.channel, view.source) == ("agent_settlement", "agent", "post")
    assert view.matched_count == 1 and view.items == ()
    unknown = settlement.replace("POST,", "DHL,")
    with pytest.raises(InputRefused, match="problem"):
        reconcile_file(ctx, actor="cashier", data=unknown.encode(), filename="dhl.csv")


def test_a_statement_with_a_bad_row_is_refused_whole_and_one_without_a_bank_asks_for_it(
    ctx: AppContext,
) -> None:
    bank_bureau(ctx)
    bad = HEADER + "2026-03-01,12.345,T1,A0003,,,单笔,\r\n"
    with pytest.raises(InputRefused, match="the whole file is refused"):
        reconcile_file(ctx, actor="cashier", data=bad.encode(), filename="bad.csv")
    single = HEADER + "2026-03-01,12.00,T1,A0003,,,单笔,\r\n"
    with pytest.raises(InputRefused, match="Name the bank"):
        reconcile_file(ctx, actor="cashier", data=single.encode(), filename="single.csv")
    view = reconcile_file(ctx, actor="cashier", data=single.encode(), filename="single.csv", bank="ICBC")
    assert [found.kind for found in view.items] == ["missing_in_ledger"]
    assert reconciliation_runs(ctx, actor="cashier")[0].id == view.id
