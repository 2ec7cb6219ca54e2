"""A bill document (电费通知单) built in memory, for tests of the template and the PDF."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from meter2cash.billing.documents import BillDocument, DocumentLine, MonthUsage, ReadingRow, chart_months


def sample_document(**overrides: Any) -> BillDocument:
    """A tiered residential draft bill of June 2026 with an estimated closing reading."""
    months = chart_months("2026-06")
    fields: dict[str, Any] = {
        "bureau_name": "蒙西示例供电公司",
        "bill_id": 42,
        "bill_no": None,
        "state": "draft",
        "account_no": "1500000001",
        "customer_name": "张三",
        "address": "呼和浩特市新城区示例路1号2单元301",
        "category": "residential",
        "route_book": "MX-RB-001",
        "period": "2026-06",
        "start_on": date(2026, 5, 15),
        "end_on": date(2026, 6, 15),
        "days": 31,
        "quality": "estimated",
        "readings": (
            ReadingRow(
                "M0001",
                "total",
                Decimal(1),
                Decimal("1234.56"),
                Decimal("1534.56"),
                "actual",
                "estimated",
                Decimal(300),
            ),
            ReadingRow(
                "M0001",
                "peak",
                Decimal(1),
                Decimal("500.00"),
                Decimal("650.00"),
                "actual",
                "estimated",
                Decimal(150),
            ),
        ),
        "kwh": Decimal(300),
        "power_factor": None,
        "pf_percent": None,
        "tariff_version": "MX-RES-1@2024-10-01",
        "lines": (
            DocumentLine(
                "energy.tier1",
                "第1档电度电费",
                Decimal(170),
                "kWh",
                "0.4300",
                Decimal("73.10"),
                "第1档 月0–170kWh",
            ),
            DocumentLine(
                "energy.tier2",
                "第2档电度电费",
                Decimal(90),
                "kWh",
                "0.4800",
                Decimal("43.20"),
                "第2档 月170–260kWh",
            ),
            DocumentLine(
                "energy.tier3",
                "第3档电度电费",
                Decimal(40),
                "kWh",
                "0.7300",
                Decimal("29.20"),
                "第3档 月260kWh以上",
            ),
            DocumentLine(
                "fund.renewable",
                "可再生能源电价附加",
                Decimal(300),
                "kWh",
                "0.0010",
                Decimal("0.30"),
                "0.1分/kWh",
            ),
        ),
        "total": Decimal("145.80"),
        "amount_due": Decimal("145.80"),
        "due_on": None,
        "issued_on": None,
        "usage": tuple(
            MonthUsage(p, None if i == 2 else Decimal(200 + 17 * i)) for i, p in enumerate(months)
        ),
        "printed_on": date(2026, 6, 20),
    }
    fields.update(overrides)
    return BillDocument(**fields)
