from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from meter2cash.platform.clock import FixedClock, business_date
from meter2cash.platform.permissions import GRANTS, Action, Role, allowed


class TestRoleGrants:
    def test_every_action_is_granted_to_someone_and_admin_can_manage_users(self) -> None:
        assert all(GRANTS[action] for action in Action)
        assert allowed(roles={Role.ADMIN}, action=Action.USER_MANAGE)

    def test_a_cashier_may_not_import_the_archive(self) -> None:
        assert not allowed(roles={Role.CASHIER}, action=Action.ARCHIVE_IMPORT)

    def test_a_user_with_several_roles_gets_the_union(self) -> None:
        assert allowed(roles={Role.CASHIER, Role.BILLING_CLERK}, action=Action.ARCHIVE_IMPORT)


class TestBusinessDates:
    def test_late_evening_utc_is_already_tomorrow_in_beijing(self) -> None:
        assert business_date(datetime(2026, 1, 15, 16, 30, tzinfo=UTC)) == date(2026, 1, 16)

    def test_a_naive_instant_is_refused(self) -> None:
        with pytest.raises(ValueError):
            business_date(datetime(2026, 1, 15, 16, 30))  # noqa: DTZ001

    def test_a_fixed_clock_only_moves_when_told(self) -> None:
        clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
        assert clock.now() == clock.now()
        clock.advance(timedelta(days=1))
        assert clock.now() == datetime(2026, 1, 2, tzinfo=UTC)
