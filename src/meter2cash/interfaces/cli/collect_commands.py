"""``m2c collect``: collection (收费).

``m2c collect late-fee --input FILE [--policy FILE] [--json]`` prices the late payment penalty
(电费违约金) of one documented JSON case with no database (docs/collection.md). The rates are
those of the shipped policy file (``collection/data/late_fee_policy.yaml``), or of ``--policy``.
``--json`` prints the public contract, every number a decimal string::

    {"total": "...", "items": [{"bill", "amount", "days", "fee", "rule"}]}

A case with problems exits 3 naming each (``{"error": "input_refused", …}`` with ``--json``).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from meter2cash.collection.late_fee_case import late_fees_json, quote_late_fees
from meter2cash.collection.late_fee_policy import LateFeePolicy, bundled_late_fee_policy, policy_from_yaml
from meter2cash.interfaces.cli import (
    collect_bank_commands,
    collect_disconnect_commands,
    collect_dunning_commands,
    collect_ledger_commands,
    collect_prepaid_commands,
)
from meter2cash.interfaces.cli.bill_quote import read_case
from meter2cash.interfaces.cli.common import JsonFlag, cli_errors, console, print_json
from meter2cash.platform.errors import InputRefused
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.money import fen_text

app = typer.Typer(help="Collection (收费): payments, the ledger, late fees.", no_args_is_help=True)


@app.command("late-fee")
def late_fee(
    input_file: Path = typer.Option(..., "--input", help="JSON case (docs/collection.md)."),
    policy_file: Path | None = typer.Option(
        None, "--policy", help="Late-fee policy YAML; the shipped one by default."
    ),
    as_json: bool = JsonFlag,
) -> None:
    """电费违约金试算 Price the late fees of one case from a JSON file, without a database."""
    with cli_errors(as_json=as_json):
        data = read_case(input_file)
        policy = _policy(policy_file)
        fees = quote_late_fees(data=data, policy=policy)
    if as_json:
        print_json(late_fees_json(fees))
        return
    table = Table(title=_("Late fees"), show_lines=False)
    for heading in (_("Bill"), _("Overdue amount"), _("Days overdue"), _("Late fee"), _("Rule")):
        table.add_column(heading)
    for item in fees.items:
        table.add_row(item.bill, fen_text(item.amount), str(item.days), fen_text(item.fee), item.rule)
    console.print(table)
    if fees.minimum_applied:
        note = _("The fees add up to {sum} yuan, under the minimum: {minimum} yuan is charged")
        console.print(
            note.format(sum=fen_text(fees.items_total), minimum=fen_text(fees.total)), highlight=False
        )
    console.print(_("Total {total} yuan").format(total=fen_text(fees.total)), highlight=False)


def _policy(path: Path | None) -> LateFeePolicy:
    if path is None:
        return bundled_late_fee_policy()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputRefused(_("Cannot read {path}: {error}").format(path=path, error=error.strerror)) from None
    return policy_from_yaml(text=text, source=str(path))


collect_ledger_commands.register(app)
collect_prepaid_commands.register(app)
collect_bank_commands.register(app)
collect_dunning_commands.register(app)
collect_disconnect_commands.register(app)
