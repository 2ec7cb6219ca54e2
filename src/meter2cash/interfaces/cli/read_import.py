"""``m2c read import FILE``: import a reading file (抄表文件) from a handheld terminal (抄表机) or a
collection-system export — .csv (UTF-8 or GBK) or .xlsx; columns in docs/reading-files.md."""

from __future__ import annotations

from pathlib import Path

import typer

from meter2cash.interfaces.cli.common import AsUser, JsonFlag, cli_errors, console, context, print_json
from meter2cash.platform.i18n import gettext as _
from meter2cash.reading.file_import import import_reading_file
from meter2cash.reading.intake import IntakeReport

ReadingFileArgument = typer.Argument(
    ..., help="Reading file: .csv (UTF-8 or GBK) or .xlsx (docs/reading-files.md)."
)


def read_import(
    file: Path = ReadingFileArgument, as_user: str | None = AsUser, as_json: bool = JsonFlag
) -> None:
    """导入抄表文件 Import a reading file; every reading is checked (VEE), a bad row refuses the file."""
    with cli_errors(as_json=as_json):
        report = import_reading_file(context(), actor=as_user or "", path=file)
    if as_json:
        print_json(report_document(report, file=file))
        return
    if report.already_imported:
        console.print(
            _("{file}: already imported (batch {batch}); nothing changed").format(
                file=file.name, batch=report.batch_id
            ),
            highlight=False,
        )
        return
    console.print(
        _(
            "{file}: batch {batch}, {received} rows: {stored} readings stored ({billable} billable, "
            "{held} held back), {already} stored already; {exceptions} exceptions opened"
        ).format(
            file=file.name,
            batch=report.batch_id,
            received=report.received,
            stored=report.stored,
            billable=report.billable,
            held=report.held,
            already=report.already_stored,
            exceptions=report.exceptions,
        ),
        highlight=False,
    )
    if report.findings_by_code:
        shown = ", ".join(f"{code} {count}" for code, count in report.findings_by_code.items())
        console.print(_("Findings by code: {codes}").format(codes=shown), highlight=False)


def report_document(report: IntakeReport, *, file: Path) -> dict[str, object]:
    """The ``--json`` output (documented in docs/reading-files.md)."""
    return {
        "file": file.name,
        "batch_id": report.batch_id,
        "already_imported": report.already_imported,
        "received": report.received,
        "stored": report.stored,
        "billable": report.billable,
        "held": report.held,
        "already_stored": report.already_stored,
        "exceptions": report.exceptions,
        "findings_by_code": report.findings_by_code,
    }
