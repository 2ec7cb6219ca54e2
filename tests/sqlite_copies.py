"""A test database: a fresh copy of the migrated, seeded template, on SQLite or PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from meter2cash.platform.clock import FixedClock
from meter2cash.platform.context import AppContext
from meter2cash.platform.db import make_engine
from meter2cash.platform.settings import Settings

START = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)  # the fixed clock every test starts at


def sqlite_context(template: Path, tmp_path: Path, *, start: datetime = START) -> AppContext:
    """A fresh SQLite database in ``tmp_path`` copied from the migrated, seeded template."""
    path = tmp_path / "m2c.db"
    shutil.copy(template, path)
    url = f"sqlite:///{path}"
    return AppContext.create(
        engine=make_engine(url),
        clock=FixedClock(start),
        settings=Settings(data_dir=tmp_path, database_url=url),
    )


@contextmanager
def postgres_copy(template: str, folder: Path, *, prefix: str = "m2c_t") -> Iterator[AppContext]:
    """A fresh PostgreSQL database made from the template database, dropped afterwards."""
    server = os.environ["M2C_TEST_POSTGRES_URL"]
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    context = AppContext.create(
        engine=make_engine(url), clock=FixedClock(START), settings=Settings(data_dir=folder, database_url=url)
    )
    try:
        yield context
    finally:
        context.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
