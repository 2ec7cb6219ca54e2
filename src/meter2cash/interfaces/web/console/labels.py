"""What the console shows for the codes stored in the database: states, qualities, categories and
check codes, as English message ids translated where they are shown (Chinese first)."""

from __future__ import annotations

from meter2cash.billing.review_wording import title as review_title
from meter2cash.platform.i18n import N_
from meter2cash.platform.i18n import gettext as _
from meter2cash.reading.vee.codes import VeeCode
from meter2cash.reading.vee.wording import title as vee_title

LABELS: dict[str, dict[str, str]] = {
    "task_state": {
        "pending": N_("Not read yet"),
        "read": N_("Read"),
        "estimated": N_("Estimated"),
        "failed": N_("Failed"),
        "reread_requested": N_("Re-read requested"),
        "done": N_("Done"),
    },
    "exception_state": {
        "open": N_("Open"),
        "confirmed": N_("Confirmed"),
        "reread_requested": N_("Re-read requested"),
        "edit_pending": N_("Edit waiting for approval"),
        "resolved": N_("Resolved"),
    },
    "edit_state": {
        "pending": N_("Waiting for approval"),
        "approved": N_("Approved"),
        "rejected": N_("Rejected"),
    },
    "severity": {"error": N_("Error"), "warning": N_("Warning"), "info": N_("Info")},
    "bill_state": {
        "draft": N_("Draft"),
        "flagged": N_("Waiting for review"),
        "approved": N_("Approved"),
        "rejected": N_("Rejected"),
        "issued": N_("Issued"),
    },
    "quality": {
        "actual": N_("Actual"),
        "estimated": N_("Estimated"),
        "substituted": N_("Substituted"),
        "edited": N_("Edited"),
        "customer_read": N_("Customer read"),
    },
    "reading_status": {
        "valid": N_("Valid"),
        "exception": N_("With an exception"),
        "superseded": N_("Superseded"),
        "rejected": N_("Set aside"),
    },
    "source": {
        "auto": N_("Automatic collection"),
        "handheld": N_("Handheld terminal"),
        "manual": N_("Manual entry"),
        "import": N_("File import"),
        "estimate": N_("Estimate"),
        "edit": N_("Edit"),
    },
    "category": {
        "residential": N_("Residential"),
        "general": N_("General industrial and commercial"),
        "large_industry": N_("Large industry"),
        "agriculture": N_("Agriculture"),
    },
    "payment_mode": {
        "postpaid": N_("Postpaid"),
        "smart_prepaid": N_("Smart prepaid"),
        "card_prepaid": N_("Card prepaid"),
    },
    "account_status": {"active": N_("Active"), "suspended": N_("Suspended"), "closed": N_("Closed")},
    "basic_charge_by": {
        "capacity": N_("By capacity"),
        "contract_demand": N_("By contract demand"),
        "actual_demand": N_("By actual demand"),
    },
    "point_kind": {"customer": N_("Customer point"), "area_supply": N_("Area supply point")},
    "back_to": {"reading": N_("Back to reading"), "billing": N_("Back to billing")},
    "check": {
        "FIELD_VISIT": N_("field visit needed"),
        "BILL_REJECTED": N_("bill rejected at review"),
    },
    "register": {
        "total": N_("Total register"),
        "sharp": N_("Sharp"),
        "peak": N_("Peak"),
        "flat": N_("Flat"),
        "valley": N_("Valley"),
        "reactive": N_("Reactive register"),
        "max_demand_kw": N_("Maximum demand register"),
    },
    "tou": {
        "sharp": N_("Sharp"),
        "peak": N_("Peak"),
        "flat": N_("Flat"),
        "valley": N_("Valley"),
        "deep_valley": N_("Deep valley"),
    },
}


def label(kind: str, code: str | None) -> str:
    """The translated name of ``code`` in the list ``kind``; the code itself when unknown."""
    if code is None:
        return ""
    known = LABELS.get(kind, {}).get(code)
    return _(known) if known else code


def check_title(code: str) -> str:
    """The translated title of a reading check code or a review finding code (the code if neither)."""
    if code in LABELS["check"]:
        return _(LABELS["check"][code])
    try:
        return vee_title(VeeCode(code))
    except (ValueError, KeyError):
        return review_title(code)
