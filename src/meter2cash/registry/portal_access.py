"""Customer portal access (网上营业厅): enrolment, activation, login and the reminder preference.

The rules:

- **Enrolment** is done by staff at the counter (``portal.enrol``): `issue_activation_code` makes
  a random 8-digit code, keeps only its argon2 hash with an expiry (``ACTIVATION_CODE_DAYS``) and
  returns the code once — it is never stored or audited in clear. Issuing again replaces the old
  code and lifts a lockout (the clerk has just seen the customer); a password already set keeps
  working until the new code is used, which is how a forgotten password is reset.
- **Activation**: account number + the code, not expired and not used, sets the customer's
  password (at least 8 characters) and clears the code, so a code works once.
- **Login**: account number + password. A wrong code or a wrong password counts towards the same
  lockout as staff logins: after ``MAX_FAILED_LOGINS`` failures the account is locked for
  ``LOCKOUT`` (``platform.users``). A refusal never says whether the account exists.
- **Reminders**: the channel is one of ``REMINDER_CHANNELS``; ``sms`` needs a mainland mobile
  number and ``email`` an e-mail address; ``letter`` goes to the address on file and ``none``
  needs no contact.

Every state change writes its audit record in the same unit of work; customers act as
``customer:<account no>``. Refusals of activation and login are returned, not raised, so the
unit of work still commits the failure count and the lockout.
"""

from __future__ import annotations

import re
import secrets
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from meter2cash.platform.audit import record_audit
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.db import unit_of_work
from meter2cash.platform.errors import InputRefused, NotFound, Problem
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action
from meter2cash.platform.users import LOCKOUT, MAX_FAILED_LOGINS, hash_password
from meter2cash.registry.model import Account
from meter2cash.registry.portal_model import REMINDER_CHANNELS, PortalUser

# How long an activation code is valid after a clerk issues it. A module constant on purpose:
# the bureau's counter practice, not a deployment setting.
ACTIVATION_CODE_DAYS = 14
CODE_DIGITS = 8
MIN_PASSWORD = 8

_hasher = PasswordHasher()

