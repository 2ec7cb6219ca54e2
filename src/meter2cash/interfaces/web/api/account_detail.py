"""One account of the archive (户档案) over the API: its customer, route book and area, each
service point with the meters installed on it over time (换表记录), its tariff assignments and
定量定比 splits. Read-only (``archive.read``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from meter2cash.interfaces.web.api.archive import AccountNo, find_account, text
from meter2cash.interfaces.web.api.deps import ArchiveReader, Ctx
from meter2cash.interfaces.web.api.schemas_archive import AccountDetailOut
from meter2cash.platform.context import use_case
from meter2cash.platform.permissions import Action
from meter2cash.registry.model import (
    Account,
    Customer,
    EnergySplit,
    Meter,
    MeterInstall,
    ServicePoint,
    TariffAssignment,
)

router = APIRouter(tags=["archive"])


@router.get("/accounts/{account_no}", response_model=AccountDetailOut, summary="One account (户档案)")
def account_detail(who: ArchiveReader, ctx: Ctx, account_no: AccountNo) -> dict[str, Any]:
    """The account with its customer, route book and area, each service point with the meters
    installed on it over time (oldest first), its tariff assignments and 定量定比 splits."""
    with use_case(ctx, actor=who.username, action=Action.ARCHIVE_READ) as (session, _who):
        account = find_account(session, account_no=account_no)
        return {
            "customer": _customer(account.customer),
            "account": _account(session, account),
            "route_book": {
                "code": account.route_book.code,
                "name": account.route_book.name,
                "reading_day": account.route_book.reading_day,
                "reader": account.route_book.reader,
            },
            "transformer_area": {
                "code": account.transformer_area.code,
                "name": account.transformer_area.name,
                "capacity_kva": str(account.transformer_area.capacity_kva),
            },
            "service_points": _service_points(session, account.id),
            "tariff_assignments": [
                {
                    "tariff_code": t.tariff_code,
                    "effective_from": text(t.effective_from),
                    "effective_to": text(t.effective_to),
                }
                for t in session.scalars(
                    select(TariffAssignment)
                    .where(TariffAssignment.account_id == account.id)
                    .order_by(TariffAssignment.effective_from)
                )
            ],
            "energy_splits": [
                {
                    "tariff_code": s.tariff_code,
                    "kwh": text(s.kwh),
                    "ratio": text(s.ratio),
                    "effective_from": text(s.effective_from),
                    "effective_to": text(s.effective_to),
                }
                for s in session.scalars(
                    select(EnergySplit)
                    .where(EnergySplit.account_id == account.id)
                    .order_by(EnergySplit.effective_from)
                )
            ],
        }


def _customer(customer: Customer) -> dict[str, Any]:
    return {
        "code": customer.code,
        "name": customer.name,
        "phone": customer.phone,
        "address": customer.address,
    }


def _account(session: Session, account: Account) -> dict[str, Any]:
    master = session.get(Account, account.master_account_id) if account.master_account_id else None
    return {
        "account_no": account.account_no,
        "category": account.category,
        "voltage_level": account.voltage_level,
        "contract_capacity_kva": str(account.contract_capacity_kva),
        "pf_standard": account.pf_standard,
        "payment_mode": account.payment_mode,
        "important": account.important,
        "low_income": account.low_income,
        "status": account.status,
        "opened_on": text(account.opened_on),
        "closed_on": text(account.closed_on),
        "basic_charge_by": account.basic_charge_by,
        "contract_demand_kw": text(account.contract_demand_kw),
        "transformer_loss_kwh": text(account.transformer_loss_kwh),
        "transformer_loss_kvarh": text(account.transformer_loss_kvarh),
        "line_loss_kwh": text(account.line_loss_kwh),
        "master_account_no": master.account_no if master else None,
    }


def _service_points(session: Session, account_id: int) -> list[dict[str, Any]]:
    points = list(
        session.scalars(
            select(ServicePoint).where(ServicePoint.account_id == account_id).order_by(ServicePoint.code)
        )
    )
    installs: dict[int, list[dict[str, Any]]] = {p.id: [] for p in points}
    rows = session.execute(
        select(MeterInstall, Meter)
        .join(Meter, Meter.id == MeterInstall.meter_id)
        .where(MeterInstall.service_point_id.in_(list(installs) or [-1]))
        .order_by(MeterInstall.installed_on, MeterInstall.id)
    )
    for install, meter in rows:
        installs[install.service_point_id].append(
            {
                "meter_no": meter.meter_no,
                "dlt645_address": meter.dlt645_address,
                "tou_registers": [r for r in meter.tou_registers.split(",") if r],
                "integer_digits": meter.integer_digits,
                "decimal_digits": meter.decimal_digits,
                "installed_on": text(install.installed_on),
                "removed_on": text(install.removed_on),
                "ct_ratio": str(install.ct_ratio),
                "pt_ratio": str(install.pt_ratio),
                "multiplier": str(install.multiplier),
                "start_total": str(install.start_total),
                "end_total": text(install.end_total),
            }
        )
    return [{"code": p.code, "kind": p.kind, "installs": installs[p.id]} for p in points]
