"""Helpers for web tests: an app on the test context, a logged-in staff client, a token client."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from meter2cash.interfaces.web.app import create_app
from meter2cash.platform.api_tokens import issue_token
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.platform.permissions import Action

CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def web_client(ctx: AppContext) -> TestClient:
    return TestClient(create_app(ctx), base_url="http://testserver", raise_server_exceptions=False)


def csrf_of(client: TestClient, path: str = "/login") -> str:
    found = CSRF.search(client.get(path).text)
    assert found is not None, f"no CSRF token on {path}"
    return found.group(1)


def staff_client(ctx: AppContext, username: str, password: str | None = None) -> TestClient:
    """A client logged in as ``username`` (test users' password is ``password-<role>``); its
    default headers carry the session's CSRF token, as HTMX does."""
    client = web_client(ctx)
    token = csrf_of(client)
    answer = client.post(
        "/login",
        data={"username": username, "password": password or f"password-{username}", "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    client.headers["X-CSRF-Token"] = csrf_of(client, "/")
    return client


def token_client(ctx: AppContext, username: str, scopes: set[Action], *, days: int = 30) -> TestClient:
    """A client that presents an API token for ``username`` with ``scopes`` (no cookie, no CSRF)."""
    with unit_of_work(ctx.sessions) as session:
        now = ctx.clock.now()
        _row, text = issue_token(
            session,
            actor="admin",
            at=now,
            username=username,
            name="test",
            scopes=scopes,
            expires_at=now + timedelta(days=days),
        )
    client = web_client(ctx)
    client.headers["Authorization"] = f"Bearer {text}"
    return client
