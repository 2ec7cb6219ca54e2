"""The demo bureau as archive import rows (档案导入): route books, areas, accounts (with their
two-part contracts, losses and master accounts) and 定量定比 splits, keyed by the columns of
`meter2cash.registry.archive_columns`, every value a string. Pure.

Each account's row describes its *first* meter (the one in place when the window opens);
replacements (换表) inside the window are applied afterwards through the registry service.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np

from meter2cash.demo.customers import CARD, CATEGORIES, PAYMENT_MODES, SPLIT_TARIFF, TARIFFS, VOLTAGE
from meter2cash.demo.meters import DECIMAL_DIGITS, INTEGER_DIGITS
from meter2cash.demo.population import HOST, Bureau
from meter2cash.demo.registers import reading_text
from meter2cash.demo.simulation import Simulation
from meter2cash.demo.spec import DemoSpec
from meter2cash.registry.archive_columns import COLUMNS_BY_KIND
from meter2cash.registry.codes import TOU_NAMES

TOU_LAYOUT = "sharp|peak|flat|valley"

Row = dict[str, str]


def _yes(flag: object) -> str:
    return "yes" if flag else "no"


def route_book_rows(bureau: Bureau) -> list[Row]:
    return [
        {"code": b.code, "name": b.name, "reading_day": str(b.reading_day), "reader": b.reader}
        for b in bureau.books
    ]


def area_rows(bureau: Bureau) -> list[Row]:
    return [
        {
            "code": a.code,
            "name": a.name,
            "capacity_kva": str(a.capacity_kva),
            "supply_meter_no": a.supply_meter_no,
            "supply_meter_address": a.supply_address,
            "supply_comm_endpoint": f"{HOST}:{a.port}",
            "supply_ct_ratio": str(a.ct_ratio),
            "supply_pt_ratio": str(a.pt_ratio),
            "supply_installed_on": a.supply_installed_on.isoformat(),
            "supply_start_total": reading_text(a.supply_start),
        }
        for a in bureau.areas
    ]


def service_point_code(account_no: str) -> str:
    return f"SP{account_no}"


def _tariff_from(spec: DemoSpec, opened_on: date) -> date:
    """Tariffs (and splits) apply from the opening, or from a year before the history at most."""
    return max(opened_on, date(spec.start.year - 1, spec.start.month, 1))


def _count(values: np.ndarray, i: int) -> str:
    """A whole positive number as text; empty for 0 (none)."""
    number = int(values[i])
    return str(number) if number > 0 else ""


def account_rows(spec: DemoSpec, bureau: Bureau, sim: Simulation) -> list[Row]:
    accounts, meters = bureau.accounts, sim.meters
    contracts = accounts.contracts
    rows: list[Row] = []
    for i in range(len(accounts)):
        category = int(accounts.category[i])
        tou = bool(meters.tou[i])
        master = int(contracts.master[i])
        row = {
            "account_no": accounts.account_no[i],
            "customer_code": accounts.customer_code[i],
            "customer_name": accounts.customer_name[i],
            "phone": accounts.phone[i],
            "address": accounts.address[i],
            "category": CATEGORIES[category],
            "voltage_level": VOLTAGE[category],
            "contract_capacity_kva": str(int(accounts.capacity_kva[i])),
            "pf_standard": accounts.pf_standard(i),
            "payment_mode": PAYMENT_MODES[int(accounts.payment[i])],
            "important": _yes(accounts.important[i]),
            "low_income": _yes(accounts.low_income[i]),
            "route_book": bureau.books[int(accounts.book[i])].code,
            "transformer_area": bureau.areas[int(accounts.area[i])].code,
            "opened_on": accounts.opened_on[i].isoformat(),
            "service_point": service_point_code(accounts.account_no[i]),
            "meter_no": meters.meter_no[i],
            "meter_address": meters.address[i],
            # IC card meters are read by hand (抄表机): they are not on the collection network.
            "comm_endpoint": "" if accounts.payment[i] == CARD else f"{HOST}:{int(accounts.port[i])}",
            "ct_ratio": str(int(accounts.ct_ratio[i])),
            "pt_ratio": str(int(accounts.pt_ratio[i])),
            "integer_digits": str(INTEGER_DIGITS),
            "decimal_digits": str(DECIMAL_DIGITS),
            "tou_registers": TOU_LAYOUT if tou else "",
            "installed_on": meters.installed_on[i].isoformat(),
            "start_total": reading_text(int(meters.install_total[i])),
            "tariff_code": TARIFFS[category],
            "tariff_from": _tariff_from(spec, accounts.opened_on[i]).isoformat(),
            "basic_charge_by": "contract_demand" if contracts.contract_demand_kw[i] else "capacity",
            "contract_demand_kw": _count(contracts.contract_demand_kw, i),
            "transformer_loss_kwh": _count(contracts.transformer_loss_kwh, i),
            "transformer_loss_kvarh": _count(contracts.transformer_loss_kvarh, i),
            "line_loss_kwh": _count(contracts.line_loss_kwh, i),
            "master_account_no": accounts.account_no[master] if master >= 0 else "",
        }
        for x, name in enumerate(TOU_NAMES):
            row[f"start_{name}"] = reading_text(int(meters.install_tou[i, x])) if tou else ""
        rows.append(row)
    return rows


def energy_split_rows(spec: DemoSpec, bureau: Bureau) -> list[Row]:
    """定比: the irrigation accounts' shares priced as general commercial, from their tariff's start."""
    accounts = bureau.accounts
    percent = accounts.contracts.split_percent
    return [
        {
            "account_no": accounts.account_no[i],
            "tariff_code": SPLIT_TARIFF,
            "kwh": "",
            "ratio": format(Decimal(int(percent[i])).scaleb(-2).normalize(), "f"),
            "effective_from": _tariff_from(spec, accounts.opened_on[i]).isoformat(),
            "effective_to": "",
        }
        for i in range(len(accounts))
        if percent[i] > 0
    ]


def ordered(kind: str, row: Row) -> Row:
    """The row with its keys in the archive file's column order."""
    return {column.key: row.get(column.key, "") for column in COLUMNS_BY_KIND[kind]}
