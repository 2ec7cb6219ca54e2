"""``m2c collect`` — dunning (催费) and the message outbox, docs/dunning-disconnection.md:

- ``dunning [--on DAY]``: run the dunning policy for a day (today by default): write the notices
  due and queue their messages in the outbox;
- ``send-notices [--limit N]``: send the pending outbox messages through the configured channels
  (``M2C_SMTP_*``, ``M2C_SMS_*``; letters are queued for print).

Both take ``--as USER`` and ``--json``.
"""

from __future__ import annotations

from datetime import date

import typer
from rich.table import Table

from meter2cash.collection.dunning_service import run_dunning
from meter2cash.interfaces.cli.common import AsUser, JsonFlag, cli_errors, console, context, print_json
from meter2cash.platform.clock import business_date
from meter2cash.platform.errors import InputRefused
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.outbox import send_pending, senders_from_settings


def register(app: typer.Typer) -> None:
    app.command("dunning")(dunning)
    app.command("send-notices")(send_notices)


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputRefused(_("A day is written YYYY-MM-DD: {text}").format(text=text)) from None


def dunning(
    on: str | None = typer.Option(None, "--on", help="YYYY-MM-DD: the day of the run; today by default."),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """催费 Run the dunning policy: write the notices due and queue their messages."""
    with cli_errors(as_json=as_json):
        ctx = context()
        day = _day(on) or business_date(ctx.clock.now())
        report = run_dunning(ctx, actor=as_user, on=day)
    if as_json:
        print_json(report.as_json())
        return
    console.print(
        _(
            "Dunning of {day}: {examined} overdue accounts, {notices} notices, {messages} messages queued"
        ).format(
            day=day.isoformat(),
            examined=report.accounts_examined,
            notices=report.notices,
            messages=report.messages,
        ),
        highlight=False,
    )
    if report.by_step_channel:
        table = Table(title=_("Notices"))
        for heading in (_("Step"), _("Channel"), _("Messages")):
            table.add_column(heading)
        for step, counts in sorted(report.by_step_channel.items()):
            for channel, count in sorted(counts.items()):
                table.add_row(step, channel, str(count))
        console.print(table)
    for code, count in sorted(report.skipped.items()):
        console.print(_("Skipped ({code}): {count}").format(code=code, count=count), highlight=False)


def send_notices(
    limit: int = typer.Option(500, "--limit", min=1, help="Send at most this many messages."),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """发送通知 Send the pending outbox messages through the configured channels."""
    with cli_errors(as_json=as_json):
        ctx = context()
        report = send_pending(
            ctx,
            senders=senders_from_settings(ctx.settings),
            limit=limit,
            now=ctx.clock.now(),
            actor=as_user,
        )
    if as_json:
        print_json(report.as_json())
        return
    console.print(
        _("{sent} messages sent, {retrying} to retry, {failed} failed").format(
            sent=sum(report.sent.values()),
            retrying=sum(report.retrying.values()),
            failed=sum(report.failed.values()),
        ),
        highlight=False,
    )
    for channel, count in sorted(report.no_sender.items()):
        console.print(
            _("{count} {channel} messages wait: no {channel} gateway is configured").format(
                count=count, channel=channel
            ),
            highlight=False,
        )
