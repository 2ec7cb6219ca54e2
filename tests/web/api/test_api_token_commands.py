"""``m2c user token-issue`` prints a scoped token once, and the API accepts it within its scopes;
``m2c user token-revoke`` shuts it out. Only an administrator may do either, and the database
keeps no token text."""

from __future__ import annotations

import json

import pytest
from click.testing import Result
from sqlalchemy import select
from typer.testing import CliRunner

from meter2cash.interfaces.cli import main, token_commands
from meter2cash.platform.api_tokens import ApiToken
from meter2cash.platform.audit import AuditRecord
from meter2cash.platform.context import AppContext
from web_client import web_client


def m2c(ctx: AppContext, monkeypatch: pytest.MonkeyPatch, *args: str) -> Result:
    monkeypatch.setattr(token_commands, "context", lambda: ctx)
    return CliRunner().invoke(main.app, ["user", *args])


def issue(ctx: AppContext, monkeypatch: pytest.MonkeyPatch, *extra: str) -> Result:
    return m2c(
        ctx,
        monkeypatch,
        "token-issue",
        "--user",
        "reviewer",
        "--name",
        "review-robot",
        "--scope",
        "bill.read",
        "--scope",
        "bill.review",
        "--days",
        "90",
        *extra,
    )


def test_an_issued_token_works_within_its_scopes_and_is_stored_only_as_a_hash(
    ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = issue(ctx, monkeypatch, "--as", "admin", "--json")
    assert result.exit_code == 0, result.output
    issued = json.loads(result.stdout)
    assert issued["scopes"] == ["bill.read", "bill.review"] and issued["token"].startswith("m2c_")
    assert issued["expires_at"].startswith("2026-05-30")  # 90 days after the test clock's day
    client = web_client(ctx)
    client.headers["Authorization"] = f"Bearer {issued['token']}"
    me = client.get("/api/v1/me").json()
    assert (me["username"], me["via"], me["scopes"]) == ("reviewer", "token", ["bill.read", "bill.review"])
    assert client.get("/api/v1/reading/exceptions").status_code == 403  # archive.read is not a scope
    with ctx.sessions() as session:
        stored = session.scalars(select(ApiToken.token_hash)).all()
        audit = session.scalars(
            select(AuditRecord.after).where(AuditRecord.action == "api_token.issue")
        ).all()
    assert issued["token"] not in stored and all(issued["token"] not in str(a) for a in audit)


def test_the_token_is_printed_once_with_a_warning_to_keep_it(
    ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = issue(ctx, monkeypatch, "--as", "admin")
    assert result.exit_code == 0, result.output
    assert sum(line.startswith("m2c_") for line in result.stdout.splitlines()) == 1


def test_a_revoked_token_is_refused_at_once(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    issued = json.loads(issue(ctx, monkeypatch, "--as", "admin", "--json").stdout)
    client = web_client(ctx)
    client.headers["Authorization"] = f"Bearer {issued['token']}"
    assert client.get("/api/v1/me").status_code == 200
    revoked = m2c(ctx, monkeypatch, "token-revoke", str(issued["id"]), "--as", "admin")
    assert revoked.exit_code == 0, revoked.output
    assert client.get("/api/v1/me").status_code == 401


def test_only_an_administrator_may_issue_or_revoke(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    assert issue(ctx, monkeypatch, "--as", "manager").exit_code == 4
    assert m2c(ctx, monkeypatch, "token-revoke", "1", "--as", "manager").exit_code == 4


def test_an_unknown_user_scope_or_token_is_refused(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    unknown_user = m2c(
        ctx,
        monkeypatch,
        "token-issue",
        "--user",
        "nobody",
        "--name",
        "x",
        "--scope",
        "bill.read",
        "--as",
        "admin",
    )
    assert unknown_user.exit_code == 3
    unknown_scope = m2c(
        ctx,
        monkeypatch,
        "token-issue",
        "--user",
        "reviewer",
        "--name",
        "x",
        "--scope",
        "bill.pay",
        "--as",
        "admin",
    )
    assert unknown_scope.exit_code == 2
    assert m2c(ctx, monkeypatch, "token-revoke", "999", "--as", "admin").exit_code == 3
