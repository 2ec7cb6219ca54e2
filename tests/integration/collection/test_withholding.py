"""Bank withholding (银行代扣) on SQLite and PostgreSQL: agreements imported whole or not at all, the
debit file asks what the ledger says is owed, the bank's result file posts the succeeded debits
once, and a bad result file is refused whole with nothing written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bank_bureau import AGREEMENTS, assert_balanced, audited, bank_bureau, owed, payments
from meter2cash.collection.bank_model import BankFileRecord, WithholdingAgreement
from meter2cash.collection.bank_simulator import answer_debit_file
from meter2cash.collection.ledger_model import Payment
from meter2cash.collection.withholding_service import (
    export_debit_file,
    import_agreements,
    import_withholding_result,
)
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.platform.errors import InputRefused
from meter2cash.platform.i18n import use_lang
from meter2cash.platform.users import PermissionDenied

DAY = date(2026, 3, 1)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with use_lang("en"):
        yield


@pytest.fixture
def bureau(ctx: AppContext) -> AppContext:
    return bank_bureau(ctx)


def agreements(ctx: AppContext) -> list[tuple[str, date | None]]:
    with unit_of_work(ctx.sessions) as session:
        rows = session.scalars(select(WithholdingAgreement).order_by(WithholdingAgreement.id))
        return [(row.bank_account, row.ended_on) for row in rows]


def test_importing_the_same_agreements_again_changes_nothing_and_an_ending_row_ends_one(
    bureau: AppContext,
) -> None:
    again = import_agreements(bureau, actor="cashier", data=AGREEMENTS.encode(), filename="again.csv")
    assert (again.added, again.ended, again.unchanged) == (0, 0, 2)
    ending = AGREEMENTS.replace("2026-01-06,\n", "2026-01-06,2026-02-01\n")
    ended = import_agreements(bureau, actor="cashier", data=ending.encode(), filename="end.csv")
    assert (ended.added, ended.ended, ended.unchanged) == (0, 1, 1)
    assert agreements(bureau)[1] == ("6217000602009876543", date(2026, 2, 1))


def test_an_agreement_file_with_an_unknown_bank_account_or_overlap_is_refused_whole(
    bureau: AppContext,
) -> None:
    bad = (
        "户号,银行,银行账号,户名,签约日期\n"
        "A0003,ICBC,111,张伟,2026-01-01\n"  # fine on its own
        "A0009,ICBC,222,无名,2026-01-01\n"  # no such account
        "A0003,HSBC,333,张伟,2026-01-01\n"  # unknown bank, and a second agreement for A0003
        "A0001,BOC,444,王建国,2026-02-01\n"  # A0001 already has one in force
    )
    with pytest.raises(InputRefused) as refused:
        import_agreements(bureau, actor="cashier", data=bad.encode(), filename="bad.csv")
    rows = sorted({problem.row for problem in refused.value.problems if problem.row})
    assert rows == [2, 3, 4]
    assert "the whole file is refused" in refused.value.summary
    assert len(agreements(bureau)) == 2


def test_the_debit_file_asks_each_agreement_account_what_the_ledger_says_it_owes(bureau: AppContext) -> None:
    export = export_debit_file(bureau, actor="cashier", bank="ICBC", on=DAY)
    assert export.batch == "WH-ICBC-20260301-01"
    assert [(row.account_no, row.amount) for row in export.rows] == [
        ("A0001", Decimal("120.00")),
        ("A0002", Decimal("88.15")),
    ]
    text = export.data.decode("utf-8-sig")
    assert text.splitlines()[0] == "扣款流水号,户号,户名,银行账号,金额"
    assert "WH-ICBC-20260301-01-00001,A0001,王建国,6222020602001234567,120.00" in text
    assert text.splitlines()[-1] == "合计,ICBC,2,208.15"
    assert export.as_json()["total"] == "208.15"
    assert len(audited(bureau, "bank_file.export")) == 1


def test_a_debit_awaiting_the_banks_answer_is_not_sent_twice(bureau: AppContext) -> None:
    export_debit_file(bureau, actor="cashier", bank="ICBC", on=DAY)
    with pytest.raises(InputRefused, match=r"nothing to debit|problem"):
        export_debit_file(bureau, actor="cashier", bank="ICBC", on=DAY)


def test_the_result_file_posts_the_succeeded_debits_and_allocates_them_once(bureau: AppContext) -> None:
    export = export_debit_file(bureau, actor="cashier", bank="ICBC", on=DAY)
    result = answer_debit_file(data=export.data, on=DAY, fail={"A0002": "余额不足"})
    imported = import_withholding_result(bureau, actor="cashier", data=result, filename="result.csv")
    assert imported.succeeded == 1 and imported.succeeded_amount == Decimal("120.00")
    assert [(f["account_no"], f["reason"]) for f in imported.failed] == [("A0002", "余额不足")]
    assert imported.payments is not None and imported.payments.posted == 1
    assert owed(bureau, "A0001") == 0 and owed(bureau, "A0002") == Decimal("88.15")
    with unit_of_work(bureau.sessions) as session:
        paid = session.scalars(select(Payment)).one()
        assert (paid.channel, paid.source, paid.channel_ref, paid.batch) == (
            "bank_withholding",
            "ICBC",
            "ICBC20260301000001",
            export.batch,
        )
    again = import_withholding_result(bureau, actor="cashier", data=result, filename="result.csv")
    assert again.already_imported and again.succeeded == 1
    assert payments(bureau) == 1
    assert_balanced(bureau)
    renamed = import_withholding_result(bureau, actor="cashier", data=result + b"\r\n", filename="copy.csv")
    assert renamed.payments is not None and renamed.payments.replayed == 1 and renamed.payments.posted == 0
    assert payments(bureau) == 1
    second = export_debit_file(bureau, actor="cashier", bank="ICBC", on=DAY)
    assert [row.account_no for row in second.rows] == ["A0002"]  # answered: A0002 may be debited again


def test_a_result_file_with_one_bad_row_is_refused_whole_with_nothing_written(bureau: AppContext) -> None:
    export = export_debit_file(bureau, actor="cashier", bank="ICBC", on=DAY)
    result = answer_debit_file(data=export.data, on=DAY).decode()
    tampered = result.replace(",88.15,", ",88.16,").encode()
    with pytest.raises(InputRefused) as refused:
        import_withholding_result(bureau, actor="cashier", data=tampered, filename="bad.csv")
    assert [p.row for p in refused.value.problems] == [2]
    unknown = result.replace("WH-ICBC-20260301-01-00002,A0002", "WH-ICBC-20260301-01-00009,A0002").encode()
    with pytest.raises(InputRefused, match="problem"):
        import_withholding_result(bureau, actor="cashier", data=unknown, filename="unknown.csv")
    assert payments(bureau) == 0
    with unit_of_work(bureau.sessions) as session:
        kinds = session.scalars(select(BankFileRecord.kind)).all()
        assert kinds == ["debit_export"]


def test_a_billing_clerk_may_export_but_not_post_a_result_file(bureau: AppContext) -> None:
    export = export_debit_file(bureau, actor="billing_clerk", bank="ICBC", on=DAY)
    result = answer_debit_file(data=export.data, on=DAY)
    with pytest.raises(PermissionDenied):
        import_withholding_result(bureau, actor="billing_clerk", data=result, filename="r.csv")
    with unit_of_work(bureau.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 0


def test_an_unknown_bank_is_refused_before_anything_is_written(bureau: AppContext) -> None:
    with pytest.raises(InputRefused, match="not a bank of the collection policy"):
        export_debit_file(bureau, actor="cashier", bank="HSBC", on=DAY)
