"""Test fixtures. Service-level tests run on SQLite and, when M2C_TEST_POSTGRES_URL is set
(``make test`` starts a throwaway cluster), on PostgreSQL too.

Each test gets a fresh database copied from a template that was migrated once and holds one
staff user per role: username = role value (``admin``, ``billing_clerk``, …), password
``password-<role>``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from meter2cash.platform.clock import FixedClock
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import make_engine, unit_of_work
from meter2cash.platform.migrate import upgrade
from meter2cash.platform.permissions import Role
from meter2cash.platform.settings import Settings
from meter2cash.platform.users import create_user
from sqlite_copies import START, postgres_copy, sqlite_context

PG_URL = os.environ.get("M2C_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


def _seed_users(ctx: AppContext) -> None:
    with unit_of_work(ctx.sessions) as session:
        for role in Role:
            create_user(
                session,
                actor="setup",
                at=START,
                username=role.value,
                display_name=role.value,
                password=f"password-{role.value}",
                roles={role},
            )


def _template_context(url: str, tmp: Path) -> AppContext:
    return AppContext.create(
        engine=make_engine(url), clock=FixedClock(START), settings=Settings(data_dir=tmp, database_url=url)
    )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.db"
    ctx = _template_context(f"sqlite:///{path}", folder)
    upgrade(ctx.engine)
    _seed_users(ctx)
    ctx.engine.dispose()  # the last connection to close checkpoints the WAL into the file
    return path


@pytest.fixture(scope="session")
def pg_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not PG_URL:
        pytest.skip("PostgreSQL not configured (set M2C_TEST_POSTGRES_URL; make test does)")
    name = f"m2c_tpl_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    ctx = _template_context(url, tmp_path_factory.mktemp("pg"))
    upgrade(ctx.engine)
    _seed_users(ctx)
    ctx.engine.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def ctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AppContext]:
    """A fresh, migrated database with one user per role, a fixed clock and a data dir."""
    if request.param == "sqlite":
        context = sqlite_context(request.getfixturevalue("sqlite_template"), tmp_path, start=START)
        yield context
        context.engine.dispose()
        return
    with postgres_copy(request.getfixturevalue("pg_template"), tmp_path) as context:
        yield context
