"""The official power-factor adjustment tables (〔83〕水电财字第215号), loaded from package data.

The tables live in ``billing/data/power_factor_tables.yaml`` as data, never in code; this module
reads that file once (`official_tables`, cached) and expands each table with
`meter2cash.billing.power_factor.build_table`, which refuses a table with a gap, an overlap or a
value out of range. `table_for` picks the table of an account's 力率考核标准.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib.resources import files
from types import MappingProxyType

import yaml

from meter2cash.billing.power_factor import BadPowerFactorTable, PowerFactorTable, build_table

DATA_PACKAGE = "meter2cash.billing"
DATA_FILE = ("data", "power_factor_tables.yaml")
NOT_ASSESSED = "none"  # the account's pf_standard when no power-factor adjustment applies


class UnknownPowerFactorStandard(ValueError):
    """No official power-factor table for the standard asked for."""


def official_tables() -> Mapping[str, PowerFactorTable]:
    """The three official tables keyed by standard ("0.90", "0.85", "0.80"), read once."""
    return _official_tables()


def table_for(*, standard: str) -> PowerFactorTable:
    """The official table of a 力率考核标准 ("0.90", "0.85" or "0.80"; "0.9" is read as "0.90").

    Raises `UnknownPowerFactorStandard` for any other value, including "none" (an account that is
    not assessed has no table: no adjustment applies to it).
    """
    tables = official_tables()
    key = _standard_key(standard)
    if key in tables:
        return tables[key]
    known = ", ".join(sorted(tables, reverse=True))
    if standard.strip().lower() == NOT_ASSESSED:
        raise UnknownPowerFactorStandard(
            f"the standard {standard!r} means the account is not assessed: no power-factor table applies"
            f" (tables exist for {known})"
        )
    raise UnknownPowerFactorStandard(f"no power-factor table for the standard {standard!r}; known: {known}")


@cache
def _official_tables() -> Mapping[str, PowerFactorTable]:
    resource = files(DATA_PACKAGE).joinpath(*DATA_FILE)
    return MappingProxyType(tables_from_yaml(resource.read_text(encoding="utf-8"), source=str(resource)))


def tables_from_yaml(text: str, *, source: str = "power-factor tables") -> dict[str, PowerFactorTable]:
    """Parse the data file's text (``tables: {standard: [segment, …]}``) into expanded tables."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise BadPowerFactorTable(f"{source} is not valid YAML: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("tables"), dict):
        raise BadPowerFactorTable(f"{source} must hold a mapping 'tables' of standard -> segments")
    tables: dict[str, PowerFactorTable] = {}
    for standard, segments in document["tables"].items():
        if not isinstance(standard, str):
            raise BadPowerFactorTable(f"{source}: the standard {standard!r} must be quoted text")
        if not isinstance(segments, list) or not all(isinstance(s, dict) for s in segments):
            raise BadPowerFactorTable(f"{source}: the table {standard!r} must be a list of segments")
        tables[standard] = build_table(standard=standard, segments=segments)
    if not tables:
        raise BadPowerFactorTable(f"{source} holds no tables")
    return tables


def _standard_key(standard: str) -> str:
    """Text such as "0.9" or " 0.90 " names the standard "0.90"; anything else is left as it is."""
    try:
        value = Decimal(standard.strip())
        rounded = value.quantize(Decimal("0.01"))
    except InvalidOperation:
        return standard
    return str(rounded) if rounded == value else standard
