"""The web foundation on SQLite and PostgreSQL: staff log in with a password and a CSRF-protected
form, the session cookie is HttpOnly and SameSite, repeated failures lock the account, API tokens
are scoped and expire, errors are problem details without stack traces, and Chinese comes first."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from meter2cash.platform.api_tokens import revoke_token
from meter2cash.platform.audit import AuditRecord
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.platform.permissions import Action
from web_client import csrf_of, staff_client, token_client, web_client


def test_a_page_without_a_session_redirects_to_the_login(ctx: AppContext) -> None:
    answer = web_client(ctx).get("/", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"


def test_the_api_without_a_session_answers_401_as_problem_details(ctx: AppContext) -> None:
    answer = web_client(ctx).get("/api/v1/me")
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["status"] == 401


def test_a_staff_user_logs_in_and_the_session_cookie_is_httponly_and_samesite(ctx: AppContext) -> None:
    client = web_client(ctx)
    token = csrf_of(client)
    answer = client.post(
        "/login",
        data={"username": "reviewer", "password": "password-reviewer", "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    me = client.get("/api/v1/me").json()
    assert me == {"username": "reviewer", "roles": ["reviewer"], "via": "session", "scopes": None}
    with unit_of_work(ctx.sessions) as session:
        assert session.scalars(select(AuditRecord.action).where(AuditRecord.action == "user.login")).all()


def test_a_login_form_without_the_csrf_token_is_refused(ctx: AppContext) -> None:
    client = web_client(ctx)
    client.get("/login")
    answer = client.post("/login", data={"username": "reviewer", "password": "password-reviewer"})
    assert answer.status_code == 403
    assert client.get("/api/v1/me").status_code == 401


def test_a_wrong_password_is_refused_and_five_lock_the_account(ctx: AppContext) -> None:
    client = web_client(ctx)
    for _attempt in range(5):
        answer = client.post(
            "/login",
            data={"username": "cashier", "password": "wrong-password", "csrf_token": csrf_of(client)},
        )
        assert answer.status_code == 401
    right = client.post(
        "/login", data={"username": "cashier", "password": "password-cashier", "csrf_token": csrf_of(client)}
    )
    assert right.status_code == 401 and "锁定" in right.text


def test_a_cookie_session_write_without_the_csrf_header_is_refused(ctx: AppContext) -> None:
    client = staff_client(ctx, "admin")
    del client.headers["X-CSRF-Token"]
    answer = client.post("/logout", follow_redirects=False)
    assert answer.status_code == 403


def test_an_api_token_acts_within_its_scopes_only(ctx: AppContext) -> None:
    client = token_client(ctx, "manager", {Action.BILL_READ})
    me = client.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["via"] == "token" and me.json()["scopes"] == ["bill.read"]


def test_an_expired_or_revoked_token_is_refused(ctx: AppContext) -> None:
    client = token_client(ctx, "manager", {Action.BILL_READ}, days=1)
    ctx.clock.instant = ctx.clock.now() + timedelta(days=2)  # type: ignore[attr-defined]
    assert client.get("/api/v1/me").status_code == 401
    fresh = token_client(ctx, "manager", {Action.BILL_READ})
    with unit_of_work(ctx.sessions) as session:
        from meter2cash.platform.api_tokens import ApiToken

        newest = max(session.scalars(select(ApiToken.id)).all())
        revoke_token(session, actor="admin", at=ctx.clock.now(), token_id=newest)
    assert fresh.get("/api/v1/me").status_code == 401


def test_chinese_comes_first_and_english_is_a_switch_away(ctx: AppContext) -> None:
    client = web_client(ctx)
    assert "员工登录" in client.get("/login").text
    english = client.get("/login?lang=en")
    assert "Staff login" in english.text
    assert "Staff login" in client.get("/login").text  # remembered in a cookie


def test_every_response_carries_the_security_headers(ctx: AppContext) -> None:
    answer = web_client(ctx).get("/login")
    assert answer.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in answer.headers["content-security-policy"]
