"""Schema migrations with Alembic — the only way the schema is made.

`upgrade` runs every migration up to ``head`` on the given engine. Models of every area are
imported here only to give Alembic's autogenerate the full metadata.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData
from sqlalchemy.engine import Engine

from meter2cash.platform.db import Base

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
MODEL_MODULES = (
    "meter2cash.platform.audit",
    "meter2cash.platform.users",
    "meter2cash.registry.model",
)


def target_metadata() -> MetaData:
    for name in MODEL_MODULES:
        importlib.import_module(name)
    return Base.metadata


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade(engine: Engine, *, revision: str = "head") -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def autogenerate(engine: Engine, *, message: str) -> None:
    """Developer tool: write a new migration from the model differences."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
