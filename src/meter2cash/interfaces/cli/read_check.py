"""``m2c read check``: run the reading checks (抄表 VEE) on a meter and its readings from a JSON
file, and show the codes each reading raised with the reason. The file format is documented in
docs/vee.md; examples are in docs/examples/read-check/."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import typer
from rich.table import Table

from meter2cash.interfaces.cli.common import JsonFlag, cli_errors, console, print_json
from meter2cash.platform.errors import InputRefused, Problem
from meter2cash.platform.i18n import gettext as _
from meter2cash.reading.vee.check_input import check_document
from meter2cash.reading.vee.codes import Severity
from meter2cash.reading.vee.engine import CheckResult
from meter2cash.reading.vee.report import result_document
from meter2cash.reading.vee.wording import explain, title

SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "dim"}

InputFile = typer.Option(
    ..., "--input", "-i", help="JSON file: a meter, its history and readings (docs/vee.md)."
)


def check(input_file: Path = InputFile, as_json: bool = JsonFlag) -> None:
    """检查抄表示数 Check meter readings (VEE) and show the codes each reading raises."""
    with cli_errors(as_json=as_json):
        result = check_document(_load(input_file), translate=_)
    if as_json:
        print_json(result_document(result, explain=explain))
    else:
        _render(result)


def _load(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputRefused(
            _("cannot read the input file"), [Problem(error.strerror or str(error), value=str(path))]
        ) from None
    except UnicodeDecodeError:
        raise InputRefused(_("the input file is not UTF-8 text"), [Problem(str(path))]) from None
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_no_constant)
    except (json.JSONDecodeError, ValueError) as error:
        line = error.lineno if isinstance(error, json.JSONDecodeError) else None
        raise InputRefused(_("the input file is not valid JSON"), [Problem(str(error), row=line)]) from None


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number")


def _render(result: CheckResult) -> None:
    table = Table(title=_("Reading check of meter {meter_no}").format(meter_no=result.meter_no))
    for header in ("#", _("Read at"), _("kWh"), _("Code"), _("Severity"), _("Reason")):
        table.add_column(header, overflow="fold")
    for verdict in result.readings:
        kwh = "" if verdict.consumption_kwh is None else str(verdict.consumption_kwh)
        first = [str(verdict.index), verdict.read_at.isoformat(sep=" "), kwh]
        if not verdict.findings:
            table.add_row(*first, "", "", _("no findings"))
        for n, found in enumerate(verdict.findings):
            lead = first if n == 0 else ["", "", ""]
            table.add_row(
                *lead,
                f"{found.code.value}\n{title(found.code)}",
                _(found.severity.value),
                explain(found),
                style=SEVERITY_STYLE[found.severity],
            )
    for found in result.meter_findings:
        table.add_row(
            "-",
            "",
            "",
            f"{found.code.value}\n{title(found.code)}",
            _(found.severity.value),
            explain(found),
            style=SEVERITY_STYLE[found.severity],
        )
    console.print(table)
    by_severity = result.count_by_severity()
    summary = _(
        "{readings} readings, {billable} billable; {errors} errors, {warnings} warnings, {infos} notes"
    )
    billable = sum(1 for v in result.readings if v.billable)
    console.print(
        summary.format(
            readings=len(result.readings),
            billable=billable,
            errors=by_severity["error"],
            warnings=by_severity["warning"],
            infos=by_severity["info"],
        ),
        highlight=False,
    )
