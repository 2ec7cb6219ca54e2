"""``m2c collect`` — bank withholding (银行代扣) and bank reconciliation (银行对账), docs/bank-files.md:

- ``agreements-import --file F``: record withholding agreements (代扣协议);
- ``bank-export --bank B [--on DAY] --out FILE``: write the debit file (代扣文件) for one bank;
- ``bank-import --file F [--bank B] [--paid-on DAY]``: post the bank's result file (代扣回盘);
- ``reconcile --file F [--kind statement|agent_settlement] [--bank B]``: reconcile a statement or a
  settlement file with the posted payments;
- ``reconcile-resolve --item ID --resolution R --note TEXT``: resolve one difference (supervisor);
- ``reconciliations [--run ID]``: the latest runs, or one run with its differences.

Every command takes ``--as USER`` and ``--json``; a refused file names every bad row and writes
nothing.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.table import Table

from meter2cash.collection.reconciliation_service import (
    KINDS,
    RunView,
    reconcile_file,
    reconciliation_run,
    reconciliation_runs,
    resolve_difference,
)
from meter2cash.collection.withholding_service import (
    export_debit_file,
    import_agreements,
    import_withholding_result,
)
from meter2cash.interfaces.cli.common import AsUser, JsonFlag, cli_errors, console, context, print_json
from meter2cash.platform.errors import InputRefused
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.money import fen_text


def register(app: typer.Typer) -> None:
    app.command("agreements-import")(agreements_import)
    app.command("bank-export")(bank_export)
    app.command("bank-import")(bank_import)
    app.command("reconcile")(reconcile)
    app.command("reconcile-resolve")(reconcile_resolve)
    app.command("reconciliations")(reconciliations)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputRefused(_("Cannot read {path}: {error}").format(path=path, error=error.strerror)) from None


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputRefused(_("A day is written YYYY-MM-DD: {text}").format(text=text)) from None


FileOption = typer.Option(..., "--file", help="The file: .csv (UTF-8 or GBK) or .xlsx.")


def agreements_import(
    file: Path = FileOption, as_user: str | None = AsUser, as_json: bool = JsonFlag
) -> None:
    """代扣协议 Record withholding agreements from a file; a bad row refuses the whole file."""
    with cli_errors(as_json=as_json):
        report = import_agreements(context(), actor=as_user, data=_read(file), filename=file.name)
    if as_json:
        print_json(report.as_json())
        return
    console.print(
        _("{file}: {added} agreements added, {ended} ended, {unchanged} unchanged").format(
            file=file.name, added=report.added, ended=report.ended, unchanged=report.unchanged
        ),
        highlight=False,
    )


def bank_export(
    bank: str = typer.Option(..., "--bank", help="The bank's code in the collection policy (ICBC …)."),
    on: str | None = typer.Option(
        None, "--on", help="YYYY-MM-DD: what is owed as of that day; today by default."
    ),
    out: Path = typer.Option(..., "--out", help="Where to write the debit file (.csv)."),
    gbk: bool = typer.Option(False, "--gbk", help="Write GBK instead of UTF-8 with BOM."),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """代扣文件 Write the debit file for one bank: every agreement account owing money."""
    with cli_errors(as_json=as_json):
        if out.exists():
            raise InputRefused(_("{path} already exists; name a new file.").format(path=out))
        export = export_debit_file(
            context(), actor=as_user, bank=bank, on=_day(on), encoding="gbk" if gbk else "utf-8-sig"
        )
        try:
            out.write_bytes(export.data)
        except OSError as error:
            raise InputRefused(
                _("Cannot write {path}: {error}").format(path=out, error=error.strerror)
            ) from None
    if as_json:
        print_json({**export.as_json(), "out": str(out)})
        return
    console.print(
        _("Debit file {batch} for {bank}: {rows} accounts, {total} yuan, written to {out}").format(
            batch=export.batch, bank=export.bank, rows=len(export.rows), total=fen_text(export.total), out=out
        ),
        highlight=False,
    )


def bank_import(
    file: Path = FileOption,
    bank: str | None = typer.Option(None, "--bank", help="The bank the debit file went to (checked)."),
    paid_on: str | None = typer.Option(
        None, "--paid-on", help="YYYY-MM-DD: the debits' day; today by default."
    ),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """代扣回盘 Post the succeeded debits of the bank's result file; list the failed ones."""
    with cli_errors(as_json=as_json):
        report = import_withholding_result(
            context(), actor=as_user, data=_read(file), filename=file.name, bank=bank, paid_on=_day(paid_on)
        )
    if as_json:
        print_json(report.as_json())
        return
    if report.already_imported:
        console.print(
            _("{file} was already imported; nothing was posted.").format(file=file.name), highlight=False
        )
    posted = report.payments.posted if report.payments else 0
    console.print(
        _(
            "Batch {batch}: {succeeded} debits succeeded ({amount} yuan), {posted} posted, {failed} failed"
        ).format(
            batch=report.batch,
            succeeded=report.succeeded,
            amount=fen_text(report.succeeded_amount),
            posted=posted,
            failed=len(report.failed),
        ),
        highlight=False,
    )
    for failed in report.failed:
        console.print(
            f"  {failed['reference']} {failed['account_no']} {failed['amount']}: {failed['reason']}"
        )


