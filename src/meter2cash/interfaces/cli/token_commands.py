"""``m2c user token-issue`` and ``m2c user token-revoke``: API tokens (接口令牌) for integrations.

``m2c user token-issue --user U --name N --scope bill.read [--scope …] [--days 90] [--as admin]``
issues a token acting as user U with only the scopes given (and never more than U's roles allow)
and prints its text once — the database keeps only its SHA-256. ``m2c user token-revoke ID``
revokes it at once. Both need ``user.manage`` (administrators) and are audited; the token text
is never logged or written anywhere but the terminal.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import typer

from meter2cash.interfaces.cli.common import AsUser, JsonFlag, cli_errors, console, context, print_json
from meter2cash.platform.api_tokens import issue_token, revoke_token
from meter2cash.platform.context import use_case
from meter2cash.platform.errors import InputRefused
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action


@contextmanager
def _refused() -> Iterator[None]:
    """The token service's plain `ValueError` (no scope, unknown user or token) as a refusal."""
    try:
        yield
    except InputRefused:
        raise
    except ValueError as error:
        raise InputRefused(str(error)) from None


def token_issue(
    user: str = typer.Option(..., "--user", help="The staff user the token acts as."),
    name: str = typer.Option(..., "--name", help="What the token is for, e.g. bank_icbc."),
    scope: list[Action] = typer.Option(..., "--scope", help="An action it may do; repeat for several."),
    days: int = typer.Option(90, "--days", min=1, max=3650, help="Days until it expires."),
    as_user: str | None = AsUser,
    as_json: bool = JsonFlag,
) -> None:
    """Issue an API token; its text is printed once and cannot be shown again."""
    ctx = context()
    with (
        cli_errors(as_json=as_json),
        _refused(),
        use_case(ctx, actor=as_user, action=Action.USER_MANAGE) as (session, who),
    ):
        now = ctx.clock.now()
        row, text = issue_token(
            session,
            actor=who.username,
            at=now,
            username=user,
            name=name,
            scopes=set(scope),
            expires_at=now + timedelta(days=days),
        )
        token_id, expires_at, scopes = row.id, row.expires_at, row.scopes.split(",")
    if as_json:
        print_json(
            {
                "id": token_id,
                "user": user,
                "name": name,
                "scopes": scopes,
                "expires_at": expires_at.isoformat(),
                "token": text,
            }
        )
        return
    console.print(
        _("API token {id} for {user} ({scopes}), expires {expires}:").format(
            id=token_id, user=user, scopes=", ".join(scopes), expires=expires_at.isoformat()
        ),
        highlight=False,
        markup=False,
    )
    console.print(text, highlight=False, markup=False, soft_wrap=True)
    console.print(_("Keep it now: it is shown only this once."), highlight=False)


def token_revoke(
    token_id: int = typer.Argument(..., help="The token's id (printed when it was issued)."),
    as_user: str | None = AsUser,
) -> None:
    """Revoke an API token at once; revoking it again changes nothing."""
    ctx = context()
    with (
        cli_errors(),
        _refused(),
        use_case(ctx, actor=as_user, action=Action.USER_MANAGE) as (session, who),
    ):
        revoke_token(session, actor=who.username, at=ctx.clock.now(), token_id=token_id)
    console.print(_("API token {id} revoked").format(id=token_id), highlight=False)
