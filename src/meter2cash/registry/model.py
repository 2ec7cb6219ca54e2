"""Storage model of the archive (档案): customers, accounts (户号), service points (计量点),
meters and their install history, transformer areas (台区), route books (抄表段), tariff
assignments.

Integrity that must always hold is in the database (see the migration): install periods on a
service point and tariff periods on an account never overlap, multipliers are positive, reading
days are 1–28, digit counts are sane.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from meter2cash.platform.db import Base
from meter2cash.platform.db_types import ExactDecimal

READING = ExactDecimal(scale=4, precision=18)
RATIO = ExactDecimal(scale=4, precision=18)


class Customer(Base):
    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(300))

    accounts: Mapped[list[Account]] = relationship(back_populates="customer")


class TransformerArea(Base):
    __tablename__ = "transformer_area"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    capacity_kva: Mapped[Decimal] = mapped_column(RATIO)
    supply_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_point.id", use_alter=True, name="fk_transformer_area_supply_point")
    )

    __table_args__ = (CheckConstraint("capacity_kva > 0", name="capacity_positive"),)


class RouteBook(Base):
    __tablename__ = "route_book"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    reading_day: Mapped[int] = mapped_column(Integer)
    reader: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (CheckConstraint("reading_day BETWEEN 1 AND 28", name="reading_day_range"),)


class Account(Base):
    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_no: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    voltage_level: Mapped[str] = mapped_column(String(10))
    contract_capacity_kva: Mapped[Decimal] = mapped_column(RATIO)
    pf_standard: Mapped[str] = mapped_column(String(8))
    payment_mode: Mapped[str] = mapped_column(String(20))
    important: Mapped[bool] = mapped_column(Boolean, default=False)
    low_income: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12), default="active")
    route_book_id: Mapped[int] = mapped_column(ForeignKey("route_book.id"), index=True)
    transformer_area_id: Mapped[int] = mapped_column(ForeignKey("transformer_area.id"), index=True)
    opened_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    # Two-part contract (两部制): how the basic charge is set, and the contract maximum demand.
    basic_charge_by: Mapped[str] = mapped_column(String(16), default="capacity", server_default="capacity")
    contract_demand_kw: Mapped[Decimal | None] = mapped_column(RATIO)
    # 高供低计: monthly losses from the transformer's loss table, added before pricing.
    transformer_loss_kwh: Mapped[Decimal | None] = mapped_column(RATIO)
    transformer_loss_kvarh: Mapped[Decimal | None] = mapped_column(RATIO)
    line_loss_kwh: Mapped[Decimal | None] = mapped_column(RATIO)
    # 套扣: this account's meter is a sub-meter behind the master account's meter.
    master_account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)

    customer: Mapped[Customer] = relationship(back_populates="accounts")
    route_book: Mapped[RouteBook] = relationship()
    transformer_area: Mapped[TransformerArea] = relationship()

    __table_args__ = (
        CheckConstraint("contract_capacity_kva >= 0", name="capacity_not_negative"),
        CheckConstraint("closed_on IS NULL OR closed_on > opened_on", name="closed_after_opened"),
        CheckConstraint(
            "category IN ('residential','general','large_industry','agriculture')", name="category_known"
        ),
        CheckConstraint("pf_standard IN ('0.90','0.85','0.80','none')", name="pf_standard_known"),
        CheckConstraint(
            "payment_mode IN ('postpaid','smart_prepaid','card_prepaid')", name="payment_mode_known"
        ),
        CheckConstraint("status IN ('active','suspended','closed')", name="status_known"),
        CheckConstraint(
            "basic_charge_by IN ('capacity','contract_demand','actual_demand')", name="basic_charge_by_known"
        ),
        CheckConstraint(
            "contract_demand_kw IS NULL OR contract_demand_kw > 0", name="contract_demand_positive"
        ),
        CheckConstraint("master_account_id IS NULL OR master_account_id <> id", name="not_own_master"),
    )


class ServicePoint(Base):
    __tablename__ = "service_point"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"), index=True)

    __table_args__ = (
        CheckConstraint("kind IN ('customer','area_supply')", name="kind_known"),
        CheckConstraint("kind = 'area_supply' OR account_id IS NOT NULL", name="customer_point_has_account"),
    )


class Meter(Base):
    __tablename__ = "meter"

    id: Mapped[int] = mapped_column(primary_key=True)
    meter_no: Mapped[str] = mapped_column(String(32), unique=True)
    dlt645_address: Mapped[str] = mapped_column(String(12), unique=True)
    comm_host: Mapped[str | None] = mapped_column(String(100))
    comm_port: Mapped[int | None] = mapped_column(Integer)
    integer_digits: Mapped[int] = mapped_column(Integer)
    decimal_digits: Mapped[int] = mapped_column(Integer)
    tou_registers: Mapped[str] = mapped_column(String(40), default="")  # e.g. "sharp,peak,flat,valley"

    __table_args__ = (
        CheckConstraint("integer_digits BETWEEN 4 AND 8", name="integer_digits_range"),
        CheckConstraint("decimal_digits BETWEEN 0 AND 4", name="decimal_digits_range"),
        CheckConstraint("comm_port IS NULL OR comm_port BETWEEN 1 AND 65535", name="port_range"),
    )


class MeterInstall(Base):
    """One meter on one service point for ``[installed_on, removed_on)``, with its multiplier
    (倍率 = CT ratio × PT ratio) and its register readings at install and removal."""

    __tablename__ = "meter_install"

    id: Mapped[int] = mapped_column(primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meter.id"), index=True)
    service_point_id: Mapped[int] = mapped_column(ForeignKey("service_point.id"), index=True)
    installed_on: Mapped[date] = mapped_column(Date)
    removed_on: Mapped[date | None] = mapped_column(Date)
    ct_ratio: Mapped[Decimal] = mapped_column(RATIO)
    pt_ratio: Mapped[Decimal] = mapped_column(RATIO)
    multiplier: Mapped[Decimal] = mapped_column(RATIO)
    start_total: Mapped[Decimal] = mapped_column(READING)
    start_sharp: Mapped[Decimal | None] = mapped_column(READING)
    start_peak: Mapped[Decimal | None] = mapped_column(READING)
    start_flat: Mapped[Decimal | None] = mapped_column(READING)
    start_valley: Mapped[Decimal | None] = mapped_column(READING)
    end_total: Mapped[Decimal | None] = mapped_column(READING)
    end_sharp: Mapped[Decimal | None] = mapped_column(READING)
    end_peak: Mapped[Decimal | None] = mapped_column(READING)
    end_flat: Mapped[Decimal | None] = mapped_column(READING)
    end_valley: Mapped[Decimal | None] = mapped_column(READING)

    meter: Mapped[Meter] = relationship()
    service_point: Mapped[ServicePoint] = relationship()

    __table_args__ = (
        CheckConstraint("multiplier > 0", name="multiplier_positive"),
        CheckConstraint("ct_ratio > 0 AND pt_ratio > 0", name="ratios_positive"),
        CheckConstraint("removed_on IS NULL OR removed_on > installed_on", name="removed_after_installed"),
        CheckConstraint("removed_on IS NULL OR end_total IS NOT NULL", name="removal_has_final_reading"),
        CheckConstraint("start_total >= 0", name="start_reading_not_negative"),
    )


class TariffAssignment(Base):
    """The tariff (by catalog code) an account is billed on for ``[effective_from, effective_to)``."""

    __tablename__ = "tariff_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    tariff_code: Mapped[str] = mapped_column(String(40))
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        CheckConstraint("effective_to IS NULL OR effective_to > effective_from", name="period_ordered"),
    )


class EnergySplit(Base):
    """定量定比: a fixed kWh, or a share, of the account's energy priced at another tariff for
    ``[effective_from, effective_to)`` (e.g. the shop in a farm's pump house)."""

    __tablename__ = "energy_split"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"), index=True)
    tariff_code: Mapped[str] = mapped_column(String(40))
    kwh: Mapped[Decimal | None] = mapped_column(RATIO)
    ratio: Mapped[Decimal | None] = mapped_column(RATIO)
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        CheckConstraint("(kwh IS NULL) <> (ratio IS NULL)", name="kwh_or_ratio"),
        # ratio ≤ 1 is checked on import: SQLite stores the ratio scaled, so no CHECK can say it.
        CheckConstraint("ratio IS NULL OR ratio > 0", name="ratio_positive"),
        CheckConstraint("kwh IS NULL OR kwh > 0", name="kwh_positive"),
        CheckConstraint("effective_to IS NULL OR effective_to > effective_from", name="period_ordered"),
    )


class ImportBatch(Base):
    """One archive file imported: its fingerprint makes a re-import of the same file a no-op."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    sha256: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(300))
    rows: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[str] = mapped_column(String(40))

    __table_args__ = (Index("uq_import_batch_kind_sha", "kind", "sha256", unique=True),)
