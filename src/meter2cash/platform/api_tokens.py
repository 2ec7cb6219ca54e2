"""API tokens for integrations (接口令牌): scoped, expiring, stored only as a hash.

A token acts as one staff user (usually a service user such as ``bank_icbc``) and may do only the
actions in its scopes *and* granted to that user's roles: a bank's token scoped to payments can
post payments and nothing else, whatever else its user could do. The token text is shown once,
when it is issued; the database keeps its SHA-256. Issue and revoke are audited.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from meter2cash.platform.audit import record_audit
from meter2cash.platform.db import Base
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action
from meter2cash.platform.users import Actor, User, resolve_actor

TOKEN_PREFIX = "m2c_"


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(1000))  # comma-separated Action values
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))


class TokenRefused(PermissionError):
    """No such token, or expired, or revoked (the API answers 401)."""


@dataclass(frozen=True, slots=True)
class TokenActor:
    actor: Actor
    scopes: frozenset[Action]
    token_id: int


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    session: Session,
    *,
    actor: str,
    at: datetime,
    username: str,
    name: str,
    scopes: set[Action],
    expires_at: datetime,
) -> tuple[ApiToken, str]:
    """Create a token for ``username``; returns the row and the token text (shown only now)."""
    if not scopes:
        raise ValueError(_("A token needs at least one scope."))
    if expires_at <= at:
        raise ValueError(_("A token must expire in the future."))
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise ValueError(_("Unknown or inactive user: {name}").format(name=username))
    text = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        name=name,
        user_id=user.id,
        token_hash=_digest(text),
        scopes=",".join(sorted(a.value for a in scopes)),
        expires_at=expires_at,
        created_by=actor,
    )
    session.add(row)
    session.flush()
    record_audit(
        session,
        at=at,
        actor=actor,
        action="api_token.issue",
        object_type="api_token",
        object_id=str(row.id),
        after={"name": name, "user": username, "scopes": row.scopes, "expires_at": expires_at.isoformat()},
    )
    return row, text


def revoke_token(session: Session, *, actor: str, at: datetime, token_id: int) -> None:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise ValueError(_("No API token with id {id}").format(id=token_id))
    if row.revoked_at is None:
        row.revoked_at = at
        record_audit(
            session,
            at=at,
            actor=actor,
            action="api_token.revoke",
            object_type="api_token",
            object_id=str(row.id),
            after={"revoked_at": at.isoformat()},
        )


def token_actor(session: Session, *, token: str, at: datetime) -> TokenActor:
    """The user a presented token acts as, and its scopes; refuses unknown, expired or revoked."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or row.revoked_at is not None or _aware(row.expires_at) <= at:
        raise TokenRefused(_("The API token is unknown, expired or revoked."))
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise TokenRefused(_("The API token is unknown, expired or revoked."))
    return TokenActor(
        actor=resolve_actor(session, username=user.username),
        scopes=frozenset(Action(s) for s in row.scopes.split(",") if s),
        token_id=row.id,
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
