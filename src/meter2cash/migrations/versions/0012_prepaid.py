"""Prepaid (费控, IC卡表): vends, daily balance estimates, exceptions.

Tables (collection/prepaid_model.py, docs/prepaid.md): card_vend, card_meter_report,
prepaid_frozen_reading, prepaid_state, prepaid_estimate, prepaid_action, prepaid_exception.
Money is ``NUMERIC(18, 2)`` on PostgreSQL and a scaled integer on SQLite (`ExactDecimal`).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 18:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import meter2cash.platform.db_types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "card_meter_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("purchase_count", sa.Integer(), nullable=False),
        sa.Column(
            "cumulative_purchase",
            meter2cash.platform.db_types.ExactDecimal(scale=4, precision=18),
            nullable=False,
        ),
        sa.Column(
            "remaining", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=18), nullable=False
        ),
        sa.Column(
            "cumulative_used",
            meter2cash.platform.db_types.ExactDecimal(scale=4, precision=18),
            nullable=False,
        ),
        sa.Column("imported_by", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("unit IN ('kwh', 'yuan')", name=op.f("ck_card_meter_report_unit_known")),
        sa.CheckConstraint("purchase_count >= 0", name=op.f("ck_card_meter_report_count_not_negative")),
        sa.ForeignKeyConstraint(["meter_id"], ["meter.id"], name=op.f("fk_card_meter_report_meter_id_meter")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_meter_report")),
        sa.UniqueConstraint("meter_id", "reported_on", name="uq_card_meter_report_meter_day"),
    )
    with op.batch_alter_table("card_meter_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_card_meter_report_meter_id"), ["meter_id"], unique=False)

    op.create_table(
        "prepaid_frozen_reading",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("frozen_on", sa.Date(), nullable=False),
        sa.Column("total", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=18), nullable=False),
        sa.Column("imported_by", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("total >= 0", name=op.f("ck_prepaid_frozen_reading_total_not_negative")),
        sa.ForeignKeyConstraint(
            ["meter_id"], ["meter.id"], name=op.f("fk_prepaid_frozen_reading_meter_id_meter")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prepaid_frozen_reading")),
        sa.UniqueConstraint("meter_id", "frozen_on", name="uq_prepaid_frozen_reading_meter_day"),
    )
    with op.batch_alter_table("prepaid_frozen_reading", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prepaid_frozen_reading_meter_id"), ["meter_id"], unique=False)

    op.create_table(
        "prepaid_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reply", sa.String(length=300), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.CheckConstraint("kind IN ('alert', 'trip', 'close')", name=op.f("ck_prepaid_action_kind_known")),
        sa.CheckConstraint(
            "state IN ('queued', 'requested', 'acknowledged', 'refused', 'failed')",
            name=op.f("ck_prepaid_action_state_known"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_prepaid_action_account_id_account")
        ),
        sa.ForeignKeyConstraint(["meter_id"], ["meter.id"], name=op.f("fk_prepaid_action_meter_id_meter")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prepaid_action")),
        sa.UniqueConstraint("account_id", "kind", "day", name="uq_prepaid_action_account_kind_day"),
    )
    with op.batch_alter_table("prepaid_action", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prepaid_action_account_id"), ["account_id"], unique=False)

    op.create_table(
        "prepaid_estimate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column(
            "opening", meter2cash.platform.db_types.ExactDecimal(scale=2, precision=18), nullable=False
        ),
        sa.Column(
            "top_ups", meter2cash.platform.db_types.ExactDecimal(scale=2, precision=18), nullable=False
        ),
        sa.Column("kwh", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=18), nullable=True),
        sa.Column("charge", meter2cash.platform.db_types.ExactDecimal(scale=2, precision=18), nullable=False),
        sa.Column(
            "balance", meter2cash.platform.db_types.ExactDecimal(scale=2, precision=18), nullable=False
        ),
        sa.Column("decision", sa.String(length=40), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("estimated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_prepaid_estimate_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prepaid_estimate")),
        sa.UniqueConstraint("account_id", "day", name="uq_prepaid_estimate_account_day"),
    )
    with op.batch_alter_table("prepaid_estimate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prepaid_estimate_account_id"), ["account_id"], unique=False)

    op.create_table(
        "prepaid_exception",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("card_no", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=600), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("opened_by", sa.String(length=64), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state IN ('open', 'closed')", name=op.f("ck_prepaid_exception_state_known")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_prepaid_exception_account_id_account")
        ),
        sa.ForeignKeyConstraint(["meter_id"], ["meter.id"], name=op.f("fk_prepaid_exception_meter_id_meter")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prepaid_exception")),
        sa.UniqueConstraint("meter_id", "kind", "reported_on", name="uq_prepaid_exception_meter_kind_report"),
    )
    with op.batch_alter_table("prepaid_exception", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prepaid_exception_account_id"), ["account_id"], unique=False)

    op.create_table(
        "prepaid_state",
        sa.Column("account_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("next_day", sa.Date(), nullable=False),
        sa.Column(
            "balance", meter2cash.platform.db_types.ExactDecimal(scale=2, precision=18), nullable=False
        ),
        sa.Column("base_frozen_on", sa.Date(), nullable=True),
        sa.Column(
            "base_total", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=18), nullable=True
        ),
        sa.Column("alerted", sa.Boolean(), nullable=False),
        sa.Column("notice_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tripped", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_prepaid_state_account_id_account")
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_prepaid_state")),
    )
    op.create_table(
        "card_vend",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("card_no", sa.String(length=40), nullable=False),
        sa.Column("purchase_count", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("amount", meter2cash.platform.db_types.ExactDecimal(scale=2, precision=18), nullable=False),
        sa.Column("kwh", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=18), nullable=False),
        sa.Column(
            "opening_kwh", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=18), nullable=False
        ),
        sa.Column("price", meter2cash.platform.db_types.ExactDecimal(scale=6, precision=18), nullable=True),
        sa.Column("tariff_version", sa.String(length=60), nullable=True),
        sa.Column("first_purchase", sa.Boolean(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("vended_by", sa.String(length=64), nullable=False),
        sa.Column("vended_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("unit IN ('kwh', 'yuan')", name=op.f("ck_card_vend_unit_known")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_card_vend_amount_positive")),
        sa.CheckConstraint(
            "first_purchase = (purchase_count = 1)", name=op.f("ck_card_vend_first_is_count_one")
        ),
        sa.CheckConstraint("kwh >= 0 AND opening_kwh >= 0", name=op.f("ck_card_vend_kwh_not_negative")),
        sa.CheckConstraint("purchase_count >= 1", name=op.f("ck_card_vend_count_positive")),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_card_vend_account_id_account")),
        sa.ForeignKeyConstraint(["meter_id"], ["meter.id"], name=op.f("fk_card_vend_meter_id_meter")),
        sa.ForeignKeyConstraint(["payment_id"], ["payment.id"], name=op.f("fk_card_vend_payment_id_payment")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_vend")),
        sa.UniqueConstraint("card_no", "purchase_count", name="uq_card_vend_card_count"),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_card_vend_idempotency_key")),
        sa.UniqueConstraint("meter_id", "purchase_count", name="uq_card_vend_meter_count"),
        sa.UniqueConstraint("payment_id", name=op.f("uq_card_vend_payment_id")),
    )
    with op.batch_alter_table("card_vend", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_card_vend_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_card_vend_meter_id"), ["meter_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("card_vend", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_card_vend_meter_id"))
        batch_op.drop_index(batch_op.f("ix_card_vend_account_id"))

    op.drop_table("card_vend")
    op.drop_table("prepaid_state")
    with op.batch_alter_table("prepaid_exception", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prepaid_exception_account_id"))

    op.drop_table("prepaid_exception")
    with op.batch_alter_table("prepaid_estimate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prepaid_estimate_account_id"))

    op.drop_table("prepaid_estimate")
    with op.batch_alter_table("prepaid_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prepaid_action_account_id"))

    op.drop_table("prepaid_action")
    with op.batch_alter_table("prepaid_frozen_reading", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prepaid_frozen_reading_meter_id"))

    op.drop_table("prepaid_frozen_reading")
    with op.batch_alter_table("card_meter_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_card_meter_report_meter_id"))

    op.drop_table("card_meter_report")
