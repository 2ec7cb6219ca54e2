"""``m2c collect`` — prepaid electricity (预付费, docs/prepaid.md, docs/cli.md):

- ``card-vend --account NO --card CARD --amount YUAN --key KEY [--count N] [--opening-kwh K]``: sell
  to an IC-card meter (售电); a retry with the same key sells nothing twice;
- ``card-reports --file F``: import card meters' reports (CSV, refused whole on a bad row);
- ``card-reconcile [--on DAY]``: reconcile vends against the reports, open exceptions (稽查);
- ``prepaid-readings --file F``: import smart meters' daily frozen readings (CSV);
- ``prepaid-run --day DAY``: the smart-prepaid daily estimate, alerts, trips and closes;
- ``prepaid-exceptions [--all]``: the revenue-protection exceptions.

All take ``--as USER`` and ``--json``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import typer

from meter2cash.collection.card_reports import import_meter_reports, prepaid_exceptions, reconcile_cards
from meter2cash.collection.card_vend_service import vend_card
from meter2cash.collection.prepaid_readings import import_frozen_readings
from meter2cash.interfaces.cli.common import AsUser, JsonFlag, cli_errors, console, context, print_json
from meter2cash.platform.errors import InputRefused
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.money import BadAmount, NotExact, exact


def register(app: typer.Typer) -> None:
    app.command("card-vend")(card_vend)
    app.command("card-reports")(card_reports)
    app.command("card-reconcile")(card_reconcile)
    app.command("prepaid-readings")(prepaid_readings)
    app.command("prepaid-run")(prepaid_run)
    app.command("prepaid-exceptions")(exceptions)


def _amount(text: str) -> Decimal:
    try:
        return exact(text)
    except (BadAmount, NotExact):
        raise InputRefused(
            _("The amount must be a number of yuan, e.g. 120.50: {text}").format(text=text)
        ) from None


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputRefused(_("A day is written YYYY-MM-DD: {text}").format(text=text)) from None


def card_vend(
    account: str = typer.Option(..., "--account", help="户号 Account number."),
    card: str = typer.Option(..., "--card", help="The IC card's number."),
    amount: str = typer.Option(..., "--amount", help="元, exact, > 0."),
    key: str = typer.Option(..., "--key", help="Idempotency key: a retry with it sells nothing twice."),
    count: int | None = typer.Option(None, "--count", help="The card's purchase count, as the reader shows."),
    opening_kwh: str = typer.Option("0", "--opening-kwh", help="预置电量 on the first purchase only."),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """IC卡售电 Sell electricity to a card meter: the money goes to the ledger, the kWh to the card."""
    with cli_errors(as_json=as_json):
        result = vend_card(
            context(),
            actor=as_user,
            account_no=account,
            card_no=card,
            amount=_amount(amount),
            idempotency_key=key,
            purchase_count=count,
            opening_kwh=_amount(opening_kwh),
        )
    if as_json:
        print_json(result.as_json())
        return
    if result.replayed:
        console.print(_("Already sold as vend {id}: nothing sold twice.").format(id=result.vend_id))
        return
    console.print(
        _("Vend {id}: card {card} purchase {count}, {amount} yuan = {kwh} kWh, receipt {receipt}").format(
            id=result.vend_id,
            card=result.card_no,
            count=result.purchase_count,
            amount=result.amount,
            kwh=result.kwh,
            receipt=result.receipt_no or "-",
        ),
        highlight=False,
    )


def card_reports(
    file: Path = typer.Option(..., "--file", help="CSV: meter_no,reported_on,unit,purchase_count,…"),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """卡表回写数据导入 Import card meters' reports; a file with a bad row is refused whole."""
    with cli_errors(as_json=as_json):
        result = import_meter_reports(context(), actor=as_user, path=file)
    _imported(result.as_json(), as_json=as_json)


def prepaid_readings(
    file: Path = typer.Option(..., "--file", help="CSV: meter_no,frozen_on,total"),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """日冻结示数导入 Import smart meters' daily frozen readings; refused whole on a bad row."""
    with cli_errors(as_json=as_json):
        result = import_frozen_readings(context(), actor=as_user, path=file)
    _imported(result.as_json(), as_json=as_json)


def _imported(result: dict[str, int], *, as_json: bool) -> None:
    if as_json:
        print_json(result)
        return
    console.print(_("{rows} rows: {added} added, {unchanged} unchanged").format(**result), highlight=False)


def card_reconcile(
    on: str | None = typer.Option(None, "--on", help="YYYY-MM-DD; today by default."),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """卡表对账 Reconcile vends against meter reports; anomalies become exceptions (稽查)."""
    with cli_errors(as_json=as_json):
        result = reconcile_cards(context(), actor=as_user, as_of=_day(on))
    if as_json:
        print_json(result.as_json())
        return
    console.print(
        _("{accounts} accounts reconciled, {opened} exceptions opened").format(
            accounts=result.accounts, opened=len(result.opened)
        ),
        highlight=False,
    )
    for found in result.opened:
        console.print(f"  {found['account_no']} {found['kind']}: {found['reason']}", highlight=False)


def prepaid_run(
    day: str = typer.Option(..., "--day", help="YYYY-MM-DD: estimate through this day."),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """费控日测算 Estimate smart-prepaid balances, send alerts, trip at zero after notice, close on top-up."""
    from meter2cash.collection.prepaid_run import explain_action, run_prepaid_day

    with cli_errors(as_json=as_json):
        run_day = _day(day)
        assert run_day is not None
        result = run_prepaid_day(context(), actor=as_user, day=run_day)
    if as_json:
        print_json(result.as_json())
        return
    for account in result.estimated:
        console.print(
            _("{account_no}: balance {balance} yuan").format(
                account_no=account["account_no"], balance=account["balance"]
            ),
            highlight=False,
        )
    for skipped in result.skipped:
        console.print(f"  {skipped['account_no']}: {skipped['reason']}", highlight=False)
    for action in result.actions:
        console.print(explain_action(action), highlight=False)


def exceptions(
    show_all: bool = typer.Option(False, "--all", help="Closed ones too."),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """预付费稽查异常 The card-meter exceptions for revenue protection (open ones by default)."""
    with cli_errors(as_json=as_json):
        found = prepaid_exceptions(context(), actor=as_user, state=None if show_all else "open")
    if as_json:
        print_json({"exceptions": found})
        return
    if not found:
        console.print(_("No exceptions."))
    for row in found:
        console.print(
            f"{row['id']} {row['account_no']} {row['meter_no']} {row['kind']} "
            f"{row['reported_on']}: {row['reason']}",
            highlight=False,
        )
