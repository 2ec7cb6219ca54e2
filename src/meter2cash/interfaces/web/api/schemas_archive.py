"""Schemas of the archive (档案) API: the account search and one account's detail. Decimals
(capacities, ratios, registers) are strings; dates ISO ``YYYY-MM-DD``."""

from __future__ import annotations

from pydantic import BaseModel


class AccountSummaryOut(BaseModel):
    account_no: str
    customer_code: str
    customer_name: str
    address: str | None
    category: str
    status: str
    route_book: str
    transformer_area: str


class CustomerOut(BaseModel):
    code: str
    name: str
    phone: str | None
    address: str | None


class RouteBookOut(BaseModel):
    code: str
    name: str
    reading_day: int
    reader: str | None


class AreaOut(BaseModel):
    code: str
    name: str
    capacity_kva: str


class AccountOut(BaseModel):
    account_no: str
    category: str
    voltage_level: str
    contract_capacity_kva: str
    pf_standard: str
    payment_mode: str
    important: bool
    low_income: bool
    status: str
    opened_on: str
    closed_on: str | None
    basic_charge_by: str
    contract_demand_kw: str | None
    transformer_loss_kwh: str | None
    transformer_loss_kvarh: str | None
    line_loss_kwh: str | None
    master_account_no: str | None


class InstallOut(BaseModel):
    """One meter on the service point for ``[installed_on, removed_on)``."""

    meter_no: str
    dlt645_address: str
    tou_registers: list[str]
    integer_digits: int
    decimal_digits: int
    installed_on: str
    removed_on: str | None
    ct_ratio: str
    pt_ratio: str
    multiplier: str
    start_total: str
    end_total: str | None


class ServicePointOut(BaseModel):
    code: str
    kind: str
    installs: list[InstallOut]


class TariffAssignmentOut(BaseModel):
    tariff_code: str
    effective_from: str
    effective_to: str | None


class EnergySplitOut(BaseModel):
    tariff_code: str
    kwh: str | None
    ratio: str | None
    effective_from: str
    effective_to: str | None


class AccountDetailOut(BaseModel):
    customer: CustomerOut
    account: AccountOut
    route_book: RouteBookOut
    transformer_area: AreaOut
    service_points: list[ServicePointOut]
    tariff_assignments: list[TariffAssignmentOut]
    energy_splits: list[EnergySplitOut]
