from __future__ import annotations

from datetime import timedelta

import pytest

from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.db import unit_of_work
from meter2cash.platform.permissions import Action
from meter2cash.platform.users import (
    MAX_FAILED_LOGINS,
    PermissionDenied,
    UnknownUser,
    User,
    authenticate,
)


def login(ctx: AppContext, username: str, password: str) -> str | None:
    with unit_of_work(ctx.sessions) as session:
        result = authenticate(session, username=username, password=password, at=ctx.clock.now())
    return None if result.actor is None else result.actor.username


class TestLogin:
    def test_the_right_password_logs_in(self, ctx: AppContext) -> None:
        assert login(ctx, "cashier", "password-cashier") == "cashier"

    def test_passwords_are_stored_as_argon2_hashes(self, ctx: AppContext) -> None:
        with ctx.sessions() as session:
            stored = session.query(User).filter_by(username="cashier").one().password_hash
        assert stored.startswith("$argon2") and "password-cashier" not in stored

    def test_repeated_failures_lock_the_account_even_for_the_right_password(self, ctx: AppContext) -> None:
        for _ in range(MAX_FAILED_LOGINS):
            assert login(ctx, "cashier", "wrong") is None
        assert login(ctx, "cashier", "password-cashier") is None

    def test_the_lock_lifts_after_the_lockout_time(self, ctx: AppContext) -> None:
        for _ in range(MAX_FAILED_LOGINS):
            login(ctx, "cashier", "wrong")
        ctx.clock.advance(timedelta(minutes=16))  # type: ignore[attr-defined]
        assert login(ctx, "cashier", "password-cashier") == "cashier"


class TestActingAsAUser:
    def test_an_unknown_user_is_refused_before_anything_happens(self, ctx: AppContext) -> None:
        with pytest.raises(UnknownUser), use_case(ctx, actor="nobody", action=Action.ARCHIVE_READ):
            pass

    def test_no_user_at_all_is_refused_with_a_hint(self, ctx: AppContext) -> None:
        with (
            pytest.raises(UnknownUser, match="M2C_USER"),
            use_case(ctx, actor=None, action=Action.ARCHIVE_READ),
        ):
            pass

    def test_a_role_without_the_grant_is_refused_naming_who_may(self, ctx: AppContext) -> None:
        with (
            pytest.raises(PermissionDenied, match="admin"),
            use_case(ctx, actor="meter_reader", action=Action.USER_MANAGE),
        ):
            pass
