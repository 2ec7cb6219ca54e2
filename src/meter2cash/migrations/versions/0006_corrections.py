"""Corrections (退补): correction (proposed → approved | rejected, four eyes) and correction_bill
(the issued bills a correction corrects, with each one's difference).

A decided correction and its bill links are immutable: UPDATE of a correction that is no longer
``proposed``, DELETE of any correction, and UPDATE or DELETE of a correction_bill row are refused
by the database (PostgreSQL triggers that raise, SQLite triggers that abort the statement).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import meter2cash.platform.db_types

MONEY = meter2cash.platform.db_types.ExactDecimal(scale=2, precision=18)
ENERGY = meter2cash.platform.db_types.ExactDecimal(scale=4, precision=22)

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

STATES = "state IN ('proposed', 'approved', 'rejected')"
REASONS = "reason IN ('meter_error', 'wrong_wiring', 'wrong_multiplier', 'misread', 'wrong_tariff')"
DECIDED = (
    "state = 'proposed' OR (decided_by IS NOT NULL AND decided_at IS NOT NULL "
    "AND decision_reason IS NOT NULL)"
)
# (trigger, table, events, condition or None)
GUARDS = (
    ("correction_decided_immutable", "correction", "UPDATE", "OLD.state <> 'proposed'"),
    ("correction_no_delete", "correction", "DELETE", None),
    ("correction_bill_immutable_update", "correction_bill", "UPDATE", None),
    ("correction_bill_immutable_delete", "correction_bill", "DELETE", None),
)


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _guards() -> None:
    for name, table, event, condition in GUARDS:
        if _sqlite():
            when = f"WHEN {condition} " if condition else ""
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {event} ON {table} {when}"
                f"BEGIN SELECT RAISE(ABORT, '{name}'); END"
            )
            continue
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{name}: % % cannot change', TG_TABLE_NAME, OLD.id "
            "USING ERRCODE = 'integrity_constraint_violation'; END $$"
        )
        when = f"WHEN ({condition}) " if condition else ""
        op.execute(
            f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW {when}EXECUTE FUNCTION {name}()"
        )


def _drop_guards() -> None:
    for name, table, _event, _condition in GUARDS:
        if _sqlite():
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")


def upgrade() -> None:
    op.create_table(
        "correction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("kwh_difference", ENERGY, nullable=False),
        sa.Column("money_difference", MONEY, nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("reason_text", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("proposed_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.String(length=40), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("adjustment_bill_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(STATES, name=op.f("ck_correction_state_known")),
        sa.CheckConstraint(REASONS, name=op.f("ck_correction_reason_known")),
        sa.CheckConstraint("period_to > period_from", name=op.f("ck_correction_period_ordered")),
        sa.CheckConstraint("decided_by <> proposed_by", name=op.f("ck_correction_four_eyes")),
        sa.CheckConstraint(DECIDED, name=op.f("ck_correction_decided_has_decider")),
        sa.CheckConstraint(
            "state <> 'approved' OR adjustment_bill_id IS NOT NULL",
            name=op.f("ck_correction_approved_has_bill"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_correction_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["adjustment_bill_id"], ["bill.id"], name=op.f("fk_correction_adjustment_bill_id_bill")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_correction")),
        sa.UniqueConstraint("adjustment_bill_id", name=op.f("uq_correction_adjustment_bill_id")),
    )
    with op.batch_alter_table("correction", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_correction_account_id"), ["account_id"], unique=False)
        batch_op.create_index("ix_correction_account_reason", ["account_id", "reason", "state"], unique=False)

    op.create_table(
        "correction_bill",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("correction_id", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("kwh_difference", ENERGY, nullable=False),
        sa.Column("money_difference", MONEY, nullable=False),
        sa.ForeignKeyConstraint(["bill_id"], ["bill.id"], name=op.f("fk_correction_bill_bill_id_bill")),
        sa.ForeignKeyConstraint(
            ["correction_id"], ["correction.id"], name=op.f("fk_correction_bill_correction_id_correction")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_correction_bill")),
        sa.UniqueConstraint("correction_id", "bill_id", name="uq_correction_bill"),
    )
    with op.batch_alter_table("correction_bill", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_correction_bill_bill_id"), ["bill_id"], unique=False)

    _guards()


def downgrade() -> None:
    _drop_guards()
    with op.batch_alter_table("correction_bill", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_correction_bill_bill_id"))
    op.drop_table("correction_bill")
    with op.batch_alter_table("correction", schema=None) as batch_op:
        batch_op.drop_index("ix_correction_account_reason")
        batch_op.drop_index(batch_op.f("ix_correction_account_id"))
    op.drop_table("correction")
