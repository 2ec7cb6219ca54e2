"""``m2c read``: meter reading (抄表) — probe a meter, check readings."""

from __future__ import annotations

import typer

from meter2cash.interfaces.cli import read_cycle
from meter2cash.interfaces.cli.read_check import check
from meter2cash.interfaces.cli.read_collect import read_collect
from meter2cash.interfaces.cli.read_import import read_import
from meter2cash.interfaces.cli.read_probe import probe

app = typer.Typer(help="Meter reading (抄表).", no_args_is_help=True)
app.command("probe")(probe)
app.command("check")(check)
app.command("import")(read_import)
app.command("collect")(read_collect)
for _name, _command in read_cycle.COMMANDS.items():
    app.command(_name)(_command)
