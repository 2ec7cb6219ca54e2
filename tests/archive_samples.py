"""Canonical archive rows for the archive tests: every value written as export writes it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import inspect, text

from meter2cash.platform.context import AppContext
from meter2cash.platform.errors import Problem
from meter2cash.registry import archive_rules as rules
from meter2cash.registry.archive_columns import COLUMNS_BY_KIND

ROUTE_BOOK = {"code": "RB001", "name": "城关一段", "reading_day": "5", "reader": "meter_reader"}

AREA = {
    "code": "TA001",
    "name": "新华街1号台区",
    "capacity_kva": "400",
    "supply_meter_no": "ZB0001",
    "supply_meter_address": "110000000001",
    "supply_comm_endpoint": "10.20.0.1:8001",
    "supply_ct_ratio": "150",
    "supply_pt_ratio": "1",
    "supply_installed_on": "2024-01-01",
    "supply_start_total": "1234.50",
}

ACCOUNT = {
    "account_no": "0100000001",
    "customer_code": "C000001",
    "customer_name": "张伟",
    "phone": "13800138000",
    "address": "新华街1号1单元101",
    "category": "residential",
    "voltage_level": "220V",
    "contract_capacity_kva": "8",
    "pf_standard": "none",
    "payment_mode": "postpaid",
    "important": "否",
    "low_income": "否",
    "route_book": "RB001",
    "transformer_area": "TA001",
    "opened_on": "2024-03-01",
    "service_point": "SP0100000001",
    "meter_no": "M0000001",
    "meter_address": "000000000001",
    "comm_endpoint": "10.20.1.1:8001",
    "ct_ratio": "1",
    "pt_ratio": "1",
    "integer_digits": "6",
    "decimal_digits": "2",
    "tou_registers": "peak|flat|valley",
    "installed_on": "2024-03-01",
    "start_total": "15.30",
    "start_sharp": "",
    "start_peak": "5.10",
    "start_flat": "6.10",
    "start_valley": "4.10",
    "tariff_code": "MX-RES-1",
    "tariff_from": "2024-03-01",
    "basic_charge_by": "capacity",
    "contract_demand_kw": "",
    "transformer_loss_kwh": "",
    "transformer_loss_kvarh": "",
    "line_loss_kwh": "",
    "master_account_no": "",
}

ENERGY_SPLIT = {
    "account_no": "0100000001",
    "tariff_code": "MX-GEN-1",
    "kwh": "",
    "ratio": "0.15",
    "effective_from": "2024-03-01",
    "effective_to": "",
}

SAMPLES = {"route-books": ROUTE_BOOK, "areas": AREA, "accounts": ACCOUNT, "energy-splits": ENERGY_SPLIT}


def large_industry(n: int, **changes: str) -> dict[str, str]:
    """The sample account renumbered to ``n`` as a 10 kV large-industry (大工业) account."""
    two_part = {
        "category": "large_industry",
        "voltage_level": "10kV",
        "contract_capacity_kva": "630",
        "pf_standard": "0.90",
        "tariff_code": "MX-LI-1",
    }
    return account(n, **{**two_part, **changes})


def split(account_no: str = "0100000001", **changes: str) -> dict[str, str]:
    """The sample 定量定比 split of ``account_no``."""
    return {**ENERGY_SPLIT, "account_no": account_no, **changes}


def account(n: int = 1, **changes: str) -> dict[str, str]:
    """The sample account renumbered to ``n`` (its own customer, point, meter and address)."""
    row = dict(ACCOUNT)
    row.update(
        account_no=f"01{n:08d}",
        customer_code=f"C{n:06d}",
        service_point=f"SP01{n:08d}",
        meter_no=f"M{n:07d}",
        meter_address=f"{n:012d}",
    )
    row.update(changes)
    return row


def table(kind: str, rows: Sequence[Mapping[str, str]]) -> rules.Table:
    """Rows keyed by column key, as a table with every column of ``kind`` (rows numbered from 1)."""
    keys = tuple(c.key for c in COLUMNS_BY_KIND[kind])
    cells = [(n, tuple(row.get(k, "") for k in keys)) for n, row in enumerate(rows, start=1)]
    built, problems = rules.check_shape(keys, cells)
    assert problems == []
    return built


def problems_of(kind: str, *rows: Mapping[str, str]) -> list[Problem]:
    return rules.parse_table(kind, table(kind, rows))[1]


def where(problems: Sequence[Problem]) -> list[tuple[int | None, str | None]]:
    """(row, column) of each problem."""
    return [(p.row, p.column) for p in problems]


def table_counts(ctx: AppContext) -> dict[str, int]:
    """How many rows every table of the database holds."""
    with ctx.engine.connect() as conn:
        names = inspect(conn).get_table_names()
        return {name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one() for name in names}
