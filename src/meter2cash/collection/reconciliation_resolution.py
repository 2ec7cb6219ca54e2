"""How each difference of a bank reconciliation may be resolved (对账差异处理), pure: a service
records the clerk's choice for each difference after `check_resolution` finds nothing wrong.

| difference | resolutions |
|---|---|
| missing in ledger (arrived, not posted) | post_missing_payment, mark_bank_error, accept_with_note |
| missing in bank (posted, not arrived) | reverse_payment, mark_bank_error, accept_with_note |
| duplicate payment | reverse_duplicate, accept_with_note |
| duplicate bank line | mark_bank_error, accept_with_note |
| amount mismatch | reverse_payment, mark_bank_error, accept_with_note |

``mark_bank_error`` and ``accept_with_note`` need a note saying why (the bank's letter, "arrives
next business day"): a difference is never closed without a reason on record.
"""

from __future__ import annotations

from enum import StrEnum

from meter2cash.collection.bank_records import StatementLine
from meter2cash.collection.reconciliation_report import AmountMismatch, Difference, Duplicate, LedgerPayment
from meter2cash.platform.errors import Problem
from meter2cash.platform.i18n import gettext as _

NOTE_LIMIT = 300


class Resolution(StrEnum):
    POST_MISSING_PAYMENT = "post_missing_payment"  # post the payment the bank line shows (补录)
    REVERSE_PAYMENT = "reverse_payment"  # reverse (冲正) a payment the bank does not show
    REVERSE_DUPLICATE = "reverse_duplicate"  # reverse a payment posted twice
    MARK_BANK_ERROR = "mark_bank_error"  # the bank's mistake; the bank corrects it (银行差错)
    ACCEPT_WITH_NOTE = "accept_with_note"  # a known timing or other reason; recorded, nothing posted


NEEDS_NOTE = frozenset({Resolution.MARK_BANK_ERROR, Resolution.ACCEPT_WITH_NOTE})
DifferenceItem = StatementLine | LedgerPayment | Duplicate | AmountMismatch


def difference_of(item: DifferenceItem) -> Difference:
    """The kind of difference an item of the report is: an unmatched bank line is missing in the
    ledger, an unmatched payment missing in the bank."""
    if isinstance(item, StatementLine):
        return Difference.MISSING_IN_LEDGER
    if isinstance(item, LedgerPayment):
        return Difference.MISSING_IN_BANK
    if isinstance(item, Duplicate):
        return Difference.DUPLICATE
    return Difference.AMOUNT_MISMATCH


def allowed_resolutions(item: DifferenceItem) -> frozenset[Resolution]:
    """The resolutions that fit this difference (see the table above)."""
    if isinstance(item, StatementLine):
        return frozenset(
            {Resolution.POST_MISSING_PAYMENT, Resolution.MARK_BANK_ERROR, Resolution.ACCEPT_WITH_NOTE}
        )
    if isinstance(item, LedgerPayment):
        return frozenset(
            {Resolution.REVERSE_PAYMENT, Resolution.MARK_BANK_ERROR, Resolution.ACCEPT_WITH_NOTE}
        )
    if isinstance(item, Duplicate):
        first = Resolution.REVERSE_DUPLICATE if item.payment is not None else Resolution.MARK_BANK_ERROR
        return frozenset({first, Resolution.ACCEPT_WITH_NOTE})
    return frozenset({Resolution.REVERSE_PAYMENT, Resolution.MARK_BANK_ERROR, Resolution.ACCEPT_WITH_NOTE})


def check_resolution(*, item: DifferenceItem, resolution: Resolution, note: str | None) -> list[Problem]:
    """Why this resolution cannot be recorded for this difference; empty when it can."""
    problems = []
    allowed = allowed_resolutions(item)
    if resolution not in allowed:
        reason = _("does not resolve a difference of this kind ({kind}); use one of: {allowed}").format(
            kind=difference_of(item).value, allowed=", ".join(sorted(allowed))
        )
        problems.append(Problem(reason, column="resolution", value=resolution.value))
    text = (note or "").strip()
    if resolution in NEEDS_NOTE and not text:
        problems.append(Problem(_("a note saying why is required for this resolution"), column="note"))
    if len(text) > NOTE_LIMIT:
        reason = _("is too long (at most {limit} characters)").format(limit=NOTE_LIMIT)
        problems.append(Problem(reason, column="note"))
    return problems
