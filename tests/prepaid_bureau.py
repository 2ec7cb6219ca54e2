"""A small bureau for the prepaid tests: `small_archive`, the shipped tariff catalog, and accounts
switched to card or smart prepaid; helpers to write CSV files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import update

from archive_factory import small_archive
from meter2cash.billing.catalog import load_catalog
from meter2cash.billing.catalog_files import bundled_catalog_path
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import unit_of_work
from meter2cash.registry.model import Account, Customer, Meter


def prepaid_bureau(
    ctx: AppContext, *, card: Sequence[str] = (), smart: Sequence[str] = (), accounts: int = 3
) -> AppContext:
    small_archive(ctx, accounts=accounts)
    load_catalog(ctx, actor="manager", path=bundled_catalog_path())
    with unit_of_work(ctx.sessions) as session:
        for numbers, mode in ((card, "card_prepaid"), (smart, "smart_prepaid")):
            if numbers:
                session.execute(
                    update(Account).where(Account.account_no.in_(numbers)).values(payment_mode=mode)
                )
        session.execute(update(Customer).values(phone="13800000000"))
    return ctx


def meter_gateway(ctx: AppContext, *, meter_no: str, address: str, host: str, port: int) -> None:
    with unit_of_work(ctx.sessions) as session:
        session.execute(
            update(Meter)
            .where(Meter.meter_no == meter_no)
            .values(dlt645_address=address, comm_host=host, comm_port=port)
        )


def csv_file(folder: Path, name: str, header: str, rows: Sequence[str]) -> Path:
    path = folder / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path
