"""A minimal archive written straight through the ORM, for service-level tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.registry.model import (
    Account,
    Customer,
    Meter,
    MeterInstall,
    RouteBook,
    ServicePoint,
    TariffAssignment,
    TransformerArea,
)


def small_archive(ctx: AppContext, *, accounts: int = 2) -> None:
    """Route book RB01, area TA01, accounts A0001.., points SP0001.., meters M0001.. installed
    2025-01-01 with multiplier 1, tariff MX-RES-1 from 2025-01-01; a spare meter S0001 in store."""
    with unit_of_work(ctx.sessions) as session:
        session.add(
            Meter(
                meter_no="S0001",
                dlt645_address="990000000001",
                integer_digits=6,
                decimal_digits=2,
                tou_registers="",
            )
        )
        book = RouteBook(code="RB01", name="一段", reading_day=15)
        area = TransformerArea(code="TA01", name="一号台区", capacity_kva=Decimal("400"))
        session.add_all([book, area])
        session.flush()
        for i in range(1, accounts + 1):
            customer = Customer(code=f"C{i:04d}", name=f"客户{i}")
            session.add(customer)
            session.flush()
            account = Account(
                account_no=f"A{i:04d}",
                customer_id=customer.id,
                category="residential",
                voltage_level="220V",
                contract_capacity_kva=Decimal("8"),
                pf_standard="none",
                payment_mode="postpaid",
                important=False,
                low_income=False,
                status="active",
                route_book_id=book.id,
                transformer_area_id=area.id,
                opened_on=date(2025, 1, 1),
            )
            session.add(account)
            session.flush()
            point = ServicePoint(code=f"SP{i:04d}", kind="customer", account_id=account.id)
            meter = Meter(
                meter_no=f"M{i:04d}",
                dlt645_address=f"{i:012d}",
                integer_digits=6,
                decimal_digits=2,
                tou_registers="",
            )
            session.add_all([point, meter])
            session.flush()
            session.add(
                MeterInstall(
                    meter_id=meter.id,
                    service_point_id=point.id,
                    installed_on=date(2025, 1, 1),
                    ct_ratio=Decimal(1),
                    pt_ratio=Decimal(1),
                    multiplier=Decimal(1),
                    start_total=Decimal("100.00"),
                )
            )
            session.add(
                TariffAssignment(
                    account_id=account.id, tariff_code="MX-RES-1", effective_from=date(2025, 1, 1)
                )
            )
