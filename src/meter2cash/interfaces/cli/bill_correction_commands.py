"""Corrections (退补) on the command line.

``m2c bill correction-quote --input FILE [--catalog FILE] --json`` computes the energy and money
to refund or back-bill for one documented JSON case (docs/corrections.md), with no database.
``--json`` prints the public contract, decimal strings::

    {"reason", "periods": [{"period", "billed_kwh", "corrected_kwh", "kwh_difference",
      "lines": [{"code", "label", "billed", "corrected", "difference"}], "money_difference"}],
     "kwh_difference", "money_difference", "rule"}

A case with errors exits 3 naming every problem (``{"error": "input_refused", …}`` with --json).

``m2c bill correction propose|approve|reject|list|show`` keep corrections of issued bills with
four-eyes approval (docs/corrections.md): ``propose --input FILE --account NO --bills ID,ID
[--reason TEXT] --as clerk``; ``approve ID --reason TEXT --as reviewer`` (issues the adjustment
bill and its receivable); ``reject ID --reason TEXT``; ``list [--account NO] [--state S]
[--json]``; ``show ID [--json]`` (the whole computation).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.table import Table

from meter2cash.billing.catalog_files import bundled_catalog, find_version, read_catalog
from meter2cash.billing.correction_quote import correction_quote
from meter2cash.billing.correction_service import (
    CorrectionView,
    correction_detail,
    decide_correction,
    list_corrections,
    propose_correction,
)
from meter2cash.billing.corrections import REASON_NAMES_ZH, CorrectionResult, Reason
from meter2cash.billing.pf_tables import official_tables
from meter2cash.billing.pricing import qty_text
from meter2cash.billing.tariff import Tariff
from meter2cash.interfaces.cli.bill_quote import read_case
from meter2cash.interfaces.cli.common import AsUser, JsonFlag, cli_errors, console, context, print_json
from meter2cash.platform.errors import InputRefused, Problem
from meter2cash.platform.i18n import gettext as _

CatalogOption = typer.Option(None, "--catalog", help="Tariff catalog YAML; the shipped one by default.")


def bill_correction_quote(
    input_file: Path = typer.Option(..., "--input", help="JSON correction case (docs/corrections.md)."),
    catalog: Path | None = CatalogOption,
    as_json: bool = JsonFlag,
) -> None:
    """退补试算 Compute a correction (refund or back-bill) from a JSON case, without a database."""
    with cli_errors(as_json=as_json):
        data = read_case(input_file)
        tariffs = read_catalog(path=catalog) if catalog is not None else bundled_catalog()

        def resolve(code: str, on: date) -> Tariff | None:
            return find_version(tariffs=tariffs, code=code, on=on)

        result = correction_quote(data=data, resolve=resolve, pf_tables=official_tables())
    if as_json:
        print_json(result.as_json())
        return
    show_result(result)


def show_result(result: CorrectionResult) -> None:
    """A correction as tables, one per period, Chinese first."""
    console.print(
        _("Correction: {reason}").format(reason=f"{REASON_NAMES_ZH[result.reason]} {result.reason.value}"),
        highlight=False,
    )
    console.print(result.rule, highlight=False, markup=False)
    for period in result.periods:
        table = Table(
            _("Code"),
            _("Item"),
            _("Billed"),
            _("Corrected"),
            _("Difference"),
            title=_("Period {period}: {billed} kWh billed, {corrected} kWh corrected").format(
                period=period.label,
                billed=qty_text(period.billed_kwh),
                corrected=qty_text(period.corrected_kwh),
            ),
        )
        for line in period.lines:
            table.add_row(line.code, line.label, str(line.billed), str(line.corrected), str(line.difference))
        table.add_row("", _("Total"), "", "", str(period.money_difference))
        console.print(table)
    money = result.money_difference
    verdict = _("back-bill") if money > 0 else _("refund") if money < 0 else _("nothing to settle")
    console.print(
        _("Energy difference {kwh} kWh, money difference {money} yuan ({verdict})").format(
            kwh=qty_text(result.kwh_difference), money=money, verdict=verdict
        ),
        highlight=False,
    )


# ---------------------------------------------------------------------------------------------
# Stored corrections: propose, approve or reject (four eyes), list, show

correction_app = typer.Typer(
    help="退补 Corrections of issued bills, with four-eyes approval.", no_args_is_help=True
)


def _bill_ids(text: str) -> list[int]:
    ids: list[int] = []
    problems: list[Problem] = []
    for part in (p.strip() for p in text.split(",")):
        if part.isdigit():
            ids.append(int(part))
        elif part:
            problems.append(Problem(column="--bills", value=part, reason="账单号应为整数 a bill id"))
    if problems or not ids:
        raise InputRefused(
            _("The correction was refused"), problems or [Problem(column="--bills", reason="必填")]
        )
    return ids


def _show_view(view: CorrectionView) -> None:
    console.print(
        _(
            "Correction {id} of account {account}: {reason}, {start} to {end}, "
            "{kwh} kWh, {money} yuan, {state}"
        ).format(
            id=view.id,
            account=view.account_no,
            reason=view.reason,
            start=view.period_from,
            end=view.period_to,
            kwh=f"{view.kwh_difference.normalize():f}",
            money=view.money_difference,
            state=view.state,
        ),
        highlight=False,
        markup=False,
    )
    if view.adjustment_bill_no:
        console.print(_("Adjustment bill {no}").format(no=view.adjustment_bill_no), highlight=False)


@correction_app.command("propose")
def correction_propose(
    input_file: Path = typer.Option(..., "--input", help="JSON correction case (docs/corrections.md)."),
    account: str = typer.Option(..., "--account", help="Account number (户号)."),
    bills: str = typer.Option(..., "--bills", help="The issued bills it corrects: ids, comma-separated."),
    reason: str = typer.Option("", "--reason", help="Why (shown to the reviewer)."),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """退补申请 Propose a correction of issued bills; a second person approves it."""
    with cli_errors(as_json=as_json):
        view = propose_correction(
            context(),
            actor=as_user,
            account_no=account,
            case=read_case(input_file),
            bill_ids=_bill_ids(bills),
            reason_text=reason,
        )
    if as_json:
        print_json(view.as_json())
        return
    _show_view(view)


def _decide(correction_id: int, *, approve: bool, reason: str, as_user: str | None, as_json: bool) -> None:
    with cli_errors(as_json=as_json):
        view = decide_correction(
            context(), actor=as_user, correction_id=correction_id, approve=approve, reason=reason
        )
    if as_json:
        print_json(view.as_json())
        return
    _show_view(view)


@correction_app.command("approve")
def correction_approve(
    correction_id: int = typer.Argument(..., help="Correction id."),
    reason: str = typer.Option(..., "--reason", help="Why it is approved."),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """退补审批 Approve a correction: issues its adjustment bill and receivable (not the proposer)."""
    _decide(correction_id, approve=True, reason=reason, as_user=as_user, as_json=as_json)


@correction_app.command("reject")
def correction_reject(
    correction_id: int = typer.Argument(..., help="Correction id."),
    reason: str = typer.Option(..., "--reason", help="Why it is rejected."),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """退补驳回 Reject a correction (not the proposer)."""
    _decide(correction_id, approve=False, reason=reason, as_user=as_user, as_json=as_json)


@correction_app.command("list")
def correction_list(
    account: str | None = typer.Option(None, "--account", help="One account's corrections."),
    state: str | None = typer.Option(None, "--state", help="proposed, approved or rejected."),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """退补清单 Corrections, newest first."""
    with cli_errors(as_json=as_json):
        views = list_corrections(context(), actor=as_user, account_no=account, state=state)
    if as_json:
        print_json([v.as_json() for v in views])
        return
    table = Table(
        _("Id"),
        _("Account"),
        _("Reason"),
        _("Period"),
        _("kWh"),
        _("Amount (yuan)"),
        _("State"),
        _("Proposed by"),
        _("Decided by"),
        title=_("Corrections"),
    )
    for v in views:
        table.add_row(
            str(v.id),
            v.account_no,
            f"{REASON_NAMES_ZH[Reason(v.reason)]} {v.reason}",
            f"{v.period_from}–{v.period_to}",
            f"{v.kwh_difference.normalize():f}",
            str(v.money_difference),
            v.state,
            v.proposed_by,
            v.decided_by or "",
        )
    console.print(table)


@correction_app.command("show")
def correction_show(
    correction_id: int = typer.Argument(..., help="Correction id."),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """退补详情 One correction with its whole computation."""
    with cli_errors(as_json=as_json):
        detail = correction_detail(context(), actor=as_user, correction_id=correction_id)
    if as_json:
        print_json(detail)
        return
    console.print_json(data=detail)
