"""``m2c bill quote --input FILE [--catalog FILE] --json``: price one documented JSON case
(电费试算) with no database. A tariff given by code is looked up in the shipped catalog, or in
``--catalog``. ``--json`` prints the public contract of docs/billing.md::

    {"lines": [{"code", "label", "quantity", "unit", "unit_price", "amount", "rule",
                "tariff_version"}], "power_factor": "0.80", "pf_adjustment_percent": "5.0",
     "total": "..."}
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import typer
from rich.table import Table

from meter2cash.billing.catalog_files import bundled_catalog, find_version, read_catalog
from meter2cash.billing.pf_tables import official_tables
from meter2cash.billing.quote import quote
from meter2cash.billing.tariff import Tariff
from meter2cash.interfaces.cli.common import JsonFlag, cli_errors, console, print_json
from meter2cash.platform.errors import InputRefused, Problem
from meter2cash.platform.i18n import gettext as _


def bill_quote(
    input_file: Path = typer.Option(..., "--input", help="JSON case (docs/billing.md)."),
    catalog: Path | None = typer.Option(
        None, "--catalog", help="Tariff catalog YAML; the shipped one by default."
    ),
    as_json: bool = JsonFlag,
) -> None:
    """电费试算 Price one case from a JSON file, without a database."""
    with cli_errors(as_json=as_json):
        data = read_case(input_file)
        tariffs = read_catalog(path=catalog) if catalog is not None else bundled_catalog()

        def resolve(code: str, on: date) -> Tariff | None:
            return find_version(tariffs=tariffs, code=code, on=on)

        bill = quote(data=data, resolve=resolve, pf_tables=official_tables())
    if as_json:
        print_json(bill.as_json())
        return
    table = Table(title=_("Quote"), show_lines=False)
    for heading in (_("Code"), _("Item"), _("Quantity"), _("Unit"), _("Unit price"), _("Amount"), _("Rule")):
        table.add_column(heading)
    for line in bill.lines:
        shown = line.as_json()
        table.add_row(
            shown["code"],
            line.label,
            shown["quantity"],
            line.unit,
            line.unit_price,
            shown["amount"],
            line.rule,
        )
    console.print(table)
    if bill.power_factor is not None:
        console.print(_("Power factor {pf}").format(pf=bill.power_factor), highlight=False)
    console.print(_("Total {total} yuan").format(total=bill.total), highlight=False)


def read_case(path: Path) -> dict[str, object]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputRefused(_("Cannot read {path}: {error}").format(path=path, error=error.strerror)) from None
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise InputRefused(
            _("The file is not valid JSON"), [Problem(reason=error.msg, row=error.lineno)]
        ) from None
    if not isinstance(data, dict):
        raise InputRefused(_("The case must be a JSON object"))
    return data
