"""Schemas of the tariff catalog (电价目录) API: the shapes of ``m2c tariff list --json`` and
``m2c tariff show --json`` (docs/tariffs.md). Prices are decimal strings inside ``tariff``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class TariffVersionOut(BaseModel):
    version: str
    code: str
    name: str
    category: str
    effective_from: str
    effective_to: str | None
    illustrative: bool
    sha256: str
    loaded_by: str
    loaded_at: str


class TariffVersionDetailOut(TariffVersionOut):
    """The version with its canonical tariff in the catalog file's schema: every price, TOU
    multiplier, fund and rule."""

    tariff: dict[str, Any]
