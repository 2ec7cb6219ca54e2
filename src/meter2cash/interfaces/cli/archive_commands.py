"""``m2c archive``: import and export the archive (档案) — route books, areas, accounts, 定量定比 splits.

``m2c archive import FILE [--kind K] [--as USER] [--json]`` reads a .csv (UTF-8 or GBK) or .xlsx
file and imports it whole or not at all: a refused file exits 3 and lists each problem by row and
column. ``m2c archive export FILE --kind K [--as USER]`` writes the archive as a file that imports
again unchanged. The columns are documented in docs/archive-files.md.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from meter2cash.interfaces.cli.common import (
    AsUser,
    JsonFlag,
    cli_errors,
    console,
    context,
    err_console,
    print_json,
)
from meter2cash.registry.archive_export import export_archive
from meter2cash.registry.archive_files import read_archive_file
from meter2cash.registry.archive_import import ImportReport, import_archive_table, infer_archive_kind

app = typer.Typer(help="Archive import/export (档案导入导出).", no_args_is_help=True)

MAIN_TABLE = {
    "route-books": "route_book",
    "areas": "transformer_area",
    "accounts": "account",
    "energy-splits": "energy_split",
}


class Kind(StrEnum):
    ROUTE_BOOKS = "route-books"
    AREAS = "areas"
    ACCOUNTS = "accounts"
    ENERGY_SPLITS = "energy-splits"


@contextmanager
def _progress_bar(*, total: int, shown: bool) -> Iterator[Callable[[int], None]]:
    """A Rich progress bar on stderr: "checking" until the service reports rows written."""
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, disable=not shown) as bar:
        task = bar.add_task("校验 Checking", total=total)

        def update(done: int) -> None:
            bar.update(task, completed=done, description="写入 Writing")

        yield update


def _render(report: ImportReport, name: str) -> None:
    if report.already_imported:
        console.print(
            f"[yellow]已导入过 Already imported[/] {name} ({report.kind}) — 批次 batch "
            f"#{report.batch_id}: 未做任何改动 nothing changed.",
            highlight=False,
        )
        return
    unchanged = report.rows - report.created.get(MAIN_TABLE[report.kind], 0)
    console.print(
        f"[green]导入完成 Imported[/] {name} ({report.kind}): {report.rows} 行 rows, "
        f"批次 batch #{report.batch_id}",
        highlight=False,
    )
    created = ", ".join(f"{table} {count}" for table, count in report.created.items())
    console.print(f"  新建 created: {created}", highlight=False)
    console.print(f"  已存在且相同 unchanged: {unchanged}", highlight=False)


@app.command("import")
def archive_import(
    file: Annotated[
        Path,
        typer.Argument(
            help="A .csv (UTF-8 or GBK) or .xlsx file.", exists=True, dir_okay=False, readable=True
        ),
    ],
    kind: Annotated[
        Kind | None, typer.Option("--kind", help="Kind of file; inferred from the headers when omitted.")
    ] = None,
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """Import route books, areas or accounts; a file with any bad row is refused whole (exit 3)."""
    ctx = context()
    with cli_errors(as_json=as_json):
        table = read_archive_file(file)
        chosen = kind.value if kind else infer_archive_kind(table.headers)
        with _progress_bar(total=len(table.rows), shown=not as_json) as progress:
            report = import_archive_table(
                ctx, actor=as_user or "", kind=chosen, table=table, progress=progress
            )
    if as_json:
        print_json(dataclasses.asdict(report))
    else:
        _render(report, file.name)


@app.command("export")
def archive_export(
    file: Annotated[
        Path, typer.Argument(help="Where to write: .csv (UTF-8 with BOM) or .xlsx.", dir_okay=False)
    ],
    kind: Annotated[Kind, typer.Option("--kind", help="Kind of file to write.")],
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """Export the archive as a file that imports again unchanged (the export is audited)."""
    ctx = context()
    with cli_errors(as_json=as_json):
        rows = export_archive(ctx, actor=as_user or "", kind=kind.value, path=file)
    if as_json:
        print_json({"kind": kind.value, "file": str(file), "rows": rows})
    else:
        console.print(f"[green]导出完成 Exported[/] {rows} 行 rows ({kind.value}) → {file}", highlight=False)
