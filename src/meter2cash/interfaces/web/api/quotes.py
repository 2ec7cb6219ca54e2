"""The quote (电费试算) API: price one case with the shipped tariff catalog and no database, the
JSON in and out exactly that of ``m2c bill quote --input FILE --json``. JSON numbers are read as
exact decimals, never binary floats; a case with problems is refused (422) naming each."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from meter2cash.billing.catalog_files import bundled_catalog, find_version
from meter2cash.billing.pf_tables import official_tables
from meter2cash.billing.quote import quote
from meter2cash.billing.tariff import Tariff
from meter2cash.interfaces.web.api.deps import BillReader
from meter2cash.interfaces.web.api.schemas_quote import QUOTE_CASE_SCHEMA, QuoteOut
from meter2cash.platform.errors import InputRefused, Problem
from meter2cash.platform.i18n import gettext as _

router = APIRouter(tags=["billing"])
MAX_CASE_BYTES = 1_000_000


async def quote_case(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, numbers as `Decimal`; refused when it is not one."""
    if "json" not in request.headers.get("content-type", "application/json"):
        raise InputRefused(_("Send the case as JSON (Content-Type: application/json)."))
    raw = await request.body()
    if len(raw) > MAX_CASE_BYTES:
        raise InputRefused(_("The case is larger than {size} bytes").format(size=MAX_CASE_BYTES))
    try:
        data = json.loads(raw, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise InputRefused(
            _("The request body is not valid JSON"), [Problem(reason=error.msg, row=error.lineno)]
        ) from None
    except (UnicodeDecodeError, RecursionError):
        raise InputRefused(_("The request body is not valid JSON")) from None
    if not isinstance(data, dict):
        raise InputRefused(_("The case must be a JSON object"))
    return data


def _resolve(code: str, on: date) -> Tariff | None:
    return find_version(tariffs=bundled_catalog(), code=code, on=on)


@router.post(
    "/quotes",
    response_model=QuoteOut,
    summary="Price one case (电费试算)",
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": QUOTE_CASE_SCHEMA}}}
    },
)
def price_quote(who: BillReader, case: Annotated[dict[str, Any], Depends(quote_case)]) -> dict[str, object]:
    """The case of docs/billing.md priced line by line with the shipped catalog, as ``m2c bill quote
    --json`` prints it. Nothing is stored."""
    try:
        return quote(data=case, resolve=_resolve, pf_tables=official_tables()).as_json()
    except ArithmeticError:  # e.g. decimal.InvalidOperation: a number beyond exact arithmetic
        raise InputRefused(_("A number in the case is too large to price exactly.")) from None
