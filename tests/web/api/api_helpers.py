"""Helpers of the API tests: the routes of the API as the app mounts them, and a bureau with closed
determinants ready for a bill run."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select

from archive_factory import small_archive
from meter2cash.billing.catalog import load_catalog
from meter2cash.billing.catalog_files import bundled_catalog_path
from meter2cash.interfaces.web.api.access import required_action
from meter2cash.interfaces.web.app import API_PREFIX, create_app
from meter2cash.platform.clock import FixedClock
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import make_engine, unit_of_work
from meter2cash.platform.permissions import Action
from meter2cash.platform.settings import Settings
from meter2cash.reading.model import BillingDeterminant
from meter2cash.registry.model import Account
from sqlite_copies import START
from web_client import token_client

PERIOD = "2026-06"
BOOK = "RB01"


@dataclass(frozen=True, slots=True)
class ApiRoute:
    method: str
    path: str
    action: Action | None

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def api_routes() -> list[ApiRoute]:
    """Every operation under /api/v1 of the app ``m2c serve`` runs, with the action it needs."""
    ctx = AppContext.create(
        engine=make_engine("sqlite://"),
        clock=FixedClock(START),
        settings=Settings(data_dir=Path(tempfile.gettempdir()), secret_key="route-table"),
    )
    found = []
    for context in iter_route_contexts(create_app(ctx).routes):
        route = context.original_route
        if isinstance(route, APIRoute) and str(context.path).startswith(API_PREFIX + "/"):
            for method in sorted(context.methods or ()):
                found.append(ApiRoute(method=method, path=str(context.path), action=required_action(route)))
    ctx.engine.dispose()
    return found


def bureau(ctx: AppContext, *, accounts: int = 3, estimated: tuple[str, ...] = ("A0003",)) -> dict[str, int]:
    """Route book RB01 with accounts A0001.. on MX-RES-1, the 蒙西 catalog loaded, and a closed
    determinant of 300, 100, 500 … kWh each for 2026-06; the ``estimated`` ones were estimated
    (the review flags them). Returns account number → id."""
    small_archive(ctx, accounts=accounts)
    load_catalog(ctx, actor="manager", path=bundled_catalog_path())
    kwh = ("300", "100", "500", "200", "150")
    with unit_of_work(ctx.sessions) as session:
        ids = {a.account_no: a.id for a in session.scalars(select(Account))}
        for index, number in enumerate(sorted(ids)):
            session.add(
                BillingDeterminant(
                    account_id=ids[number],
                    period=PERIOD,
                    start_on=date(2026, 5, 15),
                    end_on=date(2026, 6, 15),
                    days=31,
                    kwh_total=Decimal(kwh[index % len(kwh)]),
                    quality="estimated" if number in estimated else "actual",
                    detail="[]",
                    computed_by="billing_clerk",
                )
            )
    return ids


def as_staff(ctx: AppContext, username: str) -> TestClient:
    """A client acting as ``username`` through a token scoped for every action, so that only the
    user's roles limit it (and no password hash is checked: fast)."""
    return token_client(ctx, username, set(Action))
