"""What the counter and the receipt show for the collection codes: channels, payment methods, what
a payment settled, ledger transaction kinds and reversal states — English message ids, translated
where they are shown (Chinese first). An unknown code is shown as it is."""

from __future__ import annotations

from meter2cash.platform.i18n import N_
from meter2cash.platform.i18n import gettext as _

PAYMENT_LABELS: dict[str, dict[str, str]] = {
    "channel": {
        "counter": N_("Counter payment"),
        "bank_withholding": N_("Bank withholding"),
        "agent": N_("Collection agent"),
        "portal": N_("Online payment"),
    },
    "method": {
        "cash": N_("Cash"),
        "pos": N_("Bank card (POS)"),
        "debit": N_("Direct debit"),
        "transfer": N_("Transfer"),
        "online": N_("Online"),
    },
    "settled": {
        "principal": N_("Electricity charge"),
        "late_fee": N_("Late payment fee"),
        "prepayment": N_("Prepayment"),
    },
    "txn": {
        "bill": N_("Bill issued"),
        "payment": N_("Payment"),
        "late_fee": N_("Late fee charged"),
        "prepayment": N_("Prepayment applied"),
        "reversal": N_("Payment reversed"),
        "waiver": N_("Late fee waived"),
        "write_off": N_("Written off"),
    },
    "reversal": {
        "pending": N_("Reversal waiting for approval"),
        "approved": N_("Reversed"),
        "rejected": N_("Reversal refused"),
    },
}


def payment_label(kind: str, code: str | None) -> str:
    """The translated name of ``code`` among ``kind``'s codes; the code itself if it has none."""
    if code is None:
        return "—"
    found = PAYMENT_LABELS.get(kind, {}).get(code)
    return _(found) if found else code
