"""Portal enrolment and activation on SQLite and PostgreSQL: a clerk's one-time code, stored only as
a hash, lets the customer choose a password once; a wrong, expired or used code is refused, wrong
codes and passwords lock the account, and a new code replaces the old one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from portal_setup import audit_actions
from sqlalchemy import select

from archive_factory import small_archive
from meter2cash.platform.audit import AuditRecord
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.platform.errors import InputRefused, NotFound
from meter2cash.platform.users import PermissionDenied
from meter2cash.registry.portal_access import (
    ACTIVATION_CODE_DAYS,
    activate,
    authenticate_customer,
    issue_activation_code,
)
from meter2cash.registry.portal_model import PortalUser
from web_client import csrf_of, web_client


def test_a_clerk_issues_an_eight_digit_code_kept_only_as_a_hash_and_audited(ctx: AppContext) -> None:
    small_archive(ctx, accounts=1)
    issued = issue_activation_code(ctx, actor="cashier", account_no="A0001")
    assert len(issued.code) == 8 and issued.code.isdigit()
    assert issued.expires_at == ctx.clock.now() + timedelta(days=ACTIVATION_CODE_DAYS)
    with unit_of_work(ctx.sessions) as session:
        user = session.scalars(select(PortalUser)).one()
        records = list(session.scalars(select(AuditRecord).where(AuditRecord.action == "portal.enrol")))
    assert user.code_hash is not None and issued.code not in user.code_hash
    assert user.password_hash is None
    assert len(records) == 1 and records[0].object_id == "A0001" and records[0].actor == "cashier"
    assert issued.code not in (records[0].after or "")


def test_enrolment_needs_the_right_and_a_known_account(ctx: AppContext) -> None:
    small_archive(ctx, accounts=1)
    with pytest.raises(PermissionDenied):
        issue_activation_code(ctx, actor="meter_reader", account_no="A0001")
    with pytest.raises(NotFound):
        issue_activation_code(ctx, actor="cashier", account_no="A9999")


def test_the_right_code_sets_the_password_once_and_the_code_cannot_be_used_again(ctx: AppContext) -> None:
    small_archive(ctx, accounts=1)
    issued = issue_activation_code(ctx, actor="cashier", account_no="A0001")
    done = activate(ctx, account_no="A0001", code=issued.code, password="first-password")
    assert done.account_id is not None and done.refusal is None
    assert (
        authenticate_customer(ctx, account_no="A0001", password="first-password").account_id
        == done.account_id
    )
    again = activate(ctx, account_no="A0001", code=issued.code, password="second-password")
    assert again.account_id is None and again.refusal == "户号或激活码错误。"
    assert authenticate_customer(ctx, account_no="A0001", password="second-password").account_id is None
    assert "portal.activate" in audit_actions(ctx) and "portal.login" in audit_actions(ctx)


def test_a_wrong_code_is_refused_and_an_expired_one_is_refused_as_expired(ctx: AppContext) -> None:
    small_archive(ctx, accounts=1)
    issued = issue_activation_code(ctx, actor="cashier", account_no="A0001")
    wrong = "00000000" if issued.code != "00000000" else "11111111"
    assert activate(ctx, account_no="A0001", code=wrong, password="a-password").account_id is None
    ctx.clock.instant += timedelta(days=ACTIVATION_CODE_DAYS, seconds=1)  # type: ignore[attr-defined]
    expired = activate(ctx, account_no="A0001", code=issued.code, password="a-password")
    assert expired.account_id is None and expired.refusal is not None and "过期" in expired.refusal
    with unit_of_work(ctx.sessions) as session:
        assert session.scalars(select(PortalUser)).one().password_hash is None


def test_a_new_code_replaces_the_old_one(ctx: AppContext) -> None:
    small_archive(ctx, accounts=1)
    old = issue_activation_code(ctx, actor="cashier", account_no="A0001")
    new = issue_activation_code(ctx, actor="billing_clerk", account_no="A0001")
    if old.code != new.code:
        assert activate(ctx, account_no="A0001", code=old.code, password="a-password").account_id is None
    assert activate(ctx, account_no="A0001", code=new.code, password="a-password").account_id is not None


def test_a_password_shorter_than_eight_characters_is_refused_and_the_code_still_works(
    ctx: AppContext,
) -> None:
    small_archive(ctx, accounts=1)
    issued = issue_activation_code(ctx, actor="cashier", account_no="A0001")
    with pytest.raises(InputRefused):
        activate(ctx, account_no="A0001", code=issued.code, password="short")
    assert activate(ctx, account_no="A0001", code=issued.code, password="long-enough").account_id is not None


def test_five_wrong_codes_lock_the_account_until_a_clerk_issues_a_new_code(ctx: AppContext) -> None:
    small_archive(ctx, accounts=1)
    issued = issue_activation_code(ctx, actor="cashier", account_no="A0001")
    wrong = "00000000" if issued.code != "00000000" else "11111111"
    for _attempt in range(5):
        assert activate(ctx, account_no="A0001", code=wrong, password="a-password").account_id is None
    locked = activate(ctx, account_no="A0001", code=issued.code, password="a-password")
    assert locked.account_id is None and locked.refusal is not None and "锁定" in locked.refusal
    assert "portal.locked" in audit_actions(ctx)
    fresh = issue_activation_code(ctx, actor="cashier", account_no="A0001")
    assert activate(ctx, account_no="A0001", code=fresh.code, password="a-password").account_id is not None


def test_activation_on_the_web_logs_the_customer_in(ctx: AppContext) -> None:
    small_archive(ctx, accounts=1)
    issued = issue_activation_code(ctx, actor="cashier", account_no="A0001")
    client = web_client(ctx)
    form = {
        "account_no": "A0001",
        "code": f"{issued.code[:4]} {issued.code[4:]}",  # as the clerk's page shows it
        "password": "my-password",
        "password_again": "my-password",
    }
    differ = client.post(
        "/portal/activate",
        data={**form, "password_again": "other-password", "csrf_token": csrf_of(client, "/portal/activate")},
    )
    assert differ.status_code == 422 and "不一致" in differ.text
    answer = client.post(
        "/portal/activate",
        data={**form, "csrf_token": csrf_of(client, "/portal/activate")},
        follow_redirects=False,
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/portal/"
    assert client.get("/portal/", follow_redirects=False).status_code == 200
