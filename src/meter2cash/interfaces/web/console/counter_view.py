"""The template helpers of the counter and the receipt: money in figures and in 大写, the names of
collection codes, and an instant as Beijing wall time."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from meter2cash.interfaces.web.console.amount_words import amount_in_figures, amount_in_words
from meter2cash.interfaces.web.console.payment_labels import payment_label
from meter2cash.platform.clock import BUSINESS_TZ


def yuan(value: Decimal | str | int | None) -> str:
    """Money in figures (``¥1,234.56``); ``—`` for none."""
    if value is None or value == "":
        return "—"
    return amount_in_figures(Decimal(str(value)))


def local_time(moment: datetime | None) -> str:
    """An instant as Beijing wall time, to the minute (a stored naive time is UTC)."""
    if moment is None:
        return "—"
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M")


def counter_helpers() -> dict[str, Any]:
    return {"yuan": yuan, "in_words": amount_in_words, "pl": payment_label, "local_time": local_time}