def _show_run(view: RunView) -> None:
    console.print(
        _("Reconciliation {id} ({kind}, {source}, {first} – {last}): {count} matched, {amount} yuan").format(
            id=view.id,
            kind=view.kind,
            source=view.source,
            first=view.first_day.isoformat(),
            last=view.last_day.isoformat(),
            count=view.matched_count,
            amount=fen_text(view.matched_amount),
        ),
        highlight=False,
    )
    if not view.items:
        console.print(_("No differences."))
        return
    table = Table(
        _("Item"), _("Difference"), _("Reference"), _("Account"), _("Bank"), _("Ledger"), _("State")
    )
    for item in view.items:
        table.add_row(
            str(item.id),
            item.kind,
            item.reference or "",
            item.account_no or "",
            fen_text(item.bank_amount) if item.bank_amount is not None else "",
            fen_text(item.ledger_amount) if item.ledger_amount is not None else "",
            item.resolution or item.state,
        )
    console.print(table)


def reconcile(
    file: Path = FileOption,
    kind: str | None = typer.Option(
        None, "--kind", help="statement or agent_settlement; told from the header by default."
    ),
    bank: str | None = typer.Option(
        None, "--bank", help="The statement's bank, when its batch lines do not tell."
    ),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """对账 Reconcile a bank statement or an agent's settlement file with the posted payments."""
    with cli_errors(as_json=as_json):
        if kind is not None and kind not in KINDS:
            raise InputRefused(_("The kind of file must be one of: {known}.").format(known=", ".join(KINDS)))
        view = reconcile_file(
            context(), actor=as_user, data=_read(file), filename=file.name, kind=kind, bank=bank
        )
    if as_json:
        print_json(view.as_json())
        return
    if view.already_imported:
        console.print(
            _("{file} was already reconciled; its run is shown.").format(file=file.name), highlight=False
        )
    _show_run(view)


def reconcile_resolve(
    item: int = typer.Option(
        ..., "--item", help="The difference's id (m2c collect reconciliations --run ID)."
    ),
    resolution: str = typer.Option(
        ...,
        "--resolution",
        help="post_missing_payment, reverse_payment, reverse_duplicate, mark_bank_error or accept_with_note.",
    ),
    note: str = typer.Option(..., "--note", help="Why: the bank's letter, a timing difference …"),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """差异处理 Resolve one reconciliation difference (supervisor), with a note."""
    with cli_errors(as_json=as_json):
        view = resolve_difference(context(), actor=as_user, item_id=item, resolution=resolution, note=note)
    if as_json:
        print_json(view.as_json())
        return
    console.print(
        _("Difference {id} resolved: {resolution}").format(id=view.id, resolution=view.resolution),
        highlight=False,
    )


def reconciliations(
    run: int | None = typer.Option(None, "--run", help="Show this run with its differences."),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """对账记录 The latest reconciliations, or one with its differences."""
    ctx = context()
    with cli_errors(as_json=as_json):
        if run is not None:
            view = reconciliation_run(ctx, actor=as_user, run_id=run)
            if as_json:
                print_json(view.as_json())
            else:
                _show_run(view)
            return
        runs = reconciliation_runs(ctx, actor=as_user)
    if as_json:
        print_json({"runs": [found.summary_json() for found in runs]})
        return
    table = Table(_("Run"), _("Kind"), _("Source"), _("File"), _("Matched"), _("Differences"), _("Open"))
    for found in runs:
        table.add_row(
            str(found.id),
            found.kind,
            found.source,
            found.file.filename,
            f"{found.matched_count} / {fen_text(found.matched_amount)}",
            str(len(found.items)),
            str(found.open_items),
        )
    console.print(table)
