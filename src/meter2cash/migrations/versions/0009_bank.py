"""Bank withholding agreements, bank files and reconciliation (对账): withholding_agreement,
bank_file, bank_debit_line, reconciliation_run, reconciliation_item (docs/bank-files.md).

- At most one active withholding agreement per account: a partial unique index on ``account_id``
  where ``ended_on IS NULL`` (both backends support partial indexes).
- A received bank file is recorded once per kind and SHA-256: a unique index, so the same file
  imported twice is recognised and posts nothing.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 18:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import meter2cash.platform.db_types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

FILE_KINDS = "kind IN ('debit_export', 'withholding_result', 'statement', 'agent_settlement')"
ITEM_KINDS = "kind IN ('missing_in_bank', 'missing_in_ledger', 'duplicate', 'amount_mismatch')"


def _money() -> meter2cash.platform.db_types.ExactDecimal:
    return meter2cash.platform.db_types.ExactDecimal(scale=2, precision=18)


def upgrade() -> None:
    op.create_table(
        "withholding_agreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("bank", sa.String(length=40), nullable=False),
        sa.Column("bank_account", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "ended_on IS NULL OR ended_on >= signed_on",
            name=op.f("ck_withholding_agreement_ends_after_signing"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_withholding_agreement_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_withholding_agreement")),
    )
    with op.batch_alter_table("withholding_agreement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_withholding_agreement_account_id"), ["account_id"], unique=False)
        batch_op.create_index(
            "uq_withholding_agreement_active",
            ["account_id"],
            unique=True,
            sqlite_where=sa.text("ended_on IS NULL"),
            postgresql_where=sa.text("ended_on IS NULL"),
        )

    op.create_table(
        "bank_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("encoding", sa.String(length=12), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("total", _money(), nullable=False),
        sa.Column("batch", sa.String(length=80), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(FILE_KINDS, name=op.f("ck_bank_file_kind_known")),
        sa.CheckConstraint("rows >= 0", name=op.f("ck_bank_file_rows_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_file")),
    )
    with op.batch_alter_table("bank_file", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bank_file_batch"), ["batch"], unique=False)
        batch_op.create_index("uq_bank_file_kind_sha256", ["kind", "sha256"], unique=True)

    op.create_table(
        "bank_debit_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_file_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("bank_account", sa.String(length=64), nullable=False),
        sa.Column("amount", _money(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=True),
        sa.Column("bank_ref", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("result_file_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_bank_debit_line_amount_positive")),
        sa.CheckConstraint(
            "status IS NULL OR status IN ('succeeded', 'failed')",
            name=op.f("ck_bank_debit_line_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_bank_debit_line_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["bank_file_id"], ["bank_file.id"], name=op.f("fk_bank_debit_line_bank_file_id_bank_file")
        ),
        sa.ForeignKeyConstraint(
            ["result_file_id"], ["bank_file.id"], name=op.f("fk_bank_debit_line_result_file_id_bank_file")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_debit_line")),
        sa.UniqueConstraint("reference", name=op.f("uq_bank_debit_line_reference")),
    )
    with op.batch_alter_table("bank_debit_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bank_debit_line_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bank_debit_line_bank_file_id"), ["bank_file_id"], unique=False)

    op.create_table(
        "reconciliation_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bank_file_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=120), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("matched_count", sa.Integer(), nullable=False),
        sa.Column("matched_amount", _money(), nullable=False),
        sa.Column("differences", sa.Integer(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('statement', 'agent_settlement')", name=op.f("ck_reconciliation_run_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["bank_file_id"], ["bank_file.id"], name=op.f("fk_reconciliation_run_bank_file_id_bank_file")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_run")),
        sa.UniqueConstraint("bank_file_id", name=op.f("uq_reconciliation_run_bank_file_id")),
    )

    op.create_table(
        "reconciliation_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("reference", sa.String(length=80), nullable=True),
        sa.Column("bank_ref", sa.String(length=64), nullable=True),
        sa.Column("bank_row", sa.Integer(), nullable=True),
        sa.Column("account_no", sa.String(length=32), nullable=True),
        sa.Column("bank_amount", _money(), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("ledger_amount", _money(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("resolution", sa.String(length=30), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("resolved_by", sa.String(length=64), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("posted_payment_id", sa.Integer(), nullable=True),
        sa.Column("reversal_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(ITEM_KINDS, name=op.f("ck_reconciliation_item_kind_known")),
        sa.CheckConstraint("state IN ('open', 'resolved')", name=op.f("ck_reconciliation_item_state_known")),
        sa.CheckConstraint(
            "(state = 'open') = (resolution IS NULL AND resolved_by IS NULL)",
            name=op.f("ck_reconciliation_item_resolved_with_who"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payment.id"], name=op.f("fk_reconciliation_item_payment_id_payment")
        ),
        sa.ForeignKeyConstraint(
            ["posted_payment_id"],
            ["payment.id"],
            name=op.f("fk_reconciliation_item_posted_payment_id_payment"),
        ),
        sa.ForeignKeyConstraint(
            ["reversal_id"],
            ["payment_reversal.id"],
            name=op.f("fk_reconciliation_item_reversal_id_payment_reversal"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["reconciliation_run.id"],
            name=op.f("fk_reconciliation_item_run_id_reconciliation_run"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_item")),
    )
    with op.batch_alter_table("reconciliation_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reconciliation_item_payment_id"), ["payment_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reconciliation_item_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reconciliation_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reconciliation_item_run_id"))
        batch_op.drop_index(batch_op.f("ix_reconciliation_item_payment_id"))
    op.drop_table("reconciliation_item")
    op.drop_table("reconciliation_run")
    with op.batch_alter_table("bank_debit_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bank_debit_line_bank_file_id"))
        batch_op.drop_index(batch_op.f("ix_bank_debit_line_account_id"))
    op.drop_table("bank_debit_line")
    with op.batch_alter_table("bank_file", schema=None) as batch_op:
        batch_op.drop_index("uq_bank_file_kind_sha256")
        batch_op.drop_index(batch_op.f("ix_bank_file_batch"))
    op.drop_table("bank_file")
    with op.batch_alter_table("withholding_agreement", schema=None) as batch_op:
        batch_op.drop_index("uq_withholding_agreement_active")
        batch_op.drop_index(batch_op.f("ix_withholding_agreement_account_id"))
    op.drop_table("withholding_agreement")
