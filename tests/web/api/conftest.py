"""Fixtures of the API tests: a database shared by a module's checks that write nothing (one per
backend)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from meter2cash.platform.clock import FixedClock
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import make_engine
from meter2cash.platform.settings import Settings
from sqlite_copies import START, sqlite_context

PG_URL = os.environ.get("M2C_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


@pytest.fixture(scope="module", params=BACKENDS)
def shared_ctx(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppContext]:
    """One database for a whole module whose tests write nothing (refusals, reads)."""
    folder = tmp_path_factory.mktemp("shared")
    if request.param == "sqlite":
        context = sqlite_context(request.getfixturevalue("sqlite_template"), folder, start=START)
        yield context
        context.engine.dispose()
        return
    template: str = request.getfixturevalue("pg_template")
    assert PG_URL is not None
    name = f"m2c_api_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    context = AppContext.create(
        engine=make_engine(url), clock=FixedClock(START), settings=Settings(data_dir=folder, database_url=url)
    )
    yield context
    context.engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
