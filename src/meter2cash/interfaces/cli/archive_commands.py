"""``m2c archive``: import and export the archive (档案)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Archive import/export (档案导入导出).", no_args_is_help=True)
