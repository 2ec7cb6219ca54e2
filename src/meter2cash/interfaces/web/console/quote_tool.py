"""The quote tool (电费试算): price one case as ``m2c bill quote`` does — from a form for the common
case, or from the documented JSON case pasted in — and show every line with the rule it was priced
by. Nothing is stored. Tariff codes are looked up in the catalog stored in the database, or in the
shipped catalog when none is stored."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import select

from meter2cash.billing.bills import Bill
from meter2cash.billing.catalog import stored_tariff
from meter2cash.billing.catalog_files import bundled_catalog, find_version
from meter2cash.billing.model import TariffVersion
from meter2cash.billing.pf_tables import official_tables
from meter2cash.billing.quote import quote
from meter2cash.billing.tariff import Tariff
from meter2cash.interfaces.web.auth import Principal, app_context, requires
from meter2cash.interfaces.web.console.pages import page, refusal_lines
from meter2cash.interfaces.web.console.quote_form import EXAMPLE_CASE, QuoteForm, parse_json_case
from meter2cash.platform.clock import business_date
from meter2cash.platform.context import AppContext
from meter2cash.platform.errors import InputRefused
from meter2cash.platform.permissions import Action

router = APIRouter()

CATEGORIES = ("residential", "general", "large_industry", "agriculture")
PF_STANDARDS = ("none", "0.90", "0.85", "0.80")
BASIC_CHARGE_BY = ("capacity", "contract_demand", "actual_demand")


@router.get("/quote")
def quote_page(request: Request, who: Annotated[Principal, Depends(requires(Action.BILL_READ))]) -> Response:
    """The empty form for last month, and the JSON example."""
    ctx = app_context(request)
    tariffs, stored = catalog(ctx)
    today = business_date(ctx.clock.now())
    first = today.replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    codes = _codes(tariffs)
    form = QuoteForm(tariff=codes[0] if codes else "", start=previous.isoformat(), end=first.isoformat())
    return _page(request, form=form, case_json=EXAMPLE_CASE, tariffs=tariffs, stored=stored)


@router.post("/quote")
def quote_from_form(
    request: Request,
    who: Annotated[Principal, Depends(requires(Action.BILL_READ))],
    form: Annotated[QuoteForm, Form()],
) -> Response:
    """Price the form's case."""
    tariffs, stored = catalog(app_context(request))
    try:
        bill = price(form.case(), tariffs)
    except InputRefused as refused:
        return _page(
            request, form=form, case_json=EXAMPLE_CASE, tariffs=tariffs, stored=stored, refused=refused
        )
    return _page(request, form=form, case_json=EXAMPLE_CASE, tariffs=tariffs, stored=stored, bill=bill)


@router.post("/quote/json")
def quote_from_json(
    request: Request,
    who: Annotated[Principal, Depends(requires(Action.BILL_READ))],
    case_json: Annotated[str, Form(max_length=100_000)],
) -> Response:
    """Price a pasted JSON case."""
    tariffs, stored = catalog(app_context(request))
    form = QuoteForm()
    try:
        bill = price(parse_json_case(case_json), tariffs)
    except InputRefused as refused:
        return _page(
            request,
            form=form,
            case_json=case_json,
            tariffs=tariffs,
            stored=stored,
            refused=refused,
            json_mode=True,
        )
    return _page(
        request, form=form, case_json=case_json, tariffs=tariffs, stored=stored, bill=bill, json_mode=True
    )


def catalog(ctx: AppContext) -> tuple[list[Tariff], bool]:
    """The tariffs a quote is priced with: the stored catalog (True), or the shipped one (False)."""
    with ctx.sessions() as session:
        stored = [stored_tariff(row) for row in session.scalars(select(TariffVersion))]
    return (stored, True) if stored else (bundled_catalog(), False)


def price(data: dict[str, Any], tariffs: list[Tariff]) -> Bill:
    """Price one case with ``tariffs`` (``billing.quote.quote``, as ``m2c bill quote``)."""

    def resolve(code: str, on: date) -> Tariff | None:
        return find_version(tariffs=tariffs, code=code, on=on)

    return quote(data=data, resolve=resolve, pf_tables=official_tables())


def _codes(tariffs: list[Tariff]) -> list[str]:
    return sorted({t.code for t in tariffs})


def _page(
    request: Request,
    *,
    form: QuoteForm,
    case_json: str,
    tariffs: list[Tariff],
    stored: bool,
    bill: Bill | None = None,
    refused: InputRefused | None = None,
    json_mode: bool = False,
) -> Response:
    names = {t.code: t.name for t in tariffs}
    return page(
        request,
        "console/quote.html",
        {
            "form": form,
            "case_json": case_json,
            "codes": [(code, names[code]) for code in _codes(tariffs)],
            "stored": stored,
            "bill": bill,
            "lines": [line.as_json() for line in bill.lines] if bill else [],
            "refusal": refusal_lines(refused) if refused else None,
            "json_mode": json_mode,
            "categories": CATEGORIES,
            "pf_standards": PF_STANDARDS,
            "basic_charge_by": BASIC_CHARGE_BY,
        },
        status=422 if refused else 200,
    )
