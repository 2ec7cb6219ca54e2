"""``m2c portal``: the customer portal (网上营业厅) from the counter.

``m2c portal enrol ACCOUNT_NO [--as USER] [--json]`` gives the account a new one-time activation
code (replacing any earlier one) and prints it — the only time it is shown. ``--json`` prints
``{"account_no", "code", "expires_at"}`` (ISO 8601). Exit 6 when the account is unknown, 4 when the
user may not enrol customers (docs/portal.md).
"""

from __future__ import annotations

import typer

from meter2cash.interfaces.cli.common import AsUser, JsonFlag, cli_errors, console, context, print_json
from meter2cash.platform.clock import business_date
from meter2cash.platform.i18n import gettext as _
from meter2cash.registry.portal_access import issue_activation_code

app = typer.Typer(help="The customer portal (网上营业厅).", no_args_is_help=True)


@app.command("enrol")
def enrol(
    account_no: str = typer.Argument(..., help="The account (户号) to enrol."),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """开通网上营业厅 Give an account a one-time portal activation code and print it once."""
    ctx = context()
    with cli_errors(as_json=as_json):
        issued = issue_activation_code(ctx, actor=as_user, account_no=account_no)
    if as_json:
        print_json(issued.as_json())
        return
    console.print(
        _("Activation code for account {account}: {code} (valid until {day})").format(
            account=issued.account_no, code=issued.code, day=business_date(issued.expires_at).isoformat()
        ),
        highlight=False,
        markup=False,
    )
    console.print(
        _("Give it to the customer now: it is shown only once. They activate at /portal/activate."),
        highlight=False,
        markup=False,
    )
