"""The archive as the archive files see it: the database projected onto the files' rows.

One row per route book, per transformer area (with its supply meter), per account (its customer,
its first customer service point, the meter installed there now — or last, if none is —, its
current tariff, its two-part contract, losses and master account), per 定量定比 split, formatted
exactly as `archive_rules.format_*` formats a file's row. Export writes
these rows; import compares a file's row with the archive's through them.

Existing keys are looked up as sets, a chunk of keys per query, never once per row.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar, cast

from sqlalchemy import Column, Connection, Table, select

from meter2cash.registry.archive_rules import (
    AccountRow,
    AreaRow,
    BasicChargeBy,
    CustomerFacts,
    Endpoint,
    EnergySplitRow,
    KnownArchive,
    RouteBookRow,
    SupplyMeterRow,
    format_account,
    format_area,
    format_energy_split,
    format_route_book,
    parse_tou_registers,
    parse_voltage_level,
)
from meter2cash.registry.codes import CustomerCategory, PaymentMode, PowerFactorStandard
from meter2cash.registry.model import (
    Account,
    Customer,
    EnergySplit,
    Meter,
    MeterInstall,
    RouteBook,
    ServicePoint,
    TariffAssignment,
    TransformerArea,
)

T = TypeVar("T")
ONE = Decimal(1)
SCAN_ABOVE = 5_000  # keys; more than this and one scan of the column is quicker
KEY_CHUNK = 900  # keys per IN (…) query, well inside SQLite's and PostgreSQL's parameter limits

ROUTE_BOOK = cast(Table, RouteBook.__table__)
AREA = cast(Table, TransformerArea.__table__)
CUSTOMER = cast(Table, Customer.__table__)
ACCOUNT = cast(Table, Account.__table__)
POINT = cast(Table, ServicePoint.__table__)
METER = cast(Table, Meter.__table__)
INSTALL = cast(Table, MeterInstall.__table__)
TARIFF = cast(Table, TariffAssignment.__table__)
SPLIT = cast(Table, EnergySplit.__table__)
MASTER = ACCOUNT.alias("master")


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def existing(conn: Connection, column: Column[str], values: Iterable[str]) -> frozenset[str]:
    """Which of ``values`` the column already holds: for a few, asked in chunks of keys; for many,
    by reading the whole (indexed) column once."""
    wanted = set(values)
    if len(wanted) > SCAN_ABOVE:
        return frozenset(wanted.intersection(conn.execute(select(column)).scalars()))
    found: set[str] = set()
    for part in chunks(sorted(wanted), KEY_CHUNK):
        found.update(conn.execute(select(column).where(column.in_(part))).scalars())
    return frozenset(found)


def _current(
    installs: Sequence[Any], removed: Callable[[Any], date | None], started: Callable[[Any], date]
) -> Any:
    """The open one of several periods, or the one that started last."""
    open_ones = [i for i in installs if removed(i) is None]
    return open_ones[0] if open_ones else max(installs, key=started)


# ---------------------------------------------------------------- reading


def route_book_rows(conn: Connection) -> dict[str, dict[str, str]]:
    query = select(ROUTE_BOOK.c.code, ROUTE_BOOK.c.name, ROUTE_BOOK.c.reading_day, ROUTE_BOOK.c.reader)
    return {
        r.code: format_route_book(RouteBookRow(r.code, r.name, r.reading_day, r.reader))
        for r in conn.execute(query.order_by(ROUTE_BOOK.c.code))
    }


def area_rows(conn: Connection) -> dict[str, dict[str, str]]:
    areas = conn.execute(
        select(AREA.c.code, AREA.c.name, AREA.c.capacity_kva, AREA.c.supply_point_id).order_by(AREA.c.code)
    ).all()
    point_ids = [a.supply_point_id for a in areas if a.supply_point_id is not None]
    installs = _installs_by_point(conn, point_ids)
    rows = {}
    for a in areas:
        supply = None
        if a.supply_point_id in installs:
            i = _current(installs[a.supply_point_id], lambda x: x.removed_on, lambda x: x.installed_on)
            supply = SupplyMeterRow(
                i.meter_no,
                i.dlt645_address,
                _endpoint(i.comm_host, i.comm_port),
                i.ct_ratio,
                i.pt_ratio,
                i.installed_on,
                i.start_total,
            )
        rows[a.code] = format_area(AreaRow(a.code, a.name, a.capacity_kva, supply))
    return rows


def _endpoint(host: str | None, port: int | None) -> Endpoint | None:
    return Endpoint(host, port) if host and port else None


def _installs_by_point(conn: Connection, point_ids: Sequence[int]) -> dict[int, list[Any]]:
    found: dict[int, list[Any]] = {}
    columns = (
        INSTALL.c.service_point_id,
        INSTALL.c.installed_on,
        INSTALL.c.removed_on,
        INSTALL.c.ct_ratio,
        INSTALL.c.pt_ratio,
        INSTALL.c.start_total,
        INSTALL.c.start_sharp,
        INSTALL.c.start_peak,
        INSTALL.c.start_flat,
        INSTALL.c.start_valley,
        METER.c.meter_no,
        METER.c.dlt645_address,
        METER.c.comm_host,
        METER.c.comm_port,
        METER.c.integer_digits,
        METER.c.decimal_digits,
        METER.c.tou_registers,
    )
    for part in chunks(point_ids, KEY_CHUNK):
        query = select(*columns).join(METER, METER.c.id == INSTALL.c.meter_id)
        for row in conn.execute(query.where(INSTALL.c.service_point_id.in_(part))):
            found.setdefault(row.service_point_id, []).append(row)
    return found


def account_rows(conn: Connection, *, account_nos: Collection[str] | None = None) -> Iterator[dict[str, str]]:
    """The accounts (all, or those numbered) as rows of an accounts file, in account number order."""
    ids: list[int]
    if account_nos is None:
        ids = list(conn.execute(select(ACCOUNT.c.id).order_by(ACCOUNT.c.account_no)).scalars())
    else:
        ids = []
        for part in chunks(sorted(set(account_nos)), KEY_CHUNK):
            query = select(ACCOUNT.c.id).where(ACCOUNT.c.account_no.in_(part)).order_by(ACCOUNT.c.account_no)
            ids += conn.execute(query).scalars()
    for batch in chunks(ids, KEY_CHUNK):
        yield from _project_accounts(conn, batch)


def _project_accounts(conn: Connection, ids: Sequence[int]) -> Iterator[dict[str, str]]:
    a, c = ACCOUNT, CUSTOMER
    main = conn.execute(
        select(
            a.c.id,
            a.c.account_no,
            a.c.category,
            a.c.voltage_level,
            a.c.contract_capacity_kva,
            a.c.pf_standard,
            a.c.payment_mode,
            a.c.important,
            a.c.low_income,
            a.c.opened_on,
            a.c.basic_charge_by,
            a.c.contract_demand_kw,
            a.c.transformer_loss_kwh,
            a.c.transformer_loss_kvarh,
            a.c.line_loss_kwh,
            MASTER.c.account_no.label("master_account_no"),
            c.c.code.label("customer_code"),
            c.c.name.label("customer_name"),
            c.c.phone,
            c.c.address,
            ROUTE_BOOK.c.code.label("route_book"),
            AREA.c.code.label("area"),
        )
        .join(c, c.c.id == a.c.customer_id)
        .join(ROUTE_BOOK, ROUTE_BOOK.c.id == a.c.route_book_id)
        .join(AREA, AREA.c.id == a.c.transformer_area_id)
        .outerjoin(MASTER, MASTER.c.id == a.c.master_account_id)
        .where(a.c.id.in_(ids))
    ).all()
    points: dict[int, Any] = {}
    point_query = (
        select(POINT.c.id, POINT.c.code, POINT.c.account_id)
        .where(POINT.c.account_id.in_(ids), POINT.c.kind == "customer")
        .order_by(POINT.c.id)
    )
    for found in conn.execute(point_query):
        points.setdefault(found.account_id, found)
    installs = _installs_by_point(conn, [p.id for p in points.values()])
    tariffs: dict[int, list[Any]] = {}
    tariff_query = select(
        TARIFF.c.account_id, TARIFF.c.tariff_code, TARIFF.c.effective_from, TARIFF.c.effective_to
    ).where(TARIFF.c.account_id.in_(ids))
    for assignment in conn.execute(tariff_query):
        tariffs.setdefault(assignment.account_id, []).append(assignment)
    order = {account_id: index for index, account_id in enumerate(ids)}
    for row in sorted(main, key=lambda r: order[r.id]):
        point: Any = points.get(row.id)
        install: Any = None
        if point is not None and point.id in installs:
            install = _current(installs[point.id], lambda x: x.removed_on, lambda x: x.installed_on)
        tariff: Any = None
        if row.id in tariffs:
            tariff = _current(tariffs[row.id], lambda x: x.effective_to, lambda x: x.effective_from)
        yield _account_row(row, point, install, tariff)


def _account_row(row: Any, point: Any, install: Any, tariff: Any) -> dict[str, str]:
    """The file row of one account; the columns of a missing point, meter or tariff are left empty."""
    fake = install is None
    account = AccountRow(
        account_no=row.account_no,
        customer_code=row.customer_code,
        customer_name=row.customer_name,
        phone=row.phone,
        address=row.address,
        category=CustomerCategory(row.category),
        voltage_level=parse_voltage_level(row.voltage_level),
        contract_capacity_kva=row.contract_capacity_kva,
        pf_standard=PowerFactorStandard(row.pf_standard),
        payment_mode=PaymentMode(row.payment_mode),
        important=row.important,
        low_income=row.low_income,
        route_book=row.route_book,
        transformer_area=row.area,
        opened_on=row.opened_on,
        service_point=point.code if point is not None else "",
        meter_no="" if fake else install.meter_no,
        meter_address="" if fake else install.dlt645_address,
        comm_endpoint=None if fake else _endpoint(install.comm_host, install.comm_port),
        ct_ratio=ONE if fake else install.ct_ratio,
        pt_ratio=ONE if fake else install.pt_ratio,
        integer_digits=0 if fake else install.integer_digits,
        decimal_digits=0 if fake else install.decimal_digits,
        tou_registers=() if fake else parse_tou_registers(install.tou_registers),
        installed_on=row.opened_on if fake else install.installed_on,
        start_total=ONE if fake else install.start_total,
        start_sharp=None if fake else install.start_sharp,
        start_peak=None if fake else install.start_peak,
        start_flat=None if fake else install.start_flat,
        start_valley=None if fake else install.start_valley,
        tariff_code="" if tariff is None else tariff.tariff_code,
        tariff_from=row.opened_on if tariff is None else tariff.effective_from,
        basic_charge_by=BasicChargeBy(row.basic_charge_by),
        contract_demand_kw=row.contract_demand_kw,
        transformer_loss_kwh=row.transformer_loss_kwh,
        transformer_loss_kvarh=row.transformer_loss_kvarh,
        line_loss_kwh=row.line_loss_kwh,
        master_account_no=row.master_account_no,
    )
    cells = format_account(account)
    blank = (
        [
            "comm_endpoint",
            "ct_ratio",
            "pt_ratio",
            "integer_digits",
            "decimal_digits",
            "tou_registers",
            "installed_on",
            "start_total",
        ]
        if fake
        else []
    ) + (["tariff_from"] if tariff is None else [])
    cells.update(dict.fromkeys(blank, ""))
    return cells


def _split_rows(conn: Connection, *, account_nos: Collection[str] | None = None) -> Iterator[EnergySplitRow]:
    """The 定量定比 splits (of all accounts, or of those numbered), by account number, tariff and
    first day."""
    query = (
        select(
            ACCOUNT.c.account_no,
            SPLIT.c.tariff_code,
            SPLIT.c.kwh,
            SPLIT.c.ratio,
            SPLIT.c.effective_from,
            SPLIT.c.effective_to,
        )
        .join(ACCOUNT, ACCOUNT.c.id == SPLIT.c.account_id)
        .order_by(ACCOUNT.c.account_no, SPLIT.c.tariff_code, SPLIT.c.effective_from, SPLIT.c.id)
    )
    queries = (
        [query]
        if account_nos is None
        else [query.where(ACCOUNT.c.account_no.in_(part)) for part in chunks(sorted(account_nos), KEY_CHUNK)]
    )
    for chosen in queries:
        for r in conn.execute(chosen):
            yield EnergySplitRow(
                r.account_no, r.tariff_code, r.kwh, r.ratio, r.effective_from, r.effective_to
            )


def energy_split_rows(conn: Connection) -> Iterator[dict[str, str]]:
    """Every split as a row of an energy-splits file."""
    for split in _split_rows(conn):
        yield format_energy_split(split)


def load_known(
    conn: Connection,
    kind: str,
    keys: Collection[str],
    *,
    service_points: Collection[str] = (),
    meter_nos: Collection[str] = (),
    meter_addresses: Collection[str] = (),
    customer_codes: Collection[str] = (),
    account_nos: Collection[str] = (),
) -> KnownArchive:
    """What the archive holds of the keys a file names: its rows, and which codes are taken.

    ``account_nos``: accounts the file refers to (master accounts; the accounts of splits).
    """
    wanted = set(keys)
    accounts: dict[str, date] = {}
    for part in chunks(sorted(existing(conn, ACCOUNT.c.account_no, account_nos)), KEY_CHUNK):
        query = select(ACCOUNT.c.account_no, ACCOUNT.c.opened_on).where(ACCOUNT.c.account_no.in_(part))
        accounts.update({no: opened for no, opened in conn.execute(query)})
    splits: dict[str, list[EnergySplitRow]] = {}
    if kind == "route-books":
        rows = {k: v for k, v in route_book_rows(conn).items() if k in wanted}
    elif kind == "areas":
        rows = {k: v for k, v in area_rows(conn).items() if k in wanted}
    elif kind == "energy-splits":
        rows = {}
        for split in _split_rows(conn, account_nos=accounts):
            splits.setdefault(split.account_no, []).append(split)
            if split.key in wanted:
                rows[split.key] = format_energy_split(split)
    else:
        taken = existing(conn, ACCOUNT.c.account_no, wanted)
        rows = (
            {cells["account_no"]: cells for cells in account_rows(conn, account_nos=taken)} if taken else {}
        )
    customers: dict[str, CustomerFacts] = {}
    for part in chunks(sorted(existing(conn, CUSTOMER.c.code, customer_codes)), KEY_CHUNK):
        query = select(CUSTOMER.c.code, CUSTOMER.c.name, CUSTOMER.c.phone, CUSTOMER.c.address)
        for c in conn.execute(query.where(CUSTOMER.c.code.in_(part))):
            customers[c.code] = CustomerFacts(c.name, c.phone, c.address)
    return KnownArchive(
        route_books=frozenset(conn.execute(select(ROUTE_BOOK.c.code)).scalars()),
        areas=frozenset(conn.execute(select(AREA.c.code)).scalars()),
        service_points=existing(conn, POINT.c.code, service_points),
        meter_nos=existing(conn, METER.c.meter_no, meter_nos),
        meter_addresses=existing(conn, METER.c.dlt645_address, meter_addresses),
        customers=customers,
        rows=rows,
        accounts=frozenset(accounts),
        opened_on=accounts,
        splits={account: tuple(found) for account, found in splits.items()},
    )
