"""The quote tool's input: the form for the common case turned into the documented JSON case of
``m2c bill quote`` (docs/billing.md), or the JSON itself pasted in. Nothing is checked here that
``billing.quote.parse_case`` checks: it names every problem of the case at once."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from meter2cash.platform.errors import InputRefused, Problem
from meter2cash.platform.i18n import gettext as _

USAGE_PERIODS = ("sharp", "peak", "valley", "deep_valley")  # 平 is what is left of the total
CUSTOMER_NUMBERS = ("capacity_kva", "contract_demand_kw")
USAGE_NUMBERS = ("kvarh", "max_demand_kw", "year_to_date_kwh")
LOSSES = ("transformer_kwh", "transformer_kvarh", "line_kwh")

EXAMPLE_CASE = """{"tariff": "MX-LI-10KV",
 "period": {"start": "2026-06-01", "end": "2026-07-01"},
 "customer": {"category": "large_industry", "capacity_kva": 1000, "pf_standard": "0.90",
              "basic_charge_by": "contract_demand", "contract_demand_kw": 600},
 "usage": {"kwh": {"total": "40000", "peak": "12000", "valley": "10000"},
           "kvarh": "30000", "max_demand_kw": "650"}}"""


Text = Field(default="", max_length=40)


class QuoteForm(BaseModel):
    """What the clerk typed in the form, as text; kept to show the form again."""

    tariff: str = Text
    start: str = Text
    end: str = Text
    category: str = Text
    kwh: str = Text
    sharp: str = Text
    peak: str = Text
    valley: str = Text
    deep_valley: str = Text
    kvarh: str = Text
    max_demand_kw: str = Text
    year_to_date_kwh: str = Text
    capacity_kva: str = Text
    contract_demand_kw: str = Text
    basic_charge_by: str = Text
    basic_days: str = Text
    pf_standard: str = Text
    low_income: bool = False
    transformer_kwh: str = Text
    transformer_kvarh: str = Text
    line_kwh: str = Text

    def case(self) -> dict[str, Any]:
        """The JSON case of the form: empty fields left out, as a clerk would leave out keys."""
        energy = {"total": self.kwh.strip()} if self.kwh.strip() else {}
        energy |= {p: getattr(self, p).strip() for p in USAGE_PERIODS if getattr(self, p).strip()}
        usage: dict[str, Any] = {"kwh": energy}
        usage |= {k: getattr(self, k).strip() for k in USAGE_NUMBERS if getattr(self, k).strip()}
        customer: dict[str, Any] = {
            k: getattr(self, k).strip() for k in CUSTOMER_NUMBERS if getattr(self, k).strip()
        }
        for key in ("category", "basic_charge_by", "pf_standard"):
            if getattr(self, key).strip():
                customer[key] = getattr(self, key).strip()
        days = self.basic_days.strip()
        if days:
            customer["basic_days"] = int(days) if days.isdigit() else days
        if self.low_income:
            customer["low_income"] = True
        case: dict[str, Any] = {
            "tariff": self.tariff.strip(),
            "period": {"start": self.start.strip(), "end": self.end.strip()},
            "customer": customer,
            "usage": usage,
        }
        losses = {k: getattr(self, k).strip() for k in LOSSES if getattr(self, k).strip()}
        if losses:
            case["losses"] = losses
        return case


def parse_json_case(text: str) -> dict[str, Any]:
    """A pasted JSON case, numbers read as exact decimals; refused when not a JSON object."""
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise InputRefused(
            _("The case is not valid JSON"), [Problem(reason=error.msg, row=error.lineno)]
        ) from None
    if not isinstance(data, dict):
        raise InputRefused(_("The case must be a JSON object"))
    return data
