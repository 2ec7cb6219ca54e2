"""``m2c read``: meter reading (抄表) — probe a meter, check readings."""

from __future__ import annotations

import typer

app = typer.Typer(help="Meter reading (抄表).", no_args_is_help=True)
