"""Alembic environment. The connection comes from `meter2cash.platform.migrate`."""

from __future__ import annotations

from alembic import context

from meter2cash.platform.db import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `m2c db upgrade` (meter2cash.platform.migrate)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
