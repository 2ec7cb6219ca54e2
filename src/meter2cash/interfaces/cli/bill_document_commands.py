"""``m2c bill document --period P (--account NO | --route-book B) [--format pdf|html|both]
[--output DIR] [--json]``: write bills' 电费通知单 as PDF (CJK font embedded) and/or HTML and print
the files written. ``--json`` prints `DocumentReport.as_json` (docs/bill-documents.md).

Without the CJK font file the PDF is refused before anything is read (exit 6, with what to
install or set); HTML alone needs no font."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import typer

from meter2cash.billing.document_service import write_documents
from meter2cash.interfaces.cli.common import (
    AsUser,
    JsonFlag,
    cli_errors,
    console,
    context,
    err_console,
    print_json,
    progress_bar,
)
from meter2cash.platform.i18n import gettext as _

EXIT_USAGE = 2
FORMAT_CHOICES = {"pdf": ("pdf",), "html": ("html",), "both": ("pdf", "html")}


def bill_document(
    period: str = typer.Option(..., "--period", help="Billing period YYYY-MM."),
    account: str | None = typer.Option(None, "--account", help="One account (户号)."),
    route_book: str | None = typer.Option(
        None, "--route-book", help="Every bill of one route book (抄表段)."
    ),
    output_format: str = typer.Option("pdf", "--format", help="pdf, html or both."),
    output: Path | None = typer.Option(
        None, "--output", help="Folder to write to; default <data dir>/documents/<period>."
    ),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """电费通知单 Write bill documents (PDF with its Chinese font embedded, or HTML)."""
    if (account is None) == (route_book is None):
        _usage(_("Give either --account or --route-book."), as_json=as_json)
    formats = FORMAT_CHOICES.get(output_format)
    if formats is None:
        _usage(_("--format must be pdf, html or both."), as_json=as_json)
    ctx = context()
    out_dir = output if output is not None else ctx.settings.data_dir / "documents" / period
    quiet = as_json or account is not None
    with cli_errors(as_json=as_json), progress_bar(_("Writing bill documents"), hidden=quiet) as advance:
        report = write_documents(
            ctx,
            actor=as_user,
            period=period,
            route_book=route_book,
            account_no=account,
            out_dir=out_dir,
            formats=formats,
            progress=advance,
        )
    if as_json:
        print_json(report.as_json())
        return
    for path in report.files:
        console.print(str(path), highlight=False, markup=False, soft_wrap=True)
    console.print(
        _("{files} files written for {bills} bills of {period} in {folder}").format(
            files=len(report.files), bills=report.bills, period=report.period, folder=report.out_dir
        ),
        highlight=False,
        markup=False,
    )


def _usage(message: str, *, as_json: bool) -> NoReturn:
    if as_json:
        print_json({"error": "bad_input", "message": message})
    else:
        err_console.print(message, style="bold red", markup=False, highlight=False)
    raise typer.Exit(EXIT_USAGE)
