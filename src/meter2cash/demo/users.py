"""The demo's staff users: one per role, plus a second reviewer for four-eyes approval (双人复核).
Passwords are ``demo-<username>``; they are for a demo only and printed on purpose.

Creating them is idempotent: a user who already exists is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.db import unit_of_work
from meter2cash.platform.permissions import Action, Role
from meter2cash.platform.users import User, add_first_admin, create_user


@dataclass(frozen=True, slots=True)
class DemoUser:
    username: str
    role: Role
    display_name: str

    @property
    def password(self) -> str:
        return f"demo-{self.username}"


ADMIN = "admin"
READER = "reader"
CLERK = "clerk"
REVIEWER = "reviewer"
DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser(ADMIN, Role.ADMIN, "演示系统管理员"),
    DemoUser(READER, Role.METER_READER, "演示抄表员"),
    DemoUser(CLERK, Role.BILLING_CLERK, "演示核算员"),
    DemoUser("reviewer", Role.REVIEWER, "演示审核员"),
    DemoUser("reviewer2", Role.REVIEWER, "演示审核员二"),
    DemoUser("cashier", Role.CASHIER, "演示收费员"),
    DemoUser("inspector", Role.INSPECTOR, "演示稽查员"),
    DemoUser("manager", Role.MANAGER, "演示管理人员"),
)


def ensure_demo_users(ctx: AppContext, *, actor: str) -> list[str]:
    """Create the demo users that do not exist yet; the names of those created.

    On an empty database ``admin`` is created first (the first user must be an admin); every
    other user is created by ``actor``, who needs the user-management right.
    """
    created: list[str] = []
    admin = DEMO_USERS[0]
    with unit_of_work(ctx.sessions) as session:
        if add_first_admin(
            session,
            at=ctx.clock.now(),
            username=admin.username,
            display_name=admin.display_name,
            password=admin.password,
            roles={admin.role},
        ):
            created.append(admin.username)
    with use_case(ctx, actor=actor, action=Action.USER_MANAGE) as (session, who):
        existing = set(session.scalars(select(User.username)))
        for user in DEMO_USERS:
            if user.username in existing:
                continue
            create_user(
                session,
                actor=who.username,
                at=ctx.clock.now(),
                username=user.username,
                display_name=user.display_name,
                password=user.password,
                roles={user.role},
                reason="demo bureau",
            )
            created.append(user.username)
    return created
