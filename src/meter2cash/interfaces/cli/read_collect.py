"""``m2c read collect``: collect a period's unread meters over DL/T 645 (自动抄表) and store their
readings, checked like every reading. ``--json`` prints `CollectionReport.as_dict`
(documented in docs/dlt645.md)."""

from __future__ import annotations

import typer
from rich.table import Table

from meter2cash.interfaces.cli.common import (
    AsUser,
    JsonFlag,
    cli_errors,
    console,
    context,
    print_json,
    progress_bar,
)
from meter2cash.interfaces.cli.read_probe import ERROR_TEXT
from meter2cash.platform.i18n import gettext as _
from meter2cash.reading.collect import ErrorKind
from meter2cash.reading.collection_run import REFUSED, CollectionReport, collect_period

FAILURES_SHOWN = 20


def read_collect(
    period: str = typer.Option(..., "--period", help="Reading period YYYY-MM, e.g. 2026-11."),
    book: str | None = typer.Option(None, "--book", help="Route book code (抄表段); all books when omitted."),
    concurrency: int = typer.Option(64, "--concurrency", min=1, max=1024, help="Gateways read at once."),
    timeout: float = typer.Option(2.0, "--timeout", min=0.05, help="Seconds to wait for each reply."),
    retries: int = typer.Option(2, "--retries", min=0, max=10, help="Tries after the first failed one."),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """自动抄表 Collect the period's unread meters over DL/T 645 through their gateways."""
    with cli_errors(as_json=as_json), progress_bar(_("Collecting"), hidden=as_json) as advance:
        report = collect_period(
            context(),
            actor=as_user or "",
            period=period,
            route_book=book,
            concurrency=concurrency,
            timeout_s=timeout,
            retries=retries,
            on_progress=advance,
        )
    if as_json:
        print_json(report.as_dict())
        return
    show(report)


def reason(kind: str) -> str:
    """A failure kind in words (Chinese first)."""
    if kind == REFUSED:
        return _("reading refused by the archive checks")
    try:
        return _(ERROR_TEXT[ErrorKind(kind)])
    except ValueError:
        return kind


def show(report: CollectionReport) -> None:
    book = report.route_book or "*"
    if report.batch_id is None:
        console.print(
            _(
                "Nothing to collect for {period} ({book}): no unread meter with a gateway is due today."
            ).format(period=report.period, book=book),
            highlight=False,
        )
    else:
        console.print(
            _(
                "Collection {period} ({book}), batch {batch}: {attempted} meters tried, "
                "{collected} collected, {failed} failed ({first_try} on the first try), {rate} meters/s"
            ).format(
                period=report.period,
                book=book,
                batch=report.batch_id,
                attempted=report.attempted,
                collected=report.collected,
                failed=report.failed,
                first_try=report.first_try,
                rate=report.meters_per_second,
            ),
            highlight=False,
        )
        console.print(
            _(
                "{stored} readings stored ({billable} billable, {held} held back); "
                "{exceptions} exceptions opened"
            ).format(
                stored=report.stored, billable=report.billable, held=report.held, exceptions=report.exceptions
            ),
            highlight=False,
        )
    if report.failed_by_kind:
        shown = ", ".join(f"{reason(kind)} {count}" for kind, count in report.failed_by_kind.items())
        console.print(_("Failed by reason: {reasons}").format(reasons=shown), highlight=False)
    if report.findings_by_code:
        shown = ", ".join(f"{code} {count}" for code, count in report.findings_by_code.items())
        console.print(_("Findings by code: {codes}").format(codes=shown), highlight=False)
    if report.no_endpoint or report.not_due or report.window_closed:
        console.print(
            _(
                "Not tried: {no_endpoint} without a gateway endpoint, {not_due} not due yet, "
                "{closed} with the reading window closed"
            ).format(no_endpoint=report.no_endpoint, not_due=report.not_due, closed=report.window_closed),
            highlight=False,
        )
    if report.failures:
        table = Table(_("Meter"), _("Address"), _("Gateway"), _("Reason"), _("Attempts"), _("Detail"))
        for failure in report.failures[:FAILURES_SHOWN]:
            table.add_row(
                failure.meter_no,
                failure.address,
                failure.endpoint,
                reason(failure.error_kind),
                str(failure.attempts),
                failure.detail,
            )
        console.print(table)
        if len(report.failures) > FAILURES_SHOWN:
            console.print(
                _("… and {count} more failed meters (see --json)").format(
                    count=len(report.failures) - FAILURES_SHOWN
                ),
                highlight=False,
            )
