"""What the prepaid services read from the archive and the tariff catalog: an account, the meter
installed on its service point on a day (with the multiplier), and its tariff's versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from meter2cash.billing.catalog import stored_tariff
from meter2cash.billing.model import TariffVersion
from meter2cash.billing.tariff import Tariff
from meter2cash.platform.errors import InputRefused, NotFound
from meter2cash.platform.i18n import gettext as _
from meter2cash.registry.model import Account, Customer, Meter, MeterInstall, ServicePoint, TariffAssignment


@dataclass(frozen=True, slots=True)
class InstalledMeter:
    meter_id: int
    meter_no: str
    address: str
    host: str | None
    port: int | None
    multiplier: Decimal


def find_account(session: Session, *, account_no: str) -> Account:
    account = session.scalar(select(Account).where(Account.account_no == account_no))
    if account is None:
        raise NotFound(_("No account {account_no}.").format(account_no=account_no))
    return account


def customer_of(session: Session, *, account: Account) -> Customer:
    customer = session.get(Customer, account.customer_id)
    assert customer is not None
    return customer


def installed_meter(session: Session, *, account_id: int, on: date) -> InstalledMeter | None:
    """The meter on the account's customer service point on ``on`` (None when there is none)."""
    row = session.execute(
        select(Meter, MeterInstall.multiplier)
        .join(MeterInstall, MeterInstall.meter_id == Meter.id)
        .join(ServicePoint, ServicePoint.id == MeterInstall.service_point_id)
        .where(
            ServicePoint.account_id == account_id,
            ServicePoint.kind == "customer",
            MeterInstall.installed_on <= on,
            or_(MeterInstall.removed_on.is_(None), MeterInstall.removed_on > on),
        )
        .order_by(MeterInstall.installed_on.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    meter, multiplier = row
    return InstalledMeter(
        meter.id, meter.meter_no, meter.dlt645_address, meter.comm_host, meter.comm_port, multiplier
    )


def tariff_code(session: Session, *, account_id: int, on: date) -> str | None:
    """The catalog code the account is billed on on ``on``."""
    return session.scalar(
        select(TariffAssignment.tariff_code).where(
            TariffAssignment.account_id == account_id,
            TariffAssignment.effective_from <= on,
            or_(TariffAssignment.effective_to.is_(None), TariffAssignment.effective_to > on),
        )
    )


def tariff_versions(session: Session, *, code: str) -> list[Tariff]:
    """Every stored version of a catalog tariff."""
    rows = session.scalars(select(TariffVersion).where(TariffVersion.code == code))
    return [stored_tariff(row) for row in rows]


def tariff_on(session: Session, *, account: Account, on: date) -> Tariff:
    """The version of the account's tariff in force on ``on``, or `InputRefused` saying what is missing."""
    code = tariff_code(session, account_id=account.id, on=on)
    if code is None:
        raise InputRefused(
            _("Account {account_no} has no tariff on {day}.").format(
                account_no=account.account_no, day=on.isoformat()
            )
        )
    found = [t for t in tariff_versions(session, code=code) if t.effective_on(on)]
    if len(found) != 1:
        raise InputRefused(
            _("The tariff {code} has no version in force on {day}.").format(code=code, day=on.isoformat())
        )
    return found[0]
