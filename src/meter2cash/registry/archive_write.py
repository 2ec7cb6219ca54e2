"""Writing checked archive rows in bulk, inside the caller's transaction.

Speed matters here (a bureau's archive is 10⁵–10⁶ accounts), so rows are not ORM objects:
- ids are allocated up front for a whole chunk — ``nextval`` of the table's sequence on
  PostgreSQL; on SQLite the next ids after the largest, which is safe because the transaction
  started with ``BEGIN IMMEDIATE`` and holds the write lock — so no ``RETURNING`` is needed;
- each table's INSERT is compiled once by SQLAlchemy for the dialect, every value goes through
  the column type's own bind processor (so `ExactDecimal` and dates are stored exactly as the
  ORM stores them), and the rows go to the driver in multi-row statements (SQLite) or
  ``executemany`` (PostgreSQL), a chunk at a time.

The database constraints (unique keys, no overlapping installs or tariffs, positive multipliers)
still check every row; a violation aborts the whole import.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, bindparam, func, insert, select, text, update

from meter2cash.registry.archive_rules import (
    SUPPLY_DECIMAL_DIGITS,
    SUPPLY_INTEGER_DIGITS,
    AccountRow,
    AreaRow,
    Endpoint,
    EnergySplitRow,
    RouteBookRow,
)
from meter2cash.registry.archive_store import (
    ACCOUNT,
    AREA,
    CUSTOMER,
    INSTALL,
    KEY_CHUNK,
    METER,
    POINT,
    ROUTE_BOOK,
    SPLIT,
    TARIFF,
    chunks,
    existing,
)

WRITE_CHUNK = 10_000
SQLITE_MAX_PARAMETERS = 32_766  # SQLITE_MAX_VARIABLE_NUMBER since SQLite 3.32
_MISSING = object()

TABLES_BY_KIND: dict[str, tuple[str, ...]] = {
    "route-books": ("route_book",),
    "areas": ("transformer_area", "service_point", "meter", "meter_install"),
    "accounts": ("customer", "account", "service_point", "meter", "meter_install", "tariff_assignment"),
    "energy-splits": ("energy_split",),
}
INSTALL_COLUMNS = (
    "id",
    "meter_id",
    "service_point_id",
    "installed_on",
    "ct_ratio",
    "pt_ratio",
    "multiplier",
    "start_total",
    "start_sharp",
    "start_peak",
    "start_flat",
    "start_valley",
)
METER_COLUMNS = (
    "id",
    "meter_no",
    "dlt645_address",
    "comm_host",
    "comm_port",
    "integer_digits",
    "decimal_digits",
    "tou_registers",
)


def allocate_ids(conn: Connection, table: Table, count: int) -> list[int]:
    """``count`` fresh primary keys for ``table``."""
    if count == 0:
        return []
    if conn.dialect.name == "postgresql":
        query = text(
            "SELECT nextval(CAST(pg_get_serial_sequence(:table, 'id') AS regclass)) "
            "FROM generate_series(1, :count)"
        )
        return list(conn.execute(query, {"table": table.name, "count": count}).scalars())
    last = conn.execute(select(func.max(table.c.id))).scalar() or 0
    return list(range(last + 1, last + 1 + count))


class BulkInsert:
    """One table's INSERT of ``columns``, compiled once by SQLAlchemy; rows are tuples in ``columns``
    order. Values pass through the columns' own bind processors (memoised: codes, ratios and dates
    repeat down a file). On SQLite many rows go in one multi-row ``VALUES`` statement, which SQLite
    runs far faster than one statement per row (it re-evaluates the table's CHECK … IN lists per
    statement); elsewhere the driver's ``executemany`` takes the rows."""

    def __init__(self, conn: Connection, table: Table, columns: Sequence[str]) -> None:
        dialect = conn.dialect
        compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
        self.conn = conn
        self.sql = str(compiled)
        self.names = list(columns)
        self.multirow = dialect.name == "sqlite"
        if self.multirow and list(compiled.positiontup or []) != self.names:
            raise RuntimeError(f"unexpected parameter order for {table.name}: {compiled.positiontup}")
        head, values_keyword, one_row = self.sql.partition(" VALUES ")
        self.head, self.one_row = head + values_keyword, one_row
        self.rows_per_statement = max(1, min(500, SQLITE_MAX_PARAMETERS // len(columns)))
        processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]
        self.processors: list[tuple[int, Callable[[Any], Any], dict[Any, Any]]] = [
            (index, p, {}) for index, p in enumerate(processors) if p is not None
        ]

    def _processed(self, row: tuple[Any, ...]) -> list[Any]:
        values = list(row)
        for index, process, memo in self.processors:
            value = values[index]
            if value is not None:
                done = memo.get(value, _MISSING)
                if done is _MISSING:
                    done = memo[value] = process(value)
                values[index] = done
        return values

    def __call__(self, rows: Sequence[tuple[Any, ...]]) -> None:
        if not self.multirow:
            if rows:
                self.conn.exec_driver_sql(
                    self.sql, [dict(zip(self.names, self._processed(r), strict=True)) for r in rows]
                )
            return
        for part in chunks(rows, self.rows_per_statement):
            params = [value for row in part for value in self._processed(row)]
            self.conn.exec_driver_sql(self.head + ",".join([self.one_row] * len(part)), tuple(params))


def _host(endpoint: Endpoint | None) -> str | None:
    return endpoint.host if endpoint else None


def _port(endpoint: Endpoint | None) -> int | None:
    return endpoint.port if endpoint else None


def write_route_books(conn: Connection, rows: Sequence[RouteBookRow]) -> dict[str, int]:
    ids = allocate_ids(conn, ROUTE_BOOK, len(rows))
    BulkInsert(conn, ROUTE_BOOK, ("id", "code", "name", "reading_day", "reader"))(
        [(i, r.code, r.name, r.reading_day, r.reader) for i, r in zip(ids, rows, strict=True)]
    )
    return {"route_book": len(rows)}


def write_areas(conn: Connection, rows: Sequence[AreaRow]) -> dict[str, int]:
    """Areas, and for each with a supply meter: its point ``AREA-<code>``, the meter (six plus two
    digits, no time-of-use registers), its install; then the area's link to its supply point."""
    area_ids = allocate_ids(conn, AREA, len(rows))
    BulkInsert(conn, AREA, ("id", "code", "name", "capacity_kva"))(
        [(i, r.code, r.name, r.capacity_kva) for i, r in zip(area_ids, rows, strict=True)]
    )
    supplied = [(area_id, r, r.supply) for area_id, r in zip(area_ids, rows, strict=True) if r.supply]
    point_ids = allocate_ids(conn, POINT, len(supplied))
    meter_ids = allocate_ids(conn, METER, len(supplied))
    install_ids = allocate_ids(conn, INSTALL, len(supplied))
    BulkInsert(conn, POINT, ("id", "code", "kind"))(
        [(p, r.supply_point, "area_supply") for p, (_, r, _s) in zip(point_ids, supplied, strict=True)]
    )
    BulkInsert(conn, METER, METER_COLUMNS)(
        [
            (
                m,
                s.meter_no,
                s.meter_address,
                _host(s.comm_endpoint),
                _port(s.comm_endpoint),
                SUPPLY_INTEGER_DIGITS,
                SUPPLY_DECIMAL_DIGITS,
                "",
            )
            for m, (_, _r, s) in zip(meter_ids, supplied, strict=True)
        ]
    )
    BulkInsert(conn, INSTALL, INSTALL_COLUMNS)(
        [
            (
                i,
                m,
                p,
                s.installed_on,
                s.ct_ratio,
                s.pt_ratio,
                s.ct_ratio * s.pt_ratio,
                s.start_total,
                None,
                None,
                None,
                None,
            )
            for i, m, p, (_, _r, s) in zip(install_ids, meter_ids, point_ids, supplied, strict=True)
        ]
    )
    if supplied:
        link = update(AREA).where(AREA.c.id == bindparam("area")).values(supply_point_id=bindparam("point"))
        conn.execute(
            link,
            [
                {"area": area_id, "point": point_id}
                for (area_id, _r, _s), point_id in zip(supplied, point_ids, strict=True)
            ],
        )
    return {
        "transformer_area": len(rows),
        "service_point": len(supplied),
        "meter": len(supplied),
        "meter_install": len(supplied),
    }


def _customer_ids(conn: Connection, codes: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for part in chunks(sorted(existing(conn, CUSTOMER.c.code, codes)), KEY_CHUNK):
        query = select(CUSTOMER.c.code, CUSTOMER.c.id).where(CUSTOMER.c.code.in_(part))
        found.update({code: id_ for code, id_ in conn.execute(query)})
    return found


def write_accounts(
    conn: Connection, rows: Sequence[AccountRow], *, progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Customers (once per code, unless archived), accounts, customer service points, meters, their
    installs (multiplier = CT × PT) and open-ended tariff assignments, a chunk at a time; after each
    chunk ``progress`` hears how many rows are written. Master accounts (套扣) are linked last, once
    every account of the file has its id (a master may come later in the file)."""
    created = dict.fromkeys(TABLES_BY_KIND["accounts"], 0)
    route_books: dict[str, int] = {
        code: id_ for code, id_ in conn.execute(select(ROUTE_BOOK.c.code, ROUTE_BOOK.c.id))
    }
    areas: dict[str, int] = {code: id_ for code, id_ in conn.execute(select(AREA.c.code, AREA.c.id))}
    customers = _customer_ids(conn, {r.customer_code for r in rows})
    insert_customers = BulkInsert(conn, CUSTOMER, ("id", "code", "name", "phone", "address"))
    insert_accounts = BulkInsert(
        conn,
        ACCOUNT,
        (
            "id",
            "account_no",
            "customer_id",
            "category",
            "voltage_level",
            "contract_capacity_kva",
            "pf_standard",
            "payment_mode",
            "important",
            "low_income",
            "status",
            "route_book_id",
            "transformer_area_id",
            "opened_on",
            "basic_charge_by",
            "contract_demand_kw",
            "transformer_loss_kwh",
            "transformer_loss_kvarh",
            "line_loss_kwh",
        ),
    )
    insert_points = BulkInsert(conn, POINT, ("id", "code", "kind", "account_id"))
    insert_meters = BulkInsert(conn, METER, METER_COLUMNS)
    insert_installs = BulkInsert(conn, INSTALL, INSTALL_COLUMNS)
    insert_tariffs = BulkInsert(conn, TARIFF, ("id", "account_id", "tariff_code", "effective_from"))
    done = 0
    masters: list[tuple[int, str]] = []  # (account id, master account number)
    new_ids: dict[str, int] = {}
    for chunk in chunks(rows, WRITE_CHUNK):
        fresh = {r.customer_code: r for r in reversed(chunk) if r.customer_code not in customers}
        customers.update(zip(fresh, allocate_ids(conn, CUSTOMER, len(fresh)), strict=True))
        insert_customers(
            [(customers[code], code, r.customer_name, r.phone, r.address) for code, r in fresh.items()]
        )
        n = len(chunk)
        ids = allocate_ids(conn, ACCOUNT, n)
        points, meters = allocate_ids(conn, POINT, n), allocate_ids(conn, METER, n)
        installs, tariffs = allocate_ids(conn, INSTALL, n), allocate_ids(conn, TARIFF, n)
        insert_accounts(
            [
                (
                    a,
                    r.account_no,
                    customers[r.customer_code],
                    r.category.value,
                    r.voltage_level.value,
                    r.contract_capacity_kva,
                    r.pf_standard.value,
                    r.payment_mode.value,
                    r.important,
                    r.low_income,
                    "active",
                    route_books[r.route_book],
                    areas[r.transformer_area],
                    r.opened_on,
                    r.basic_charge_by.value,
                    r.contract_demand_kw,
                    r.transformer_loss_kwh,
                    r.transformer_loss_kvarh,
                    r.line_loss_kwh,
                )
                for a, r in zip(ids, chunk, strict=True)
            ]
        )
        new_ids.update((r.account_no, a) for a, r in zip(ids, chunk, strict=True))
        masters += [(a, r.master_account_no) for a, r in zip(ids, chunk, strict=True) if r.master_account_no]
        insert_points(
            [(p, r.service_point, "customer", a) for p, a, r in zip(points, ids, chunk, strict=True)]
        )
        insert_meters(
            [
                (
                    m,
                    r.meter_no,
                    r.meter_address,
                    _host(r.comm_endpoint),
                    _port(r.comm_endpoint),
                    r.integer_digits,
                    r.decimal_digits,
                    ",".join(t.value for t in r.tou_registers),
                )
                for m, r in zip(meters, chunk, strict=True)
            ]
        )
        insert_installs(
            [
                (
                    i,
                    m,
                    p,
                    r.installed_on,
                    r.ct_ratio,
                    r.pt_ratio,
                    r.ct_ratio * r.pt_ratio,
                    r.start_total,
                    r.start_sharp,
                    r.start_peak,
                    r.start_flat,
                    r.start_valley,
                )
                for i, m, p, r in zip(installs, meters, points, chunk, strict=True)
            ]
        )
        insert_tariffs(
            [(t, a, r.tariff_code, r.tariff_from) for t, a, r in zip(tariffs, ids, chunk, strict=True)]
        )
        for name, count in (
            ("customer", len(fresh)),
            ("account", n),
            ("service_point", n),
            ("meter", n),
            ("meter_install", n),
            ("tariff_assignment", n),
        ):
            created[name] += count
        done += n
        if progress is not None:
            progress(done)
    _link_masters(conn, masters, new_ids)
    return created


def _account_ids(conn: Connection, account_nos: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for part in chunks(sorted(account_nos), KEY_CHUNK):
        query = select(ACCOUNT.c.account_no, ACCOUNT.c.id).where(ACCOUNT.c.account_no.in_(part))
        found.update({no: id_ for no, id_ in conn.execute(query)})
    return found


def _link_masters(conn: Connection, masters: Sequence[tuple[int, str]], new_ids: dict[str, int]) -> None:
    """Point each sub-meter account at its master account (套扣), new or archived."""
    if not masters:
        return
    ids = dict(new_ids)
    ids.update(_account_ids(conn, {no for _, no in masters if no not in ids}))
    link = (
        update(ACCOUNT).where(ACCOUNT.c.id == bindparam("sub")).values(master_account_id=bindparam("master"))
    )
    for part in chunks(masters, WRITE_CHUNK):
        conn.execute(link, [{"sub": sub, "master": ids[no]} for sub, no in part])


def write_energy_splits(conn: Connection, rows: Sequence[EnergySplitRow]) -> dict[str, int]:
    """定量定比 splits of archived accounts."""
    accounts = _account_ids(conn, {r.account_no for r in rows})
    ids = allocate_ids(conn, SPLIT, len(rows))
    BulkInsert(
        conn, SPLIT, ("id", "account_id", "tariff_code", "kwh", "ratio", "effective_from", "effective_to")
    )(
        [
            (i, accounts[r.account_no], r.tariff_code, r.kwh, r.ratio, r.effective_from, r.effective_to)
            for i, r in zip(ids, rows, strict=True)
        ]
    )
    return {"energy_split": len(rows)}
