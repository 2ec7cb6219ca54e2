"""A test database: a fresh SQLite copy of the migrated, seeded template."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

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
