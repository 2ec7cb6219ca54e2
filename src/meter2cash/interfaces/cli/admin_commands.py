"""``m2c db``, ``m2c audit``, ``m2c user``: schema, audit trail and staff users."""

from __future__ import annotations

import typer
from rich.table import Table

from meter2cash.interfaces.cli import token_commands
from meter2cash.interfaces.cli.common import (
    EXIT_INTEGRITY,
    AsUser,
    JsonFlag,
    cli_errors,
    console,
    context,
    print_json,
)
from meter2cash.platform import migrate
from meter2cash.platform.audit import history, verify_chain
from meter2cash.platform.context import use_case
from meter2cash.platform.permissions import ROLE_NAMES_ZH, Action, Role
from meter2cash.platform.users import add_first_admin, create_user, list_users

db_app = typer.Typer(help="Database schema (数据库).", no_args_is_help=True)
audit_app = typer.Typer(help="Audit trail (审计日志).", no_args_is_help=True)
user_app = typer.Typer(help="Staff users and roles (用户与角色).", no_args_is_help=True)
user_app.command("token-issue")(token_commands.token_issue)
user_app.command("token-revoke")(token_commands.token_revoke)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the schema to the newest migration (the only way the schema is made)."""
    ctx = context()
    migrate.upgrade(ctx.engine)
    console.print(
        f"数据库已升级 Database at revision {migrate.current_revision(ctx.engine)}: "
        f"{ctx.engine.url.render_as_string(hide_password=True)}"
    )


@db_app.command("status")
def db_status(as_json: bool = JsonFlag) -> None:
    """Show the database URL, its schema revision and the newest one available."""
    ctx = context()
    status = {
        "url": ctx.engine.url.render_as_string(hide_password=True),
        "revision": migrate.current_revision(ctx.engine),
        "head": migrate.head_revision(),
    }
    if as_json:
        print_json(status)
    else:
        for key, value in status.items():
            console.print(f"{key}: {value}")


@audit_app.command("verify")
def audit_verify(as_json: bool = JsonFlag) -> None:
    """Check the hash chain; report the first tampered or missing record (exit 5 if any)."""
    ctx = context()
    with ctx.sessions() as session:
        result = verify_chain(session)
    report = {
        "ok": result.ok,
        "records": result.records,
        "head_hash": result.head_hash,
        "problem": None
        if result.problem is None
        else {"seq": result.problem.seq, "kind": result.problem.problem, "detail": result.problem.detail},
    }
    if as_json:
        print_json(report)
    elif result.ok:
        console.print(
            f"[green]审计链完整 Audit chain intact[/]: {result.records} records, head {result.head_hash}"
        )
    else:
        assert result.problem is not None
        console.print(
            f"[bold red]审计链被破坏 Audit chain broken[/] at record {result.problem.seq}: "
            f"{result.problem.detail}"
        )
    if not result.ok:
        raise typer.Exit(EXIT_INTEGRITY)


@audit_app.command("show")
def audit_show(
    object_type: str = typer.Argument(..., help="e.g. account, user, import_batch"),
    object_id: str = typer.Argument(...),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """Show the audit trail of one object."""
    ctx = context()
    with cli_errors(as_json=as_json), use_case(ctx, actor=as_user, action=Action.AUDIT_READ) as (session, _):
        rows = [
            {
                "seq": r.seq,
                "at": r.occurred_at,
                "actor": r.actor,
                "action": r.action,
                "before": r.before,
                "after": r.after,
                "reason": r.reason,
            }
            for r in history(session, object_type=object_type, object_id=object_id)
        ]
    if as_json:
        print_json(rows)
        return
    table = Table("seq", "at", "actor", "action", "reason")
    for row in rows:
        table.add_row(*(str(row[key] or "") for key in ("seq", "at", "actor", "action", "reason")))
    console.print(table)


@user_app.command("add")
def user_add(
    username: str = typer.Argument(...),
    role: list[Role] = typer.Option(..., "--role", help="Role; repeat for several."),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
    display_name: str = typer.Option("", "--name"),
    as_user: str | None = AsUser,
) -> None:
    """Add a staff user. The very first user (an admin) may be added without --as."""
    ctx = context()
    with cli_errors():
        with ctx.sessions() as session, session.begin():
            first = add_first_admin(
                session,
                at=ctx.clock.now(),
                username=username,
                display_name=display_name or username,
                password=password,
                roles=set(role),
            )
        if not first:
            with use_case(ctx, actor=as_user, action=Action.USER_MANAGE) as (session, actor):
                create_user(
                    session,
                    actor=actor.username,
                    at=ctx.clock.now(),
                    username=username,
                    display_name=display_name or username,
                    password=password,
                    roles=set(role),
                )
    console.print(f"用户已创建 User {username} created: {', '.join(ROLE_NAMES_ZH[r] for r in role)}")


@user_app.command("list")
def user_list(as_json: bool = JsonFlag) -> None:
    """List staff users and their roles."""
    ctx = context()
    with ctx.sessions() as session:
        users = list_users(session)
    if as_json:
        print_json(
            [
                {
                    "username": u.username,
                    "name": u.display_name,
                    "roles": u.roles.split(","),
                    "active": u.active,
                }
                for u in users
            ]
        )
        return
    table = Table("username", "name", "roles", "active")
    for u in users:
        table.add_row(u.username, u.display_name, u.roles.replace(",", ", "), "yes" if u.active else "no")
    console.print(table)
