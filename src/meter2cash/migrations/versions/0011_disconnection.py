"""Lawful disconnection and reconnection (停复电) cases.

Tables (collection/disconnection_model.py, docs/dunning-disconnection.md): account_protection,
disconnection_case, disconnection_step.

- At most one medical or social flag of a reason in force per account, and at most one open case
  per account: partial unique indexes (both backends).
- The database refuses a cut without its steps: a trigger aborts an ``executed`` step of a case
  lacking any of its ``approved``, ``notice_sent`` and ``final_notice_sent`` steps, and a case whose
  state becomes ``executed`` without its ``executed`` step; steps are never changed or deleted.
  PostgreSQL triggers raise; SQLite triggers abort the statement (like 0005's).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 18:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import meter2cash.platform.db_types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

STATES = (
    "proposed",
    "approved",
    "notice_sent",
    "final_notice_sent",
    "executed",
    "reconnection_due",
    "reconnected",
    "cancelled",
)
OPEN_STATES = STATES[:6]
# The executed step's case lacks one of the steps before the cut.
MISSING_STEPS = (
    "(SELECT count(DISTINCT s.state) FROM disconnection_step s "
    "WHERE s.case_id = NEW.case_id AND s.state IN ('approved', 'notice_sent', 'final_notice_sent')) < 3"
)
NO_CUT_STEP = (
    "NOT EXISTS (SELECT 1 FROM disconnection_step s WHERE s.case_id = NEW.id AND s.state = 'executed')"
)
SQLITE_TRIGGERS = (
    "disconnection_cut_guard_insert",
    "disconnection_cut_guard_update",
    "disconnection_case_cut_guard",
    "disconnection_step_immutable_update",
    "disconnection_step_immutable_delete",
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def upgrade() -> None:
    op.create_table(
        "account_protection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=12), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_by", sa.String(length=64), nullable=True),
        sa.Column("cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            _in("reason", ("medical", "social")), name=op.f("ck_account_protection_reason_known")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_account_protection_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_protection")),
    )
    with op.batch_alter_table("account_protection", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_protection_account_id"), ["account_id"], unique=False)
        batch_op.create_index(
            "uq_account_protection_in_force",
            ["account_id", "reason"],
            unique=True,
            sqlite_where=sa.text("cleared_at IS NULL"),
            postgresql_where=sa.text("cleared_at IS NULL"),
        )

    op.create_table(
        "disconnection_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("planned_cut", sa.DateTime(timezone=True), nullable=False),
        sa.Column("method", sa.String(length=12), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column(
            "arrears", meter2cash.platform.db_types.ExactDecimal(scale=2, precision=18), nullable=False
        ),
        sa.Column("oldest_due_date", sa.Date(), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=True),
        sa.Column("work_order_no", sa.String(length=40), nullable=True),
        sa.Column("reconnect_order_no", sa.String(length=40), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reconnect_by", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            _in("method", ("remote", "work_order")), name=op.f("ck_disconnection_case_method_known")
        ),
        sa.CheckConstraint(_in("state", STATES), name=op.f("ck_disconnection_case_state_known")),
        sa.CheckConstraint("arrears > 0", name=op.f("ck_disconnection_case_arrears_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_disconnection_case_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["meter_id"], ["meter.id"], name=op.f("fk_disconnection_case_meter_id_meter")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disconnection_case")),
        sa.UniqueConstraint("work_order_no", name=op.f("uq_disconnection_case_work_order_no")),
        sa.UniqueConstraint("reconnect_order_no", name=op.f("uq_disconnection_case_reconnect_order_no")),
    )
    with op.batch_alter_table("disconnection_case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disconnection_case_account_id"), ["account_id"], unique=False)
        batch_op.create_index(
            "uq_disconnection_case_open",
            ["account_id"],
            unique=True,
            sqlite_where=sa.text(_in("state", OPEN_STATES)),
            postgresql_where=sa.text(_in("state", OPEN_STATES)),
        )

    op.create_table(
        "disconnection_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.CheckConstraint(_in("state", STATES), name=op.f("ck_disconnection_step_state_known")),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["disconnection_case.id"],
            name=op.f("fk_disconnection_step_case_id_disconnection_case"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disconnection_step")),
        sa.UniqueConstraint("case_id", "state", name="uq_disconnection_step_case_state"),
    )
    with op.batch_alter_table("disconnection_step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_disconnection_step_case_id"), ["case_id"], unique=False)
    _guards()


def _guards() -> None:
    if _sqlite():
        for event in ("INSERT", "UPDATE"):
            op.execute(
                f"CREATE TRIGGER disconnection_cut_guard_{event.lower()} BEFORE {event} "
                "ON disconnection_step "
                f"WHEN NEW.state = 'executed' AND {MISSING_STEPS} "
                "BEGIN SELECT RAISE(ABORT, 'disconnection_cut_without_steps'); END"
            )
        op.execute(
            "CREATE TRIGGER disconnection_case_cut_guard BEFORE UPDATE OF state ON disconnection_case "
            f"WHEN NEW.state = 'executed' AND {NO_CUT_STEP} "
            "BEGIN SELECT RAISE(ABORT, 'disconnection_cut_without_steps'); END"
        )
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER disconnection_step_immutable_{event.lower()} BEFORE {event} "
                "ON disconnection_step BEGIN SELECT RAISE(ABORT, 'disconnection_step_immutable'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION disconnection_cut_guard() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN IF NEW.state = 'executed' AND {MISSING_STEPS} THEN "
        "RAISE EXCEPTION 'disconnection_cut_without_steps: case % lacks its approval or notices', "
        "NEW.case_id USING ERRCODE = 'integrity_constraint_violation'; END IF; RETURN NEW; END $$"
    )
    op.execute(
        "CREATE TRIGGER disconnection_cut_guard BEFORE INSERT OR UPDATE ON disconnection_step "
        "FOR EACH ROW EXECUTE FUNCTION disconnection_cut_guard()"
    )
    op.execute(
        "CREATE FUNCTION disconnection_case_cut_guard() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN IF NEW.state = 'executed' AND {NO_CUT_STEP} THEN "
        "RAISE EXCEPTION 'disconnection_cut_without_steps: case % has no executed step', "
        "NEW.id USING ERRCODE = 'integrity_constraint_violation'; END IF; RETURN NEW; END $$"
    )
    op.execute(
        "CREATE TRIGGER disconnection_case_cut_guard BEFORE UPDATE OF state ON disconnection_case "
        "FOR EACH ROW EXECUTE FUNCTION disconnection_case_cut_guard()"
    )
    op.execute(
        "CREATE FUNCTION disconnection_step_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'disconnection_step_immutable: step % cannot change', OLD.id "
        "USING ERRCODE = 'integrity_constraint_violation'; END $$"
    )
    op.execute(
        "CREATE TRIGGER disconnection_step_immutable BEFORE UPDATE OR DELETE ON disconnection_step "
        "FOR EACH ROW EXECUTE FUNCTION disconnection_step_immutable()"
    )


def _drop_guards() -> None:
    if _sqlite():
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        return
    op.execute("DROP TRIGGER IF EXISTS disconnection_step_immutable ON disconnection_step")
    op.execute("DROP TRIGGER IF EXISTS disconnection_cut_guard ON disconnection_step")
    op.execute("DROP TRIGGER IF EXISTS disconnection_case_cut_guard ON disconnection_case")
    op.execute("DROP FUNCTION IF EXISTS disconnection_step_immutable()")
    op.execute("DROP FUNCTION IF EXISTS disconnection_cut_guard()")
    op.execute("DROP FUNCTION IF EXISTS disconnection_case_cut_guard()")


def downgrade() -> None:
    _drop_guards()
    with op.batch_alter_table("disconnection_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disconnection_step_case_id"))
    op.drop_table("disconnection_step")
    with op.batch_alter_table("disconnection_case", schema=None) as batch_op:
        batch_op.drop_index("uq_disconnection_case_open")
        batch_op.drop_index(batch_op.f("ix_disconnection_case_account_id"))
    op.drop_table("disconnection_case")
    with op.batch_alter_table("account_protection", schema=None) as batch_op:
        batch_op.drop_index("uq_account_protection_in_force")
        batch_op.drop_index(batch_op.f("ix_account_protection_account_id"))
    op.drop_table("account_protection")
