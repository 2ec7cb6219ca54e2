"""``m2c bill run --period YYYY-MM [--route-book CODE] [--reprice] [--json]``: price every
account of the period whose determinants are closed into draft bills, with a progress bar.
``--json`` prints `RunReport.as_json` (docs/billing.md)."""

from __future__ import annotations

import typer
from rich.table import Table

from meter2cash.billing.bill_queries import bill_of, period_summary
from meter2cash.billing.bill_run import RunReport, run_bills
from meter2cash.interfaces.cli.common import (
    AsUser,
    JsonFlag,
    cli_errors,
    console,
    context,
    print_json,
    progress_bar,
)
from meter2cash.platform.i18n import gettext as _
from meter2cash.registry.codes import ZH_NAMES

UNPRICED_SHOWN = 20


def bill_run(
    period: str = typer.Option(..., "--period", help="Billing period YYYY-MM."),
    route_book: str | None = typer.Option(
        None, "--route-book", help="One route book (抄表段); all when omitted."
    ),
    reprice: bool = typer.Option(
        False, "--reprice", help="Price draft bills again even if their determinant is unchanged."
    ),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """电费计算 Price the period's closed determinants into draft bills."""
    with cli_errors(as_json=as_json), progress_bar(_("Pricing"), hidden=as_json) as advance:
        report = run_bills(
            context(),
            actor=as_user,
            period=period,
            route_book=route_book,
            reprice=reprice,
            progress=advance,
        )
    if as_json:
        print_json(report.as_json())
        return
    show(report)


def show(report: RunReport) -> None:
    console.print(
        _(
            "Bill run {run} for {period} ({scope}): {accounts} accounts, {priced} priced, "
            "{unchanged} unchanged, {unpriced} could not be priced"
        ).format(
            run=report.run_id,
            period=report.period,
            scope=report.scope,
            accounts=report.accounts,
            priced=report.priced,
            unchanged=report.unchanged,
            unpriced=len(report.unpriced),
        ),
        highlight=False,
    )
    for category, amount in report.revenue_by_category.items():
        console.print(f"  {ZH_NAMES.get(category, category)} {category}: {amount}", highlight=False)
    for account_no, reason in sorted(report.unpriced.items())[:UNPRICED_SHOWN]:
        console.print(f"  - {account_no}: {reason}", highlight=False, markup=False)
    if len(report.unpriced) > UNPRICED_SHOWN:
        console.print(
            _("  … and {count} more").format(count=len(report.unpriced) - UNPRICED_SHOWN), highlight=False
        )


def bill_summary(
    period: str = typer.Option(..., "--period", help="Billing period YYYY-MM."),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """电费汇总 Bills, energy and revenue of a period by customer class."""
    with cli_errors(as_json=as_json):
        summary = period_summary(context(), actor=as_user, period=period)
    if as_json:
        print_json(summary.as_json())
        return
    table = Table(
        _("Class"),
        _("Bills"),
        _("kWh"),
        _("Amount (yuan)"),
        title=_("Bills of {period}").format(period=period),
    )
    for category, row in summary.by_category.items():
        table.add_row(
            f"{ZH_NAMES.get(category, category)} {category}", row["bills"], row["kwh"], row["total"]
        )
    table.add_row(_("Total"), str(summary.bills), f"{summary.kwh.normalize():f}", str(summary.total))
    console.print(table)
    for reason, count in summary.unpriced.items():
        console.print(f"  {_('Not priced')}: {count} — {reason}", highlight=False, markup=False)


def bill_show(
    account_no: str = typer.Argument(..., help="Account number (户号)."),
    period: str = typer.Option(..., "--period", help="Billing period YYYY-MM."),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """电费明细 One account's bill of a period, line by line with the rule applied."""
    with cli_errors(as_json=as_json):
        stored = bill_of(context(), actor=as_user, account_no=account_no, period=period)
    if as_json:
        print_json({"bill": stored.bill, "lines": stored.lines})
        return
    head = stored.bill
    console.print(
        f"{head['account_no']} {head['period']} {head['start']}–{head['end']} {head['kwh']} kWh "
        f"[{head['state']}] {head['tariff_version']}",
        highlight=False,
        markup=False,
    )
    table = Table(_("Code"), _("Item"), _("Quantity"), _("Unit"), _("Unit price"), _("Amount"), _("Rule"))
    for line in stored.lines:
        table.add_row(
            line["code"],
            line["label"],
            line["quantity"],
            line["unit"],
            line["unit_price"],
            line["amount"],
            line["rule"],
        )
    console.print(table)
    console.print(_("Total {total} yuan").format(total=head["total"]), highlight=False)
