"""What the portal's balance and payment pages show for the collection codes — statement lines,
payment channels — as English message ids translated where shown, and money as exact text. Pure."""

from __future__ import annotations

from decimal import Decimal

from meter2cash.platform.i18n import N_
from meter2cash.platform.i18n import gettext as _

STATEMENT_KINDS: dict[str, str] = {
    "bill": N_("Bill issued"),
    "payment": N_("Payment"),
    "late_fee": N_("Late fee charged"),
    "prepayment": N_("Prepayment applied"),
    "reversal": N_("Payment reversed"),
    "waiver": N_("Late fee waived"),
    "write_off": N_("Written off"),
}
CHANNELS: dict[str, str] = {
    "counter": N_("At the service hall"),
    "bank_withholding": N_("Bank withholding"),
    "agent": N_("Collection agent"),
    "portal": N_("Online payment"),
}


def statement_kind(code: str) -> str:
    found = STATEMENT_KINDS.get(code)
    return _(found) if found else code


def channel_name(code: str) -> str:
    found = CHANNELS.get(code)
    return _(found) if found else code


def yuan(value: Decimal | str | None) -> str:
    """元 as exact text with two decimals (a ledger amount is a decimal string): 203.8 → 203.80."""
    if value is None or value == "":
        return "-"
    return f"{Decimal(str(value)).quantize(Decimal('0.01'))}"


def helpers() -> dict[str, object]:
    return {"yuan": yuan, "statement_kind": statement_kind, "channel_name": channel_name}
