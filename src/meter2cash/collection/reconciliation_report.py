"""What a bank reconciliation (银行对账) finds, as values (pure): the payments posted in the ledger,
the pairs that match, and the differences a clerk resolves. Rules: `reconciliation.reconcile`.

Every bank line and every ledger payment lands in exactly one bucket of the report:

- ``matched`` — a bank line and the payment(s) it pays for, by reference, by account, amount and
  date, or (a withholding batch's lump sum) by batch;
- ``amount_mismatches`` — a bank line and its payment(s) with the same reference or batch whose
  amounts differ by more than the tolerance;
- ``duplicates`` — a bank line repeating an earlier line's reference or batch, or a second
  payment for a line that another payment already answers;
- ``missing_in_ledger`` — a bank line no payment answers (money arrived, nothing posted);
- ``missing_in_bank`` — a payment no bank line answers (posted, but the money is not there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from meter2cash.collection.bank_records import StatementLine, check_amount
from meter2cash.platform.money import fen_text


@dataclass(frozen=True, slots=True)
class LedgerPayment:
    """A payment posted in the ledger, as reconciliation sees it. ``channel_ref`` is the reference
    the channel gave (bank or agent reference); ``batch`` the withholding batch it came in."""

    payment_id: int
    channel: str
    channel_ref: str | None
    account_no: str
    amount: Decimal
    paid_on: date
    batch: str | None = None

    def __post_init__(self) -> None:
        check_amount(self.amount)


class MatchedBy(StrEnum):
    REFERENCE = "reference"  # bank_ref == channel_ref
    ACCOUNT_AMOUNT_DATE = "account_amount_date"  # no reference agreed: same account, amount and day
    BATCH = "batch"  # a batch line and every payment of its batch


class DuplicateReason(StrEnum):
    BANK_REF_REPEATED = "bank_ref_repeated"  # a bank line with an earlier line's reference
    BATCH_REPEATED = "batch_repeated"  # a second batch line for the same batch
    PAYMENT_REF_REPEATED = "payment_ref_repeated"  # a second payment carrying a line's reference
    SAME_ACCOUNT_AMOUNT_DATE = "same_account_amount_date"  # a second payment like one matched by account


class Difference(StrEnum):
    """The kinds of difference a reconciliation leaves for a clerk to resolve."""

    MISSING_IN_BANK = "missing_in_bank"
    MISSING_IN_LEDGER = "missing_in_ledger"
    DUPLICATE = "duplicate"
    AMOUNT_MISMATCH = "amount_mismatch"


def _total(payments: Sequence[LedgerPayment]) -> Decimal:
    return sum((payment.amount for payment in payments), start=Decimal(0))


@dataclass(frozen=True, slots=True)
class Match:
    """A bank line and the payment(s) it pays for; ``difference`` (bank − ledger) is within the
    tolerance."""

    bank_line: StatementLine
    payments: tuple[LedgerPayment, ...]
    by: MatchedBy

    @property
    def difference(self) -> Decimal:
        return self.bank_line.amount - _total(self.payments)


@dataclass(frozen=True, slots=True)
class AmountMismatch:
    """The same reference (or batch) on both sides, amounts differing by more than the tolerance."""

    bank_line: StatementLine
    payments: tuple[LedgerPayment, ...]
    by: MatchedBy

    @property
    def difference(self) -> Decimal:
        return self.bank_line.amount - _total(self.payments)


@dataclass(frozen=True, slots=True)
class Duplicate:
    """One bank line or one payment too many; ``reference`` is what it repeats (a bank reference, a
    batch, or the bank reference of the line the payment's twin matched)."""

    reason: DuplicateReason
    reference: str
    bank_line: StatementLine | None = None
    payment: LedgerPayment | None = None

    def __post_init__(self) -> None:
        if (self.bank_line is None) == (self.payment is None):
            raise ValueError("a duplicate is one bank line or one payment")


def line_json(line: StatementLine) -> dict[str, object]:
    return {
        "bank_ref": line.bank_ref,
        "value_date": line.value_date.isoformat(),
        "amount": fen_text(line.amount),
        "account_no": line.account_no,
        "payer": line.payer,
        "memo": line.memo,
        "kind": line.kind.value,
        "batch": line.batch,
        "row": line.row,
    }


def payment_json(payment: LedgerPayment) -> dict[str, object]:
    return {
        "payment_id": payment.payment_id,
        "channel": payment.channel,
        "channel_ref": payment.channel_ref,
        "account_no": payment.account_no,
        "amount": fen_text(payment.amount),
        "paid_on": payment.paid_on.isoformat(),
        "batch": payment.batch,
    }


def _pair_json(pair: Match | AmountMismatch) -> dict[str, object]:
    return {
        "by": pair.by.value,
        "bank_line": line_json(pair.bank_line),
        "payments": [payment_json(payment) for payment in pair.payments],
        "difference": fen_text(pair.difference),
    }


def _duplicate_json(duplicate: Duplicate) -> dict[str, object]:
    return {
        "reason": duplicate.reason.value,
        "reference": duplicate.reference,
        "bank_line": line_json(duplicate.bank_line) if duplicate.bank_line else None,
        "payment": payment_json(duplicate.payment) if duplicate.payment else None,
    }


@dataclass(frozen=True)
class ReconciliationReport:
    """The buckets of one reconciliation, each in the order of the bank lines (payments: in the
    order given)."""

    matched: tuple[Match, ...]
    missing_in_bank: tuple[LedgerPayment, ...]
    missing_in_ledger: tuple[StatementLine, ...]
    duplicates: tuple[Duplicate, ...]
    amount_mismatches: tuple[AmountMismatch, ...]
    tolerance: Decimal
    date_window_days: int = 0

    @property
    def balanced(self) -> bool:
        """Nothing left to resolve: every line and payment matched."""
        return not (
            self.missing_in_bank or self.missing_in_ledger or self.duplicates or self.amount_mismatches
        )

    def pairs(self) -> list[Match | AmountMismatch]:
        """The matched pairs and the amount mismatches."""
        return [*self.matched, *self.amount_mismatches]

    def bank_lines(self) -> list[StatementLine]:
        """Every bank line of the report, whichever bucket holds it."""
        paired = [pair.bank_line for pair in self.pairs()]
        repeated = [d.bank_line for d in self.duplicates if d.bank_line is not None]
        return [*paired, *repeated, *self.missing_in_ledger]

    def payments(self) -> list[LedgerPayment]:
        """Every ledger payment of the report, whichever bucket holds it."""
        paired = [p for pair in self.pairs() for p in pair.payments]
        repeated = [d.payment for d in self.duplicates if d.payment is not None]
        return [*paired, *repeated, *self.missing_in_bank]

    def summary(self) -> dict[str, dict[str, object]]:
        """Count and totals of each bucket (bank side and ledger side), amounts as text."""

        def bucket(lines: Sequence[StatementLine], payments: Sequence[LedgerPayment]) -> dict[str, object]:
            bank_total = sum((line.amount for line in lines), start=Decimal(0))
            return {
                "bank_lines": len(lines),
                "bank_total": fen_text(bank_total),
                "payments": len(payments),
                "ledger_total": fen_text(_total(payments)),
            }

        return {
            "matched": bucket(
                [m.bank_line for m in self.matched], [p for m in self.matched for p in m.payments]
            ),
            "amount_mismatches": bucket(
                [m.bank_line for m in self.amount_mismatches],
                [p for m in self.amount_mismatches for p in m.payments],
            ),
            "duplicates": bucket(
                [d.bank_line for d in self.duplicates if d.bank_line is not None],
                [d.payment for d in self.duplicates if d.payment is not None],
            ),
            "missing_in_ledger": bucket(self.missing_in_ledger, ()),
            "missing_in_bank": bucket((), self.missing_in_bank),
        }

    def as_json(self) -> dict[str, object]:
        """The report as JSON-ready values: amounts and differences as Decimal strings (``"12.30"``)."""
        return {
            "balanced": self.balanced,
            "tolerance": fen_text(self.tolerance),
            "date_window_days": self.date_window_days,
            "summary": self.summary(),
            "matched": [_pair_json(match) for match in self.matched],
            "amount_mismatches": [_pair_json(mismatch) for mismatch in self.amount_mismatches],
            "duplicates": [_duplicate_json(duplicate) for duplicate in self.duplicates],
            "missing_in_ledger": [line_json(line) for line in self.missing_in_ledger],
            "missing_in_bank": [payment_json(payment) for payment in self.missing_in_bank],
        }
