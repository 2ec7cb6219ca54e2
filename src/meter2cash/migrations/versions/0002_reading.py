"""Meter reading: batches, tasks, readings, collection attempts, exceptions, edits, determinants.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 21:54:23.070203
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import meter2cash.platform.db_types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _inline_task_reading_fk() -> list[sa.ForeignKeyConstraint]:
    # task → reading → task is a cycle: PostgreSQL gets this key once both tables exist.
    if op.get_bind().dialect.name == "sqlite":
        return [sa.ForeignKeyConstraint(["reading_id"], ["meter_reading.id"], name="fk_reading_task_reading")]
    return []


def upgrade() -> None:

    op.create_table(
        "reading_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reading_batch")),
        sa.UniqueConstraint("kind", "sha256", name="uq_reading_batch_kind_sha"),
    )
    op.create_table(
        "collection_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("error_kind", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.String(length=300), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["reading_batch.id"], name=op.f("fk_collection_attempt_batch_id_reading_batch")
        ),
        sa.ForeignKeyConstraint(
            ["meter_id"], ["meter.id"], name=op.f("fk_collection_attempt_meter_id_meter")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_attempt")),
    )
    with op.batch_alter_table("collection_attempt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_collection_attempt_batch_id"), ["batch_id"], unique=False)

    op.create_table(
        "billing_determinant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column(
            "kwh_total", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=20), nullable=False
        ),
        sa.Column(
            "kwh_sharp", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=20), nullable=True
        ),
        sa.Column(
            "kwh_peak", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=20), nullable=True
        ),
        sa.Column(
            "kwh_flat", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=20), nullable=True
        ),
        sa.Column(
            "kwh_valley", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=20), nullable=True
        ),
        sa.Column("kvarh", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=20), nullable=True),
        sa.Column(
            "max_demand_kw", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=20), nullable=True
        ),
        sa.Column("quality", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("computed_by", sa.String(length=64), nullable=False),
        sa.CheckConstraint("end_on > start_on", name=op.f("ck_billing_determinant_period_ordered")),
        sa.CheckConstraint("kwh_total >= 0", name=op.f("ck_billing_determinant_energy_not_negative")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_billing_determinant_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_determinant")),
        sa.UniqueConstraint("account_id", "period", name="uq_billing_determinant_account_period"),
    )
    op.create_table(
        "reading_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("route_book_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("service_point_id", sa.Integer(), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("window_closes_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("reading_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'read', 'estimated', 'failed', 'reread_requested', 'done')",
            name=op.f("ck_reading_task_state_known"),
        ),
        sa.CheckConstraint("window_closes_on >= due_on", name=op.f("ck_reading_task_window_after_due")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_reading_task_account_id_account")
        ),
        sa.ForeignKeyConstraint(["meter_id"], ["meter.id"], name=op.f("fk_reading_task_meter_id_meter")),
        *_inline_task_reading_fk(),
        sa.ForeignKeyConstraint(
            ["route_book_id"], ["route_book.id"], name=op.f("fk_reading_task_route_book_id_route_book")
        ),
        sa.ForeignKeyConstraint(
            ["service_point_id"],
            ["service_point.id"],
            name=op.f("fk_reading_task_service_point_id_service_point"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reading_task")),
        sa.UniqueConstraint(
            "period", "service_point_id", "meter_id", name="uq_reading_task_period_point_meter"
        ),
    )
    with op.batch_alter_table("reading_task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reading_task_account_id"), ["account_id"], unique=False)
        batch_op.create_index("ix_reading_task_book_period", ["route_book_id", "period"], unique=False)
        batch_op.create_index(batch_op.f("ix_reading_task_meter_id"), ["meter_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reading_task_route_book_id"), ["route_book_id"], unique=False)

    op.create_table(
        "meter_reading",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("service_point_id", sa.Integer(), nullable=False),
        sa.Column("read_on", sa.Date(), nullable=False),
        sa.Column("read_at", sa.String(length=40), nullable=True),
        sa.Column("source", sa.String(length=12), nullable=False),
        sa.Column("quality", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("total", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=20), nullable=False),
        sa.Column("sharp", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=20), nullable=True),
        sa.Column("peak", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=20), nullable=True),
        sa.Column("flat", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=20), nullable=True),
        sa.Column("valley", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=20), nullable=True),
        sa.Column(
            "reactive", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=20), nullable=True
        ),
        sa.Column(
            "max_demand_kw", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=20), nullable=True
        ),
        sa.Column("meter_clock", sa.String(length=40), nullable=True),
        sa.Column(
            "reported_multiplier",
            meter2cash.platform.db_types.ExactDecimal(scale=4, precision=20),
            nullable=True,
        ),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("photo_path", sa.String(length=300), nullable=True),
        sa.Column("entered_by", sa.String(length=64), nullable=False),
        sa.Column("estimation_method", sa.String(length=40), nullable=True),
        sa.CheckConstraint(
            "quality IN ('actual', 'estimated', 'substituted', 'edited', 'customer_read')",
            name=op.f("ck_meter_reading_quality_known"),
        ),
        sa.CheckConstraint(
            "source IN ('auto', 'handheld', 'manual', 'import', 'estimate', 'edit')",
            name=op.f("ck_meter_reading_source_known"),
        ),
        sa.CheckConstraint(
            "status IN ('valid', 'exception', 'superseded', 'rejected')",
            name=op.f("ck_meter_reading_status_known"),
        ),
        sa.CheckConstraint("total >= 0", name=op.f("ck_meter_reading_total_not_negative")),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["reading_batch.id"], name=op.f("fk_meter_reading_batch_id_reading_batch")
        ),
        sa.ForeignKeyConstraint(["meter_id"], ["meter.id"], name=op.f("fk_meter_reading_meter_id_meter")),
        sa.ForeignKeyConstraint(
            ["service_point_id"],
            ["service_point.id"],
            name=op.f("fk_meter_reading_service_point_id_service_point"),
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"], ["meter_reading.id"], name=op.f("fk_meter_reading_supersedes_id_meter_reading")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["reading_task.id"], name=op.f("fk_meter_reading_task_id_reading_task")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter_reading")),
    )
    with op.batch_alter_table("meter_reading", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meter_reading_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index("ix_meter_reading_meter_day", ["meter_id", "read_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_meter_reading_task_id"), ["task_id"], unique=False)

    op.create_table(
        "reading_exception",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("route_book_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("reading_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("resolved_by", sa.String(length=64), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "state IN ('open', 'confirmed', 'reread_requested', 'edit_pending', 'resolved')",
            name=op.f("ck_reading_exception_state_known"),
        ),
        sa.ForeignKeyConstraint(["meter_id"], ["meter.id"], name=op.f("fk_reading_exception_meter_id_meter")),
        sa.ForeignKeyConstraint(
            ["reading_id"], ["meter_reading.id"], name=op.f("fk_reading_exception_reading_id_meter_reading")
        ),
        sa.ForeignKeyConstraint(
            ["route_book_id"], ["route_book.id"], name=op.f("fk_reading_exception_route_book_id_route_book")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["reading_task.id"], name=op.f("fk_reading_exception_task_id_reading_task")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reading_exception")),
    )
    with op.batch_alter_table("reading_exception", schema=None) as batch_op:
        batch_op.create_index("ix_reading_exception_queue", ["route_book_id", "state"], unique=False)
        batch_op.create_index(batch_op.f("ix_reading_exception_reading_id"), ["reading_id"], unique=False)

    op.create_table(
        "reading_edit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exception_id", sa.Integer(), nullable=True),
        sa.Column("reading_id", sa.Integer(), nullable=False),
        sa.Column("old_values", sa.Text(), nullable=False),
        sa.Column("new_values", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("changes_energy", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("proposed_by", sa.String(length=64), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("new_reading_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'approved', 'rejected')", name=op.f("ck_reading_edit_state_known")
        ),
        sa.CheckConstraint(
            "decided_by IS NULL OR decided_by <> proposed_by", name=op.f("ck_reading_edit_four_eyes")
        ),
        sa.ForeignKeyConstraint(
            ["exception_id"],
            ["reading_exception.id"],
            name=op.f("fk_reading_edit_exception_id_reading_exception"),
        ),
        sa.ForeignKeyConstraint(
            ["new_reading_id"],
            ["meter_reading.id"],
            name=op.f("fk_reading_edit_new_reading_id_meter_reading"),
        ),
        sa.ForeignKeyConstraint(
            ["reading_id"], ["meter_reading.id"], name=op.f("fk_reading_edit_reading_id_meter_reading")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reading_edit")),
    )
    if op.get_bind().dialect.name != "sqlite":
        op.create_foreign_key(
            "fk_reading_task_reading", "reading_task", "meter_reading", ["reading_id"], ["id"]
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_reading_task_reading", "reading_task", type_="foreignkey")

    op.drop_table("reading_edit")
    with op.batch_alter_table("reading_exception", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reading_exception_reading_id"))
        batch_op.drop_index("ix_reading_exception_queue")

    op.drop_table("reading_exception")
    with op.batch_alter_table("meter_reading", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meter_reading_task_id"))
        batch_op.drop_index("ix_meter_reading_meter_day")
        batch_op.drop_index(batch_op.f("ix_meter_reading_batch_id"))

    op.drop_table("meter_reading")
    with op.batch_alter_table("reading_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reading_task_route_book_id"))
        batch_op.drop_index(batch_op.f("ix_reading_task_meter_id"))
        batch_op.drop_index("ix_reading_task_book_period")
        batch_op.drop_index(batch_op.f("ix_reading_task_account_id"))

    op.drop_table("reading_task")
    op.drop_table("billing_determinant")
    with op.batch_alter_table("collection_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_attempt_batch_id"))

    op.drop_table("collection_attempt")
    op.drop_table("reading_batch")
