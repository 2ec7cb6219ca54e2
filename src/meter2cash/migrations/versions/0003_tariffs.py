"""Tariff catalog: one row per tariff version (电价版本), its canonical body and fingerprint.

Integrity rules enforced by the database: one version per code and start day, ordered periods,
known categories, and the versions of one code never overlap in time (PostgreSQL exclusion
constraint over a date range, btree_gist; SQLite triggers that abort the statement).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 00:02:06.100853
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import meter2cash.platform.db_types  # noqa: F401  (kept as in every migration)

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NO_OVERLAP = ("tariff_version", "code", "effective_from", "effective_to", "no_overlapping_tariff_versions")


def _no_overlap_constraint() -> None:
    table, group, start, end, name = NO_OVERLAP
    if op.get_bind().dialect.name != "sqlite":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} EXCLUDE USING gist "
            f"({group} WITH =, daterange({start}, {end}, '[)') WITH &&)"
        )
        return
    overlap = (
        f"EXISTS (SELECT 1 FROM {table} o WHERE o.{group} = NEW.{group} AND o.id IS NOT NEW.id"
        f" AND o.{start} < COALESCE(NEW.{end}, '9999-12-31')"
        f" AND NEW.{start} < COALESCE(o.{end}, '9999-12-31'))"
    )
    for event in ("INSERT", "UPDATE"):
        op.execute(
            f"CREATE TRIGGER {name}_{event.lower()} BEFORE {event} ON {table} "
            f"WHEN {overlap} BEGIN SELECT RAISE(ABORT, '{name}'); END"
        )


def upgrade() -> None:

    op.create_table(
        "tariff_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("illustrative", sa.Boolean(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("loaded_by", sa.String(length=64), nullable=False),
        sa.Column("loaded_at", sa.String(length=40), nullable=False),
        sa.Column("batch_sha256", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "category IN ('residential', 'general', 'large_industry', 'agriculture')",
            name=op.f("ck_tariff_version_category_known"),
        ),
        sa.CheckConstraint(
            "effective_to IS NULL OR effective_to > effective_from",
            name=op.f("ck_tariff_version_period_ordered"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tariff_version")),
        sa.UniqueConstraint("code", "effective_from", name="uq_tariff_version_code_from"),
    )
    _no_overlap_constraint()


def downgrade() -> None:
    op.drop_table("tariff_version")  # its triggers (SQLite) and exclusion constraint go with it
