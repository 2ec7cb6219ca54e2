"""``m2c``: the Meter2Cash command line. Each command parses, calls one service, renders."""

from __future__ import annotations

import typer

from meter2cash.interfaces.cli import (
    admin_commands,
    archive_commands,
    bill_commands,
    collect_commands,
    demo_commands,
    meters_commands,
    portal_commands,
    read_commands,
    serve_command,
    tariff_commands,
)

app = typer.Typer(
    name="m2c",
    help="Meter2Cash 抄核收: meter reading, billing and collection for electricity supply bureaus.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(admin_commands.db_app, name="db")
app.add_typer(admin_commands.audit_app, name="audit")
app.add_typer(admin_commands.user_app, name="user")
app.add_typer(archive_commands.app, name="archive")
app.add_typer(read_commands.app, name="read")
app.add_typer(meters_commands.app, name="meters")
app.add_typer(bill_commands.app, name="bill")
app.add_typer(collect_commands.app, name="collect")
app.add_typer(tariff_commands.app, name="tariff")
app.add_typer(portal_commands.app, name="portal")
app.command("demo")(demo_commands.demo)
app.command("serve")(serve_command.serve)


if __name__ == "__main__":
    app()
