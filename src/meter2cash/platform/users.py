"""Staff users: argon2 password hashes, lockout after repeated failures, role checks.

`resolve_actor` turns the name given with ``--as`` / ``M2C_USER`` (or a web session) into an
`Actor`; `require` refuses an action the actor's roles do not grant, with a message naming the
roles that may do it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, DateTime, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from meter2cash.platform.audit import record_audit
from meter2cash.platform.db import Base
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import ROLE_NAMES_ZH, Action, Role, allowed, roles_allowed

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
_hasher = PasswordHasher()


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[str] = mapped_column(String(200))  # comma-separated Role values
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def role_set(self) -> frozenset[Role]:
        return frozenset(Role(r) for r in self.roles.split(",") if r)


class UnknownUser(LookupError):
    pass


class PermissionDenied(PermissionError):
    pass


@dataclass(frozen=True, slots=True)
class Actor:
    username: str
    roles: frozenset[Role]


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise ValueError(_("A password needs at least 8 characters."))
    return _hasher.hash(password)


def resolve_actor(session: Session, *, username: str | None) -> Actor:
    if not username:
        raise UnknownUser(_("No user given: pass --as USER or set M2C_USER."))
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        raise UnknownUser(_("Unknown or inactive user: {name}").format(name=username))
    return Actor(username=user.username, roles=user.role_set())


def require(actor: Actor, action: Action) -> None:
    if not allowed(roles=actor.roles, action=action):
        who = "、".join(f"{ROLE_NAMES_ZH[r]}({r.value})" for r in sorted(roles_allowed(action)))
        raise PermissionDenied(
            _("User {user} may not do {action}; it needs one of these roles: {roles}").format(
                user=actor.username, action=action.value, roles=who
            )
        )


def create_user(
    session: Session,
    *,
    actor: str,
    at: datetime,
    username: str,
    display_name: str,
    password: str,
    roles: set[Role],
    reason: str | None = None,
) -> User:
    if not roles:
        raise ValueError(_("A user needs at least one role."))
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise ValueError(_("User {name} already exists.").format(name=username))
    user = User(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        roles=",".join(sorted(r.value for r in roles)),
        active=True,
        failed_logins=0,
    )
    session.add(user)
    session.flush()
    record_audit(
        session,
        at=at,
        actor=actor,
        action="user.create",
        object_type="user",
        object_id=username,
        after={"username": username, "display_name": display_name, "roles": user.roles},
        reason=reason,
    )
    return user


@dataclass(frozen=True, slots=True)
class LoginResult:
    actor: Actor | None
    refusal: str | None = None


def authenticate(session: Session, *, username: str, password: str, at: datetime) -> LoginResult:
    """Check a password; after MAX_FAILED_LOGINS failures the account locks for LOCKOUT.

    A refusal is returned, not raised, so the caller's unit of work still commits the failure
    count and the lockout.
    """
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        return LoginResult(None, _("Wrong username or password."))
    if user.locked_until is not None and _aware(user.locked_until) > at:
        return LoginResult(None, _("This account is locked after repeated failures; try again later."))
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = at + LOCKOUT
            user.failed_logins = 0
            record_audit(
                session,
                at=at,
                actor=username,
                action="user.locked",
                object_type="user",
                object_id=username,
                reason="repeated failed logins",
            )
        return LoginResult(None, _("Wrong username or password."))
    user.failed_logins = 0
    user.locked_until = None
    return LoginResult(Actor(username=user.username, roles=user.role_set()))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def add_first_admin(
    session: Session, *, at: datetime, username: str, display_name: str, password: str, roles: set[Role]
) -> bool:
    """Create the first user when there is none yet (it must be an admin). False if users exist."""
    if session.scalar(select(User.id).limit(1)) is not None:
        return False
    if Role.ADMIN not in roles:
        raise PermissionDenied(_("The first user must have the admin role."))
    create_user(
        session,
        actor=username,
        at=at,
        username=username,
        display_name=display_name,
        password=password,
        roles=roles,
        reason="first administrator",
    )
    return True
