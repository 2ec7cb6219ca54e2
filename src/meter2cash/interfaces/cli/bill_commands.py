"""``m2c bill``: billing (核算) calculators.

``m2c bill pf-adjustment --standard 0.90 --kwh 40000 --kvarh 30000 --json`` prints the month's
power factor and the adjustment percentage of the standard's table (力调电费, 〔83〕水电财字第215号,
see docs/power-factor.md). ``--json`` prints the public contract, one line, decimal strings::

    {"power_factor": "0.80", "percent": "5.0"}

Bad input (an unknown standard, an energy that is not a number or is negative, no energy at all)
exits with code 2 (wrong usage) after a clear message, or ``{"error": "bad_input", "message": …}``
with ``--json``.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from typing import NoReturn

import typer

from meter2cash.billing.pf_tables import NOT_ASSESSED, UnknownPowerFactorStandard, table_for
from meter2cash.billing.power_factor import adjustment_percent, percent_text, power_factor
from meter2cash.interfaces.cli import bill_correction_commands
from meter2cash.interfaces.cli.bill_document_commands import bill_document
from meter2cash.interfaces.cli.bill_quote import bill_quote
from meter2cash.interfaces.cli.bill_review_commands import (
    bill_approve,
    bill_issue,
    bill_kpis_command,
    bill_queue,
    bill_reject,
    bill_review,
)
from meter2cash.interfaces.cli.bill_run_command import bill_run, bill_show, bill_summary
from meter2cash.interfaces.cli.common import JsonFlag, console, err_console, print_json
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.money import BadAmount, NotExact, exact

EXIT_USAGE = 2  # wrong usage, as click reports it (docs/cli.md, exit codes)

app = typer.Typer(help="Billing (核算) calculators.", no_args_is_help=True)


@app.command("pf-adjustment")
def pf_adjustment(
    standard: str = typer.Option(..., "--standard", help="力率考核标准: 0.90, 0.85 or 0.80."),
    kwh: str = typer.Option(..., "--kwh", help="Active energy of the month, kWh."),
    kvarh: str = typer.Option(..., "--kvarh", help="Reactive energy of the month, kvarh (its magnitude)."),
    as_json: bool = JsonFlag,
) -> None:
    """力调电费 Power-factor adjustment: cos φ of the month and the table's percentage."""
    try:
        table = table_for(standard=standard)
    except UnknownPowerFactorStandard:
        if standard.strip().lower() == NOT_ASSESSED:
            _bad_input(
                _("The standard none means the account is not assessed: no power-factor adjustment applies."),
                as_json=as_json,
            )
        _bad_input(
            _("There is no power-factor table for the standard {standard}: use 0.90, 0.85 or 0.80.").format(
                standard=standard
            ),
            as_json=as_json,
        )
    active = _energy(kwh, option="--kwh", as_json=as_json)
    reactive = _energy(kvarh, option="--kvarh", as_json=as_json)
    cos_phi = power_factor(kwh=active, kvarh=reactive)
    if cos_phi is None:
        _bad_input(_("Both kWh and kvarh are zero: there is no power factor to assess."), as_json=as_json)
    percent = adjustment_percent(table=table, power_factor=cos_phi)
    if as_json:
        sys.stdout.write(json.dumps(pf_contract(cos_phi, percent), ensure_ascii=False) + "\n")
        return
    line = _("Power factor {power_factor}, standard {standard}, adjustment {percent}% ({effect})")
    console.print(
        line.format(
            power_factor=cos_phi, standard=table.standard, percent=_signed(percent), effect=_effect(percent)
        ),
        highlight=False,
    )


def pf_contract(cos_phi: Decimal, percent: Decimal) -> dict[str, str]:
    """The public JSON shape of ``m2c bill pf-adjustment --json``."""
    return {"power_factor": str(cos_phi), "percent": percent_text(percent)}


def _energy(text: str, *, option: str, as_json: bool) -> Decimal:
    try:
        value = exact(text)
    except (BadAmount, NotExact):
        value = None
    if value is None or value < 0:
        _bad_input(
            _("{option} must be a number of zero or more, got {value}").format(option=option, value=text),
            as_json=as_json,
        )
    return value


def _signed(percent: Decimal) -> str:
    text = percent_text(percent)
    return f"+{text}" if percent > 0 else text


def _effect(percent: Decimal) -> str:
    if percent > 0:
        return _("surcharge")
    if percent < 0:
        return _("reduction")
    return _("no adjustment")


def _bad_input(message: str, *, as_json: bool) -> NoReturn:
    if as_json:
        print_json({"error": "bad_input", "message": message})
    else:
        err_console.print(message, style="bold red", markup=False, highlight=False)
    raise typer.Exit(EXIT_USAGE)


app.command("quote")(bill_quote)
app.command("run")(bill_run)
app.command("summary")(bill_summary)
app.command("show")(bill_show)
app.command("correction-quote")(bill_correction_commands.bill_correction_quote)
app.command("document")(bill_document)
app.command("review")(bill_review)
app.command("queue")(bill_queue)
app.command("approve")(bill_approve)
app.command("reject")(bill_reject)
app.command("issue")(bill_issue)
app.command("kpis")(bill_kpis_command)
app.add_typer(bill_correction_commands.correction_app, name="correction")
