"""Bank reconciliation (银行对账): bank lines against posted payments — matched by reference, by
batch, by account, amount and date — and every difference in its bucket, with Hypothesis
invariants (each line and each payment in exactly one bucket; matched totals equal)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meter2cash.collection.bank_files import parse_agent_settlement, parse_statement, parse_withholding_result
from meter2cash.collection.bank_records import LineKind, StatementLine, WithholdingStatus
from meter2cash.collection.reconciliation import (
    BadReconciliationPolicy,
    Difference,
    Duplicate,
    DuplicateReason,
    LedgerPayment,
    MatchedBy,
    Resolution,
    allowed_resolutions,
    check_resolution,
    difference_of,
    reconcile,
)
from meter2cash.platform.money import NotExact

EXAMPLES = Path(__file__).resolve().parents[3] / "docs" / "examples" / "bank"
DAY = date(2026, 11, 16)


def line(
    ref: str,
    amount: str,
    *,
    account: str | None = None,
    on: date = DAY,
    batch: str | None = None,
) -> StatementLine:
    kind = LineKind.BATCH if batch else LineKind.SINGLE
    return StatementLine(on, D(amount), ref, account, None, None, kind=kind, batch=batch)


def payment(
    pid: int,
    amount: str,
    *,
    ref: str | None = None,
    account: str = "1500000001",
    on: date = DAY,
    batch: str | None = None,
) -> LedgerPayment:
    return LedgerPayment(pid, "bank_withholding", ref, account, D(amount), on, batch)


class TestMatchingByReference:
    def test_a_line_and_the_payment_with_its_reference_match(self) -> None:
        report = reconcile(bank_lines=[line("B1", "10.00")], ledger_payments=[payment(1, "10.00", ref="B1")])
        assert [(m.bank_line.bank_ref, m.payments[0].payment_id, m.by) for m in report.matched] == [
            ("B1", 1, MatchedBy.REFERENCE)
        ]
        assert report.balanced

    def test_the_same_reference_with_another_amount_is_an_amount_mismatch(self) -> None:
        report = reconcile(bank_lines=[line("B1", "10.00")], ledger_payments=[payment(1, "10.10", ref="B1")])
        assert report.matched == ()
        assert [m.difference for m in report.amount_mismatches] == [D("-0.10")]

    def test_a_difference_within_the_tolerance_matches_and_shows_the_difference(self) -> None:
        report = reconcile(
            bank_lines=[line("B1", "10.00")],
            ledger_payments=[payment(1, "10.01", ref="B1")],
            tolerance=D("0.01"),
        )
        assert [m.difference for m in report.matched] == [D("-0.01")]

    def test_a_reference_match_wins_over_an_account_match(self) -> None:
        lines = [line("B1", "10.00", account="1500000001")]
        payments = [payment(1, "10.00"), payment(2, "10.00", ref="B1")]
        report = reconcile(bank_lines=lines, ledger_payments=payments)
        assert report.matched[0].payments[0].payment_id == 2
        assert report.matched[0].by is MatchedBy.REFERENCE


class TestMatchingByAccountAmountAndDate:
    def test_a_line_without_a_matching_reference_matches_the_same_account_amount_and_day(self) -> None:
        report = reconcile(
            bank_lines=[line("B9", "58.20", account="1500000005")],
            ledger_payments=[payment(7, "58.20", account="1500000005")],
        )
        assert [m.by for m in report.matched] == [MatchedBy.ACCOUNT_AMOUNT_DATE]

    def test_another_day_matches_only_within_the_date_window(self) -> None:
        lines = [line("B9", "58.20", account="1500000005", on=DAY + timedelta(days=1))]
        payments = [payment(7, "58.20", account="1500000005")]
        assert reconcile(bank_lines=lines, ledger_payments=payments).matched == ()
        assert len(reconcile(bank_lines=lines, ledger_payments=payments, date_window_days=1).matched) == 1

    def test_the_nearest_day_is_taken_first(self) -> None:
        lines = [line("B9", "5.00", account="1500000001", on=DAY)]
        payments = [payment(1, "5.00", on=DAY - timedelta(days=1)), payment(2, "5.00", on=DAY)]
        report = reconcile(bank_lines=lines, ledger_payments=payments, date_window_days=2)
        assert report.matched[0].payments[0].payment_id == 2
        assert [(d.reason, d.payment) for d in report.duplicates] == [
            (DuplicateReason.SAME_ACCOUNT_AMOUNT_DATE, payments[0])  # fits the line too: a twin
        ]

    def test_a_line_without_an_account_is_not_matched_by_amount_alone(self) -> None:
        report = reconcile(bank_lines=[line("B9", "5.00")], ledger_payments=[payment(1, "5.00")])
        assert (len(report.missing_in_ledger), len(report.missing_in_bank)) == (1, 1)


class TestBatchLines:
    def test_a_batch_line_matches_the_sum_of_the_payments_of_its_batch(self) -> None:
        payments = [payment(1, "126.40", batch="WH-1"), payment(2, "88.15", batch="WH-1")]
        report = reconcile(bank_lines=[line("B1", "214.55", batch="WH-1")], ledger_payments=payments)
        assert report.matched[0].payments == tuple(payments)
        assert report.matched[0].by is MatchedBy.BATCH

    def test_a_batch_line_whose_sum_differs_is_an_amount_mismatch(self) -> None:
        payments = [payment(1, "126.40", batch="WH-1"), payment(2, "88.15", batch="WH-1")]
        report = reconcile(bank_lines=[line("B1", "345.55", batch="WH-1")], ledger_payments=payments)
        assert [m.difference for m in report.amount_mismatches] == [D("131.00")]

    def test_a_batch_line_without_payments_is_missing_in_the_ledger(self) -> None:
        report = reconcile(bank_lines=[line("B1", "10.00", batch="WH-1")], ledger_payments=[])
        assert report.missing_in_ledger[0].batch == "WH-1"


class TestDuplicatesAndMissing:
    def test_a_bank_reference_given_twice_makes_the_second_line_a_duplicate(self) -> None:
        lines = [line("B1", "10.00"), line("B1", "10.00")]
        report = reconcile(bank_lines=lines, ledger_payments=[payment(1, "10.00", ref="B1")])
        assert len(report.matched) == 1
        assert [(d.reason, d.bank_line) for d in report.duplicates] == [
            (DuplicateReason.BANK_REF_REPEATED, lines[1])
        ]

    def test_a_second_batch_line_for_the_same_batch_is_a_duplicate(self) -> None:
        lines = [line("B1", "10.00", batch="WH-1"), line("B2", "10.00", batch="WH-1")]
        report = reconcile(bank_lines=lines, ledger_payments=[payment(1, "10.00", batch="WH-1")])
        assert [d.reason for d in report.duplicates] == [DuplicateReason.BATCH_REPEATED]

    def test_two_payments_with_one_lines_reference_leave_the_one_that_agrees_matched_and_the_other_duplicate(
        self,
    ) -> None:
        payments = [payment(1, "9.00", ref="B1"), payment(2, "10.00", ref="B1")]
        report = reconcile(bank_lines=[line("B1", "10.00")], ledger_payments=payments)
        assert report.matched[0].payments == (payments[1],)
        assert report.duplicates == (
            Duplicate(DuplicateReason.PAYMENT_REF_REPEATED, "B1", payment=payments[0]),
        )

    def test_a_second_payment_like_one_a_line_matched_by_account_is_a_duplicate(self) -> None:
        lines = [line("B1", "30.00", account="1500000001")]
        payments = [payment(1, "30.00"), payment(2, "30.00")]
        report = reconcile(bank_lines=lines, ledger_payments=payments)
        assert [(d.reason, d.payment) for d in report.duplicates] == [
            (DuplicateReason.SAME_ACCOUNT_AMOUNT_DATE, payments[1])
        ]
        assert report.missing_in_bank == ()

    def test_a_payment_the_bank_does_not_show_is_missing_in_the_bank_and_a_line_nobody_posted_in_the_ledger(
        self,
    ) -> None:
        report = reconcile(
            bank_lines=[line("B1", "10.00", account="1500000009")],
            ledger_payments=[payment(1, "20.00", ref="X")],
        )
        assert [ln.bank_ref for ln in report.missing_in_ledger] == ["B1"]
        assert [p.payment_id for p in report.missing_in_bank] == [1]
        assert not report.balanced


class TestTheDocumentedExamples:
    def test_the_example_withholding_and_statement_files_reconcile_with_one_line_missing_in_the_ledger(
        self,
    ) -> None:
        results = parse_withholding_result(
            data=(EXAMPLES / "withholding-result.csv").read_bytes(), filename="withholding-result.csv"
        ).lines
        posted = [
            LedgerPayment(n, "bank_withholding", r.bank_ref, r.account_no, r.amount, DAY, "WH-202611-01")
            for n, r in enumerate(results, start=1)
            if r.status is WithholdingStatus.SUCCEEDED
        ]
        posted += [
            LedgerPayment(10, "bank_withholding", "ICBC20261116009002", "1500000004", D("300.00"), DAY),
            LedgerPayment(11, "counter", None, "1500000005", D("58.20"), date(2026, 11, 17)),
        ]
        lines = parse_statement(
            data=(EXAMPLES / "statement.csv").read_bytes(), filename="statement.csv"
        ).lines
        report = reconcile(bank_lines=lines, ledger_payments=posted)
        assert [m.by for m in report.matched] == [
            MatchedBy.BATCH,
            MatchedBy.REFERENCE,
            MatchedBy.ACCOUNT_AMOUNT_DATE,
        ]
        assert [ln.bank_ref for ln in report.missing_in_ledger] == ["ICBC20261117009004"]

    def test_the_example_agent_settlement_reconciles_line_by_line(self) -> None:
        settled = parse_agent_settlement(
            data=(EXAMPLES / "agent-settlement.csv").read_bytes(), filename="agent-settlement.csv"
        ).lines
        posted = [
            LedgerPayment(n, "agent", s.agent_ref, s.account_no, s.amount, s.collected_on)
            for n, s in enumerate(settled, start=1)
        ]
        report = reconcile(bank_lines=[s.as_statement_line() for s in settled], ledger_payments=posted)
        assert report.balanced
        assert len(report.matched) == 3


class TestTheReportAsJson:
    def test_amounts_are_decimal_strings_and_the_summary_counts_each_bucket(self) -> None:
        report = reconcile(
            bank_lines=[line("B1", "10.00"), line("B2", "5.50", account="1500000009")],
            ledger_payments=[payment(1, "10.00", ref="B1"), payment(2, "7.25", ref="X")],
        )
        shown: dict[str, Any] = report.as_json()
        json.dumps(shown)  # every value is JSON
        assert shown["matched"][0]["bank_line"]["amount"] == "10.00"
        assert shown["summary"]["matched"] == {
            "bank_lines": 1,
            "bank_total": "10.00",
            "payments": 1,
            "ledger_total": "10.00",
        }
        assert shown["summary"]["missing_in_bank"]["ledger_total"] == "7.25"
        assert shown["missing_in_ledger"][0]["amount"] == "5.50"
        assert shown["balanced"] is False


class TestThePolicyAndTheInputsAreExact:
    @pytest.mark.parametrize("tolerance", [0.01, D("-0.01"), D("0.001"), D("NaN")])
    def test_a_tolerance_that_is_not_an_exact_non_negative_number_of_fen_is_refused(
        self, tolerance: Any
    ) -> None:
        with pytest.raises(BadReconciliationPolicy):
            reconcile(bank_lines=[], ledger_payments=[], tolerance=tolerance)

    def test_a_negative_date_window_is_refused(self) -> None:
        with pytest.raises(BadReconciliationPolicy):
            reconcile(bank_lines=[], ledger_payments=[], date_window_days=-1)

    def test_a_payment_with_a_float_amount_is_refused(self) -> None:
        with pytest.raises(NotExact):
            LedgerPayment(1, "counter", None, "1500000001", 10.0, DAY)  # type: ignore[arg-type]

    def test_a_batch_line_without_its_batch_cannot_be_built(self) -> None:
        with pytest.raises(ValueError, match="batch"):
            StatementLine(DAY, D("1.00"), "B1", None, None, None, kind=LineKind.BATCH)


class TestResolutions:
    def test_each_difference_has_its_own_resolutions(self) -> None:
        bank_twin = Duplicate(DuplicateReason.BANK_REF_REPEATED, "B1", bank_line=line("B1", "1.00"))
        payment_twin = Duplicate(DuplicateReason.PAYMENT_REF_REPEATED, "B1", payment=payment(1, "1.00"))
        assert difference_of(line("B1", "1.00")) is Difference.MISSING_IN_LEDGER
        assert difference_of(payment(1, "1.00")) is Difference.MISSING_IN_BANK
        assert Resolution.POST_MISSING_PAYMENT in allowed_resolutions(line("B1", "1.00"))
        assert Resolution.REVERSE_PAYMENT in allowed_resolutions(payment(1, "1.00"))
        assert Resolution.REVERSE_DUPLICATE in allowed_resolutions(payment_twin)
        assert Resolution.REVERSE_DUPLICATE not in allowed_resolutions(bank_twin)
        assert Resolution.MARK_BANK_ERROR in allowed_resolutions(bank_twin)

    def test_a_resolution_that_does_not_fit_the_difference_is_refused(self) -> None:
        problems = check_resolution(
            item=payment(1, "1.00"), resolution=Resolution.POST_MISSING_PAYMENT, note="x"
        )
        assert [p.column for p in problems] == ["resolution"]

    def test_accepting_or_blaming_the_bank_needs_a_note(self) -> None:
        item = line("B1", "1.00")
        assert (
            check_resolution(item=item, resolution=Resolution.ACCEPT_WITH_NOTE, note="  ")[0].column == "note"
        )
        assert (
            check_resolution(item=item, resolution=Resolution.MARK_BANK_ERROR, note="银行重复入账，已函询")
            == []
        )
        assert check_resolution(item=item, resolution=Resolution.POST_MISSING_PAYMENT, note=None) == []


# ---------------------------------------------------------------- invariants

REFS = ("R1", "R2", "R3", "R4")
ACCOUNTS = ("A1", "A2", "A3")
AMOUNTS = (D("10.00"), D("10.01"), D("25.50"), D("99.99"))
DAYS = tuple(date(2026, 11, 14) + timedelta(days=n) for n in range(4))
BATCHES = ("WH-1", "WH-2")

single_lines = st.builds(
    StatementLine,
    value_date=st.sampled_from(DAYS),
    amount=st.sampled_from(AMOUNTS),
    bank_ref=st.sampled_from(REFS),
    account_no=st.none() | st.sampled_from(ACCOUNTS),
    payer=st.none(),
    memo=st.none(),
)
batch_lines = st.builds(
    StatementLine,
    value_date=st.sampled_from(DAYS),
    amount=st.sampled_from((*AMOUNTS, D("20.01"), D("35.50"))),
    bank_ref=st.sampled_from(("BR1", "BR2", "R1")),
    account_no=st.none(),
    payer=st.none(),
    memo=st.none(),
    kind=st.just(LineKind.BATCH),
    batch=st.sampled_from(BATCHES),
)
payments = st.builds(
    LedgerPayment,
    payment_id=st.integers(min_value=1, max_value=50),
    channel=st.just("bank_withholding"),
    channel_ref=st.none() | st.sampled_from(REFS),
    account_no=st.sampled_from(ACCOUNTS),
    amount=st.sampled_from(AMOUNTS),
    paid_on=st.sampled_from(DAYS),
    batch=st.none() | st.sampled_from(BATCHES),
)
bank_lines = st.lists(single_lines | batch_lines, max_size=12)
ledger = st.lists(payments, max_size=12)
tolerances = st.sampled_from((D("0"), D("0.01"), D("1.00")))


class TestInvariants:
    @settings(max_examples=300)
    @given(bank_lines, ledger, tolerances, st.integers(min_value=0, max_value=2))
    def test_every_bank_line_and_every_payment_lands_in_exactly_one_bucket(
        self, lines: list[StatementLine], posted: list[LedgerPayment], tolerance: D, window: int
    ) -> None:
        report = reconcile(
            bank_lines=lines, ledger_payments=posted, tolerance=tolerance, date_window_days=window
        )
        assert Counter(report.bank_lines()) == Counter(lines)
        assert Counter(report.payments()) == Counter(posted)

    @settings(max_examples=300)
    @given(bank_lines, ledger, st.integers(min_value=0, max_value=2))
    def test_with_no_tolerance_the_matched_totals_are_equal_on_both_sides(
        self, lines: list[StatementLine], posted: list[LedgerPayment], window: int
    ) -> None:
        report = reconcile(bank_lines=lines, ledger_payments=posted, date_window_days=window)
        summary = report.summary()["matched"]
        assert summary["bank_total"] == summary["ledger_total"]
        assert all(match.difference == 0 for match in report.matched)

    @settings(max_examples=200)
    @given(bank_lines, ledger, tolerances)
    def test_a_match_is_within_the_tolerance_and_a_mismatch_beyond_it(
        self, lines: list[StatementLine], posted: list[LedgerPayment], tolerance: D
    ) -> None:
        report = reconcile(bank_lines=lines, ledger_payments=posted, tolerance=tolerance)
        assert all(abs(match.difference) <= tolerance for match in report.matched)
        assert all(abs(mismatch.difference) > tolerance for mismatch in report.amount_mismatches)

    @settings(max_examples=200)
    @given(ledger)
    def test_a_statement_made_from_the_ledger_reconciles_completely(
        self, posted: list[LedgerPayment]
    ) -> None:
        unique = list({p.channel_ref or f"P{i}": p for i, p in enumerate(posted)}.values())
        lines = [
            StatementLine(p.paid_on, p.amount, p.channel_ref or f"P{i}", p.account_no, None, None)
            for i, p in enumerate(unique)
        ]
        report = reconcile(bank_lines=lines, ledger_payments=unique)
        assert report.balanced
