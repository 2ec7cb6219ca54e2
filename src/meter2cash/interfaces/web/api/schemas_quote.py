"""Schemas of the quote (电费试算) API: the case of ``m2c bill quote --input FILE`` and the result
of its ``--json`` (docs/billing.md, a public contract). The case is documented here as a JSON
schema and read by the route itself, so JSON numbers reach the engine as exact decimals."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from meter2cash.billing.tariff import BasicChargeBy, TouPeriod
from meter2cash.registry.codes import CustomerCategory

_DECIMAL: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$"},
        {"type": "number", "minimum": 0},
    ],
    "description": "A decimal string (preferred) or a JSON number, read exactly.",
}
_ENERGY: dict[str, Any] = {
    "anyOf": [
        _DECIMAL,
        {
            "type": "object",
            "properties": {"total": _DECIMAL} | {p.value: _DECIMAL for p in TouPeriod},
            "additionalProperties": False,
        },
    ],
    "description": "kWh: the total, the time-of-use periods, or both (平 is then total − the others).",
}
_DAY: dict[str, Any] = {"type": "string", "format": "date"}
_TARIFF: dict[str, Any] = {
    "anyOf": [{"type": "string"}, {"type": "object"}],
    "description": "A catalog code, or an inline tariff object in the catalog schema.",
}

QUOTE_CASE_SCHEMA: dict[str, Any] = {
    "title": "QuoteCase",
    "type": "object",
    "required": ["tariff", "period", "usage"],
    "properties": {
        "tariff": _TARIFF,
        "period": {
            "type": "object",
            "required": ["start", "end"],
            "properties": {"start": _DAY, "end": _DAY},
            "description": "``end`` is exclusive.",
        },
        "customer": {
            "type": "object",
            "properties": {
                "category": {"type": "string", "enum": [c.value for c in CustomerCategory]},
                "capacity_kva": _DECIMAL,
                "pf_standard": {"type": "string", "enum": ["0.90", "0.85", "0.80", "none"]},
                "basic_charge_by": {"type": "string", "enum": [b.value for b in BasicChargeBy]},
                "contract_demand_kw": _DECIMAL,
                "low_income": {"type": "boolean"},
                "basic_days": {"type": "integer", "minimum": 0, "maximum": 31},
            },
        },
        "usage": {
            "type": "object",
            "required": ["kwh"],
            "properties": {
                "kwh": _ENERGY,
                "kvarh": _DECIMAL,
                "max_demand_kw": _DECIMAL,
                "year_to_date_kwh": _DECIMAL,
            },
        },
        "losses": {
            "type": "object",
            "properties": {"transformer_kwh": _DECIMAL, "transformer_kvarh": _DECIMAL, "line_kwh": _DECIMAL},
        },
        "submeters": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["kwh"],
                "properties": {"id": {"type": "string"}, "kwh": _ENERGY, "tariff": _TARIFF},
            },
        },
        "fixed_split": {
            "type": "object",
            "required": ["tariff"],
            "properties": {"tariff": _TARIFF, "kwh": _DECIMAL, "ratio": _DECIMAL},
        },
    },
}


class QuoteLineOut(BaseModel):
    code: str
    label: str
    quantity: str
    unit: str
    unit_price: str
    amount: str
    rule: str
    tariff_version: str


class QuoteOut(BaseModel):
    """The priced case: lines, the power factor and its adjustment (null when none applies), and
    the total — every number a decimal string."""

    lines: list[QuoteLineOut]
    power_factor: str | None
    pf_adjustment_percent: str | None
    total: str
