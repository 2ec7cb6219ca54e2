"""Dunning (催费) notices and the message outbox: message_outbox, dunning_notice
(docs/dunning-disconnection.md).

- A message is queued once: ``dedupe_key`` is unique.
- A dunning step is sent once per account and arrears: unique (account_id, step, oldest_due_date).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 18:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import meter2cash.platform.db_types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _money() -> meter2cash.platform.db_types.ExactDecimal:
    return meter2cash.platform.db_types.ExactDecimal(scale=2, precision=18)


def upgrade() -> None:
    op.create_table(
        "message_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("recipient", sa.String(length=300), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider_ref", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "channel IN ('sms', 'email', 'letter')", name=op.f("ck_message_outbox_channel_known")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed')", name=op.f("ck_message_outbox_status_known")
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_message_outbox_attempts_not_negative")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_message_outbox_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_message_outbox_dedupe_key")),
    )
    with op.batch_alter_table("message_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_outbox_account_id"), ["account_id"], unique=False)
        batch_op.create_index("ix_message_outbox_status_id", ["status", "id"], unique=False)

    op.create_table(
        "dunning_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("arrears", _money(), nullable=False),
        sa.Column("oldest_due_date", sa.Date(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_dunning_notice_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["message_outbox.id"], name=op.f("fk_dunning_notice_outbox_id_message_outbox")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dunning_notice")),
        sa.UniqueConstraint("account_id", "step", "oldest_due_date", name="uq_dunning_notice_step"),
    )
    with op.batch_alter_table("dunning_notice", schema=None) as batch_op:
        batch_op.create_index("ix_dunning_notice_issued_on", ["issued_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dunning_notice", schema=None) as batch_op:
        batch_op.drop_index("ix_dunning_notice_issued_on")
    op.drop_table("dunning_notice")
    with op.batch_alter_table("message_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_message_outbox_status_id")
        batch_op.drop_index(batch_op.f("ix_message_outbox_account_id"))
    op.drop_table("message_outbox")