_MOBILE = re.compile(r"1[3-9]\d{9}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_PHONE_NOISE = re.compile(r"[\s\-()]")


@dataclass(frozen=True, slots=True)
class ActivationCode:
    """A code as issued: shown once to the clerk, who hands it to the customer."""

    account_no: str
    code: str
    expires_at: datetime

    def as_json(self) -> dict[str, str]:
        return {"account_no": self.account_no, "code": self.code, "expires_at": self.expires_at.isoformat()}


@dataclass(frozen=True, slots=True)
class PortalLogin:
    """The outcome of an activation or a login: the account id, or the refusal in words."""

    account_id: int | None
    refusal: str | None = None


@dataclass(frozen=True, slots=True)
class ReminderPreference:
    channel: str
    contact: str | None


def customer_actor(account_no: str) -> str:
    """The audit actor of a customer acting in the portal."""
    return f"customer:{account_no}"


def issue_activation_code(ctx: AppContext, *, actor: str | None, account_no: str) -> ActivationCode:
    """Give the account a new one-time activation code (replacing any earlier one) and return it.

    Only its hash is stored; it expires after ``ACTIVATION_CODE_DAYS``. Lifts a lockout.
    """
    with use_case(ctx, actor=actor, action=Action.PORTAL_ENROL) as (session, who):
        account = session.scalar(select(Account).where(Account.account_no == account_no.strip()))
        if account is None:
            raise NotFound(_("No account {account}").format(account=account_no))
        now = ctx.clock.now()
        user = session.scalar(select(PortalUser).where(PortalUser.account_id == account.id))
        reissued = user is not None and user.code_hash is not None
        if user is None:
            user = PortalUser(account_id=account.id, failed_logins=0, reminder_channel="sms")
            session.add(user)
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        user.code_hash = _hasher.hash(code)
        user.code_expires_at = now + timedelta(days=ACTIVATION_CODE_DAYS)
        user.failed_logins = 0
        user.locked_until = None
        session.flush()
        record_audit(
            session,
            at=now,
            actor=who.username,
            action="portal.enrol",
            object_type="portal_user",
            object_id=account.account_no,
            after={
                "code_expires_at": user.code_expires_at.isoformat(),
                "replaces_code": reissued,
                "activated": user.password_hash is not None,
            },
        )
        return ActivationCode(account_no=account.account_no, code=code, expires_at=user.code_expires_at)


def activate(ctx: AppContext, *, account_no: str, code: str, password: str) -> PortalLogin:
    """Set the portal password with the account's activation code; the code then stops working.

    A password shorter than ``MIN_PASSWORD`` is refused (`InputRefused`) before the code is looked
    at. A wrong, used or unknown code counts towards the lockout; an expired one is refused as such.
    """
    if len(password) < MIN_PASSWORD:
        raise InputRefused(
            _("A password needs at least 8 characters."),
            [Problem(_("A password needs at least 8 characters."), column="password")],
        )
    typed = re.sub(r"\s", "", code)
    now = ctx.clock.now()
    with unit_of_work(ctx.sessions) as session:
        found = _portal_user(session, account_no=account_no)
        if found is None:
            _hasher_burn(typed)
            return PortalLogin(None, _("Wrong account number or activation code."))
        account, user = found
        if _locked(user, now):
            return PortalLogin(None, _locked_text())
        if not _matches(user.code_hash, typed):
            return _failed(session, account=account, user=user, at=now, refusal=_wrong_code_text())
        if user.code_expires_at is None or _aware(user.code_expires_at) <= now:
            return PortalLogin(
                None, _("This activation code has expired; ask the service hall for a new one.")
            )
        first = user.password_hash is None
        user.password_hash = hash_password(password)
        user.code_hash = None
        user.code_expires_at = None
        user.failed_logins = 0
        user.locked_until = None
        if first:
            user.activated_at = now
        record_audit(
            session,
            at=now,
            actor=customer_actor(account.account_no),
            action="portal.activate",
            object_type="portal_user",
            object_id=account.account_no,
            after={"password_set": True, "first_activation": first},
        )
        return PortalLogin(account.id)


def authenticate_customer(ctx: AppContext, *, account_no: str, password: str) -> PortalLogin:
    """Check an activated customer's password, with the staff lockout rules; audit the login."""
    now = ctx.clock.now()
    with unit_of_work(ctx.sessions) as session:
        found = _portal_user(session, account_no=account_no)
        if found is None or found[1].password_hash is None:
            _hasher_burn(password)
            return PortalLogin(None, _("Wrong account number or password."))
        account, user = found
        if _locked(user, now):
            return PortalLogin(None, _locked_text())
        if not _matches(user.password_hash, password):
            return _failed(
                session, account=account, user=user, at=now, refusal=_("Wrong account number or password.")
            )
        user.failed_logins = 0
        user.locked_until = None
        record_audit(
            session,
            at=now,
            actor=customer_actor(account.account_no),
            action="portal.login",
            object_type="portal_user",
            object_id=account.account_no,
            after={"via": "web"},
        )
        return PortalLogin(account.id)


def check_reminder(*, channel: str, contact: str | None) -> str | None:
    """The contact to store for ``channel``, normalised; `InputRefused` naming what is wrong.

    ``sms``: a mainland mobile number (11 digits starting 13–19; spaces, dashes and a +86 prefix
    are dropped). ``email``: something@domain.tld. ``letter`` and ``none``: no contact (letters go
    to the address on file).
    """
    text = (contact or "").strip()
    if channel not in REMINDER_CHANNELS:
        raise InputRefused(
            _("Reminders not saved"),
            [Problem(_("unknown reminder channel"), column="channel", value=channel)],
        )
    if channel == "sms":
        digits = _PHONE_NOISE.sub("", text)
        digits = digits.removeprefix("+86")
        digits = digits[2:] if len(digits) == 13 and digits.startswith("86") else digits
        if not _MOBILE.fullmatch(digits):
            raise InputRefused(
                _("Reminders not saved"),
                [Problem(_("a mobile number has 11 digits and starts with 1"), column="contact", value=text)],
            )
        return digits
    if channel == "email":
        if len(text) > 200 or not _EMAIL.fullmatch(text):
            raise InputRefused(
                _("Reminders not saved"),
                [Problem(_("this is not an e-mail address"), column="contact", value=text[:200])],
            )
        return text
    return None


def set_reminders(
    ctx: AppContext, *, account_id: int, channel: str, contact: str | None
) -> ReminderPreference:
    """Save how the customer wants payment reminders (read by dunning later); audited."""
    stored = check_reminder(channel=channel, contact=contact)
    with unit_of_work(ctx.sessions) as session:
        account = session.get(Account, account_id)
        user = session.scalar(select(PortalUser).where(PortalUser.account_id == account_id))
        if account is None or user is None or user.password_hash is None:
            raise NotFound(_("This account is not enrolled in the portal."))
        before = {"channel": user.reminder_channel, "contact": user.reminder_contact}
        user.reminder_channel, user.reminder_contact = channel, stored
        record_audit(
            session,
            at=ctx.clock.now(),
            actor=customer_actor(account.account_no),
            action="portal.reminders",
            object_type="portal_user",
            object_id=account.account_no,
            before=before,
            after={"channel": channel, "contact": stored},
        )
        return ReminderPreference(channel=channel, contact=stored)


def reminder_preference(ctx: AppContext, *, account_id: int) -> ReminderPreference:
    """The customer's current reminder channel and contact."""
    with unit_of_work(ctx.sessions) as session:
        user = session.scalar(select(PortalUser).where(PortalUser.account_id == account_id))
        if user is None:
            raise NotFound(_("This account is not enrolled in the portal."))
        return ReminderPreference(channel=user.reminder_channel, contact=user.reminder_contact)


def _portal_user(session: Session, *, account_no: str) -> tuple[Account, PortalUser] | None:
    row = session.execute(
        select(Account, PortalUser)
        .join(PortalUser, PortalUser.account_id == Account.id)
        .where(Account.account_no == account_no.strip())
    ).first()
    return None if row is None else (row[0], row[1])


def _matches(stored: str | None, typed: str) -> bool:
    if stored is None:
        _hasher_burn(typed)
        return False
    try:
        return bool(_hasher.verify(stored, typed))
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_hex(16))


def _hasher_burn(typed: str) -> None:
    """Spend the time of one verification, so a refusal takes as long whatever its reason (it does
    not tell which account numbers are enrolled)."""
    with suppress(VerificationError, InvalidHashError):
        _hasher.verify(_dummy_hash(), typed)


def _failed(
    session: Session, *, account: Account, user: PortalUser, at: datetime, refusal: str
) -> PortalLogin:
    user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins >= MAX_FAILED_LOGINS:
        user.locked_until = at + LOCKOUT
        user.failed_logins = 0
        record_audit(
            session,
            at=at,
            actor=customer_actor(account.account_no),
            action="portal.locked",
            object_type="portal_user",
            object_id=account.account_no,
            reason="repeated failed portal logins or activations",
        )
    return PortalLogin(None, refusal)


def _locked(user: PortalUser, now: datetime) -> bool:
    return user.locked_until is not None and _aware(user.locked_until) > now


def _locked_text() -> str:
    return _("This account is locked after repeated failures; try again later.")


def _wrong_code_text() -> str:
    return _("Wrong account number or activation code.")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
