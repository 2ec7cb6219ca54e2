"""Archive use cases (档案维护): meter installation, removal and replacement (换表), tariff
assignment. Each opens one unit of work as a named user, checks the role, writes the change and
its audit record together.

Database constraints back these rules up: install periods never overlap on a service point, a
meter is on one point at a time, tariff periods on an account never overlap, multipliers are
positive. A violation is reported as a refusal a clerk can act on, never as a stack trace.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from meter2cash.platform.audit import record_audit
from meter2cash.platform.context import AppContext, use_case
from meter2cash.platform.errors import InputRefused, NotFound, Problem
from meter2cash.platform.i18n import gettext as _
from meter2cash.platform.permissions import Action
from meter2cash.registry.model import Account, Meter, MeterInstall, ServicePoint, TariffAssignment
from meter2cash.registry.registers import RegisterSet

_ONE_DAY = timedelta(days=1)

CONSTRAINT_MESSAGES = {
    "no_overlapping_installs_on_point": "The service point already has a meter installed in that period.",
    "meter_on_one_point_at_a_time": "That meter is installed elsewhere in that period.",
    "no_overlapping_tariffs": "The account already has a tariff in that period.",
    "multiplier_positive": "The multiplier must be positive.",
}


@contextmanager
def _constraint_errors() -> Iterator[None]:
    try:
        yield
    except IntegrityError as error:
        text = str(error.orig)
        for name, message in CONSTRAINT_MESSAGES.items():
            if name in text:
                raise InputRefused(_(message), [Problem(reason=_(message))]) from None
        raise InputRefused(_("The change breaks an archive rule: {detail}").format(detail=text)) from None


def _point(session: Session, code: str) -> ServicePoint:
    point = session.scalar(select(ServicePoint).where(ServicePoint.code == code))
    if point is None:
        raise NotFound(_("Unknown service point: {code}").format(code=code))
    return point


def _meter(session: Session, meter_no: str) -> Meter:
    meter = session.scalar(select(Meter).where(Meter.meter_no == meter_no))
    if meter is None:
        raise NotFound(_("Unknown meter: {code}").format(code=meter_no))
    return meter


def current_install(session: Session, *, service_point_id: int, on: date) -> MeterInstall | None:
    query = select(MeterInstall).where(
        MeterInstall.service_point_id == service_point_id,
        MeterInstall.installed_on <= on,
        (MeterInstall.removed_on.is_(None)) | (MeterInstall.removed_on > on),
    )
    return session.scalar(query)


def _install_snapshot(install: MeterInstall, meter_no: str) -> dict[str, object]:
    return {
        "meter_no": meter_no,
        "installed_on": install.installed_on,
        "removed_on": install.removed_on,
        "ct_ratio": install.ct_ratio,
        "pt_ratio": install.pt_ratio,
        "multiplier": install.multiplier,
        "start_total": install.start_total,
        "end_total": install.end_total,
    }


def _remove(session: Session, install: MeterInstall, *, on: date, final: RegisterSet) -> dict[str, object]:
    if on <= install.installed_on:
        raise InputRefused(_("A meter cannot be removed on or before the day it was installed."))
    if final.total < install.start_total:
        raise InputRefused(_("The final reading is below the reading at installation."))
    before = _install_snapshot(install, install.meter.meter_no)
    install.removed_on = on
    install.end_total, install.end_sharp, install.end_peak = final.total, final.sharp, final.peak
    install.end_flat, install.end_valley = final.flat, final.valley
    return before


def _install(
    session: Session,
    *,
    point: ServicePoint,
    meter: Meter,
    on: date,
    ct_ratio: Decimal,
    pt_ratio: Decimal,
    start: RegisterSet,
) -> MeterInstall:
    if ct_ratio <= 0 or pt_ratio <= 0:
        raise InputRefused(_("CT and PT ratios must be positive."))
    install = MeterInstall(
        meter_id=meter.id,
        service_point_id=point.id,
        installed_on=on,
        ct_ratio=ct_ratio,
        pt_ratio=pt_ratio,
        multiplier=ct_ratio * pt_ratio,
        start_total=start.total,
        start_sharp=start.sharp,
        start_peak=start.peak,
        start_flat=start.flat,
        start_valley=start.valley,
    )
    session.add(install)
    session.flush()
    return install


def remove_meter(
    ctx: AppContext, *, actor: str, service_point: str, on: date, final: RegisterSet, reason: str
) -> None:
    """Take the meter off a service point on ``on`` (its last day is the day before) with its
    final register readings (拆表示数)."""
    with use_case(ctx, actor=actor, action=Action.METER_INSTALL) as (session, who), _constraint_errors():
        point = _point(session, service_point)
        install = current_install(session, service_point_id=point.id, on=on - _ONE_DAY)
        if install is None:
            raise NotFound(_("No meter is installed on {code} on that day.").format(code=service_point))
        before = _remove(session, install, on=on, final=final)
        session.flush()
        record_audit(
            session,
            at=ctx.clock.now(),
            actor=who.username,
            action="meter.remove",
            object_type="service_point",
            object_id=service_point,
            before=before,
            after=_install_snapshot(install, install.meter.meter_no),
            reason=reason,
        )


def replace_meter(
    ctx: AppContext,
    *,
    actor: str,
    service_point: str,
    on: date,
    old_final: RegisterSet,
    new_meter_no: str,
    new_address: str,
    new_start: RegisterSet,
    ct_ratio: Decimal,
    pt_ratio: Decimal,
    reason: str,
    integer_digits: int | None = None,
    decimal_digits: int | None = None,
    tou_registers: str | None = None,
    comm_endpoint: tuple[str, int] | None = None,
) -> None:
    """换表: remove the old meter with its final readings and install a new one the same day.

    The new meter is registered if it is not in the archive yet; unless told otherwise it keeps
    the old meter's register layout and communication endpoint.
    """
    with use_case(ctx, actor=actor, action=Action.METER_INSTALL) as (session, who), _constraint_errors():
        point = _point(session, service_point)
        old = current_install(session, service_point_id=point.id, on=on - _ONE_DAY)
        if old is None:
            raise NotFound(_("No meter is installed on {code} on that day.").format(code=service_point))
        before = _remove(session, old, on=on, final=old_final)
        meter = session.scalar(select(Meter).where(Meter.meter_no == new_meter_no))
        if meter is None:
            host, port = comm_endpoint or (old.meter.comm_host, old.meter.comm_port)
            meter = Meter(
                meter_no=new_meter_no,
                dlt645_address=new_address,
                comm_host=host,
                comm_port=port,
                integer_digits=integer_digits or old.meter.integer_digits,
                decimal_digits=old.meter.decimal_digits if decimal_digits is None else decimal_digits,
                tou_registers=old.meter.tou_registers if tou_registers is None else tou_registers,
            )
            session.add(meter)
            session.flush()
        session.flush()
        new = _install(
            session, point=point, meter=meter, on=on, ct_ratio=ct_ratio, pt_ratio=pt_ratio, start=new_start
        )
        record_audit(
            session,
            at=ctx.clock.now(),
            actor=who.username,
            action="meter.replace",
            object_type="service_point",
            object_id=service_point,
            before=before,
            after={
                "removed": _install_snapshot(old, old.meter.meter_no),
                "installed": _install_snapshot(new, meter.meter_no),
            },
            reason=reason,
        )


def install_meter(
    ctx: AppContext,
    *,
    actor: str,
    service_point: str,
    meter_no: str,
    on: date,
    ct_ratio: Decimal,
    pt_ratio: Decimal,
    start: RegisterSet,
    reason: str,
) -> None:
    """Install an archived meter on a service point from ``on``."""
    with use_case(ctx, actor=actor, action=Action.METER_INSTALL) as (session, who), _constraint_errors():
        point = _point(session, service_point)
        meter = _meter(session, meter_no)
        install = _install(
            session, point=point, meter=meter, on=on, ct_ratio=ct_ratio, pt_ratio=pt_ratio, start=start
        )
        record_audit(
            session,
            at=ctx.clock.now(),
            actor=who.username,
            action="meter.install",
            object_type="service_point",
            object_id=service_point,
            after=_install_snapshot(install, meter_no),
            reason=reason,
        )


def assign_tariff(
    ctx: AppContext, *, actor: str, account_no: str, tariff_code: str, effective_from: date, reason: str
) -> None:
    """Bill an account on ``tariff_code`` from ``effective_from``; the open assignment before it
    ends that day (half-open periods meet without gap or overlap)."""
    with use_case(ctx, actor=actor, action=Action.TARIFF_ASSIGN) as (session, who), _constraint_errors():
        account = session.scalar(select(Account).where(Account.account_no == account_no))
        if account is None:
            raise NotFound(_("Unknown account: {code}").format(code=account_no))
        open_one = session.scalar(
            select(TariffAssignment).where(
                TariffAssignment.account_id == account.id, TariffAssignment.effective_to.is_(None)
            )
        )
        before = None
        if open_one is not None:
            if open_one.effective_from >= effective_from:
                raise InputRefused(_("The new tariff must start after the current one started."))
            before = {
                "tariff_code": open_one.tariff_code,
                "effective_from": open_one.effective_from,
                "effective_to": None,
            }
            open_one.effective_to = effective_from
            session.flush()
        session.add(
            TariffAssignment(account_id=account.id, tariff_code=tariff_code, effective_from=effective_from)
        )
        session.flush()
        record_audit(
            session,
            at=ctx.clock.now(),
            actor=who.username,
            action="tariff.assign",
            object_type="account",
            object_id=account_no,
            before=before,
            after={"tariff_code": tariff_code, "effective_from": effective_from},
            reason=reason,
        )
