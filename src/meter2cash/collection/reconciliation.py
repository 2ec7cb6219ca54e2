"""Bank reconciliation (银行对账), pure: the lines of a bank statement or an agent's settlement
file against the payments posted in the ledger, with no database and no clock. The service passes
the payments of the channel and source (bank or agent) the file covers, for the days it covers.

The rules, applied in this order; each bank line and each payment lands in exactly one bucket of
the `ReconciliationReport`:

1. **Repeated bank lines.** A line whose bank reference an earlier line already gave, or a batch
   line for a batch an earlier line already gave, is a duplicate (the bank sent it twice). The
   first one goes on to be matched.
2. **Batch lines** (a withholding batch's lump sum) are matched with every payment of their batch,
   whatever its day: matched when the sum agrees within the tolerance, an amount mismatch
   otherwise. A batch line whose batch has no payment is missing in the ledger.
3. **By reference**: a single line and the payment whose channel reference is the line's bank
   reference — matched when the amounts agree within the tolerance, an amount mismatch otherwise.
   When several payments carry the reference, the first whose amount agrees is taken (else the
   first), and the others are duplicates: one payment posted twice.
4. **By account, amount and date** (fallback): a single line with an account number that no
   reference matched is matched with an open payment of the same account whose amount agrees
   within the tolerance and whose day is within ``date_window_days`` of the line's value date —
   the nearest day first, then the nearest amount, then the payment given first.
5. **Twins**: an open payment that fits a line already matched (same account, amount within the
   tolerance, day within the window) is a duplicate: two payments for one line.
6. What is left: bank lines are missing in the ledger, payments missing in the bank.

Money is exact: amounts are `Decimal`, exact to the fen; the tolerance is too (default 0: amounts
must agree to the fen).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from meter2cash.collection.bank_records import LineKind, StatementLine
from meter2cash.collection.reconciliation_report import (
    AmountMismatch,
    Difference,
    Duplicate,
    DuplicateReason,
    LedgerPayment,
    Match,
    MatchedBy,
    ReconciliationReport,
)
from meter2cash.collection.reconciliation_resolution import (
    Resolution,
    allowed_resolutions,
    check_resolution,
    difference_of,
)
from meter2cash.platform.money import FEN

__all__ = [
    "AmountMismatch",
    "BadReconciliationPolicy",
    "Difference",
    "Duplicate",
    "DuplicateReason",
    "LedgerPayment",
    "Match",
    "MatchedBy",
    "ReconciliationReport",
    "Resolution",
    "allowed_resolutions",
    "check_resolution",
    "difference_of",
    "reconcile",
]


class BadReconciliationPolicy(ValueError):
    """A tolerance that is not an exact, non-negative amount of fen, or a negative date window."""


class _Run:
    """The state of one reconciliation: open payments by their position, and the buckets so far,
    each entry keyed by the position of the bank line it belongs to (for the report's order)."""

    def __init__(
        self,
        lines: Sequence[StatementLine],
        payments: Sequence[LedgerPayment],
        tolerance: Decimal,
        window: int,
    ) -> None:
        self.lines = lines
        self.payments = payments
        self.tolerance = tolerance
        self.window = window
        self.open: dict[int, LedgerPayment] = dict(enumerate(payments))
        self.pairs: list[tuple[int, Match | AmountMismatch]] = []
        self.duplicates: list[tuple[int, Duplicate]] = []
        self.paired_lines: set[int] = set()

    def agrees(self, bank: Decimal, ledger: Decimal) -> bool:
        return abs(bank - ledger) <= self.tolerance

    def near(self, value_date: date, paid_on: date) -> bool:
        return abs((paid_on - value_date).days) <= self.window

    def fits(self, line: StatementLine, payment: LedgerPayment) -> bool:
        """Same account, amount within the tolerance, day within the window."""
        return (
            line.account_no is not None
            and payment.account_no == line.account_no
            and self.agrees(line.amount, payment.amount)
            and self.near(line.value_date, payment.paid_on)
        )

    def pair(self, index: int, taken: Sequence[int], by: MatchedBy) -> None:
        line = self.lines[index]
        payments = tuple(self.open.pop(position) for position in taken)
        total = sum((payment.amount for payment in payments), start=Decimal(0))
        kind = Match if self.agrees(line.amount, total) else AmountMismatch
        self.pairs.append((index, kind(bank_line=line, payments=payments, by=by)))
        self.paired_lines.add(index)

    def repeated_lines(self) -> list[int]:
        """Step 1: the positions of the lines that go on; repeats become duplicates."""
        refs: set[str] = set()
        batches: set[str] = set()
        kept = []
        for index, line in enumerate(self.lines):
            if line.bank_ref in refs:
                found = Duplicate(DuplicateReason.BANK_REF_REPEATED, line.bank_ref, bank_line=line)
                self.duplicates.append((index, found))
            elif line.batch is not None and line.batch in batches:
                found = Duplicate(DuplicateReason.BATCH_REPEATED, line.batch, bank_line=line)
                self.duplicates.append((index, found))
            else:
                refs.add(line.bank_ref)
                if line.batch is not None:
                    batches.add(line.batch)
                kept.append(index)
        return kept

    def by_batch(self, kept: Sequence[int]) -> None:
        """Step 2."""
        for index in kept:
            batch = self.lines[index].batch
            members = [position for position, payment in self.open.items() if payment.batch == batch]
            if batch is not None and members:
                self.pair(index, members, MatchedBy.BATCH)

    def by_reference(self, singles: Sequence[int]) -> None:
        """Step 3."""
        carrying: dict[str, list[int]] = {}
        for position, payment in self.open.items():
            if payment.channel_ref:
                carrying.setdefault(payment.channel_ref, []).append(position)
        for index in singles:
            line = self.lines[index]
            group = carrying.get(line.bank_ref, [])
            if not group:
                continue
            chosen = next((p for p in group if self.agrees(line.amount, self.open[p].amount)), group[0])
            for position in group:
                if position != chosen:
                    twin = Duplicate(
                        DuplicateReason.PAYMENT_REF_REPEATED, line.bank_ref, payment=self.open.pop(position)
                    )
                    self.duplicates.append((index, twin))
            self.pair(index, [chosen], MatchedBy.REFERENCE)

    def by_account(self, singles: Sequence[int]) -> None:
        """Step 4."""
        for index in singles:
            if index in self.paired_lines:
                continue
            line = self.lines[index]
            fitting = [position for position, payment in self.open.items() if self.fits(line, payment)]
            if fitting:
                best = min(fitting, key=lambda position: self._distance(line, position))
                self.pair(index, [best], MatchedBy.ACCOUNT_AMOUNT_DATE)

    def _distance(self, line: StatementLine, position: int) -> tuple[int, Decimal, int]:
        payment = self.open[position]
        return abs((payment.paid_on - line.value_date).days), abs(line.amount - payment.amount), position

    def twins(self, singles: Sequence[int]) -> None:
        """Step 5."""
        matched = [index for index in singles if index in self.paired_lines]
        for position, payment in list(self.open.items()):
            index = next((i for i in matched if self.fits(self.lines[i], payment)), None)
            if index is not None:
                twin = Duplicate(
                    DuplicateReason.SAME_ACCOUNT_AMOUNT_DATE,
                    self.lines[index].bank_ref,
                    payment=self.open.pop(position),
                )
                self.duplicates.append((index, twin))

    def report(self, kept: Sequence[int]) -> ReconciliationReport:
        """Step 6: what is left is missing on one side."""
        pairs = [pair for _index, pair in sorted(self.pairs, key=lambda entry: entry[0])]
        return ReconciliationReport(
            matched=tuple(pair for pair in pairs if isinstance(pair, Match)),
            missing_in_bank=tuple(self.open.values()),
            missing_in_ledger=tuple(self.lines[i] for i in kept if i not in self.paired_lines),
            duplicates=tuple(duplicate for _index, duplicate in sorted(self.duplicates, key=lambda e: e[0])),
            amount_mismatches=tuple(pair for pair in pairs if isinstance(pair, AmountMismatch)),
            tolerance=self.tolerance,
            date_window_days=self.window,
        )


def reconcile(
    *,
    bank_lines: Sequence[StatementLine],
    ledger_payments: Sequence[LedgerPayment],
    tolerance: Decimal = Decimal("0"),
    date_window_days: int = 0,
) -> ReconciliationReport:
    """Match the bank's lines with the ledger's payments (rules: this module's docstring)."""
    if not isinstance(tolerance, Decimal) or not tolerance.is_finite() or tolerance < 0:
        raise BadReconciliationPolicy(f"tolerance must be a non-negative Decimal: {tolerance!r}")
    if tolerance != tolerance.quantize(FEN):
        raise BadReconciliationPolicy(f"tolerance must be exact to the fen: {tolerance}")
    if isinstance(date_window_days, bool) or not isinstance(date_window_days, int) or date_window_days < 0:
        raise BadReconciliationPolicy(f"date_window_days must be a whole number >= 0: {date_window_days!r}")
    run = _Run(list(bank_lines), list(ledger_payments), tolerance, date_window_days)
    kept = run.repeated_lines()
    run.by_batch([i for i in kept if run.lines[i].kind is LineKind.BATCH])
    singles = [i for i in kept if run.lines[i].kind is LineKind.SINGLE]
    run.by_reference(singles)
    run.by_account(singles)
    run.twins(singles)
    return run.report(kept)
