"""Bill review (量费审核) and issue (发行): the wider bill state machine, review and issue columns on
bill, review findings and decisions, the gap-free bill number counter, receivables; issued bills
and their lines (and receivables) immutable, by trigger, on both backends.

- ``bill.state`` is one of draft, flagged, approved, rejected, issued; an issued bill has its
  number, issue day and due day; the reviewer of a bill is never the person who computed it
  (four eyes, also on ``bill_review``).
- UPDATE or DELETE of a bill whose state is ``issued``, of a line of an issued bill (and INSERT of
  a line into one), and of a receivable are refused by the database: PostgreSQL triggers that
  raise, SQLite triggers that abort the statement (like the no-overlap triggers of 0001/0003).

On SQLite widening the CHECK recreates the ``bill`` table (Alembic batch mode). The database runs
with foreign keys on, and dropping the old table would cascade to ``bill_line``, so its rows are
kept aside in a temporary table and put back.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 00:53:39.196499
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import meter2cash.platform.db_types

MONEY = meter2cash.platform.db_types.ExactDecimal(scale=2, precision=18)

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

STATES_NEW = "state IN ('draft', 'flagged', 'approved', 'rejected', 'issued')"
STATES_OLD = "state IN ('draft')"
ISSUED_HAS_NUMBER = (
    "state <> 'issued' OR (bill_no IS NOT NULL AND issued_on IS NOT NULL AND due_on IS NOT NULL)"
)
# (trigger name, table, events, condition on the row, on OLD or NEW)
ISSUED_BILL = "EXISTS (SELECT 1 FROM bill b WHERE b.id = {row}.bill_id AND b.state = 'issued')"


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _immutability_triggers() -> None:
    if _sqlite():
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER bill_issued_immutable_{event.lower()} BEFORE {event} ON bill "
                "WHEN OLD.state = 'issued' BEGIN SELECT RAISE(ABORT, 'bill_issued_immutable'); END"
            )
            op.execute(
                f"CREATE TRIGGER bill_line_issued_immutable_{event.lower()} BEFORE {event} ON bill_line "
                f"WHEN {ISSUED_BILL.format(row='OLD')} "
                "BEGIN SELECT RAISE(ABORT, 'bill_line_issued_immutable'); END"
            )
            op.execute(
                f"CREATE TRIGGER receivable_immutable_{event.lower()} BEFORE {event} ON receivable "
                "BEGIN SELECT RAISE(ABORT, 'receivable_immutable'); END"
            )
        op.execute(
            "CREATE TRIGGER bill_line_issued_immutable_insert BEFORE INSERT ON bill_line "
            f"WHEN {ISSUED_BILL.format(row='NEW')} "
            "BEGIN SELECT RAISE(ABORT, 'bill_line_issued_immutable'); END"
        )
        return
    op.execute(
        "CREATE FUNCTION bill_issued_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'bill_issued_immutable: bill % is issued and cannot change', OLD.id "
        "USING ERRCODE = 'integrity_constraint_violation'; END $$"
    )
    op.execute(
        "CREATE TRIGGER bill_issued_immutable BEFORE UPDATE OR DELETE ON bill "
        "FOR EACH ROW WHEN (OLD.state = 'issued') EXECUTE FUNCTION bill_issued_immutable()"
    )
    op.execute(
        "CREATE FUNCTION bill_line_issued_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "DECLARE row_bill integer; BEGIN "
        "IF TG_OP = 'INSERT' THEN row_bill := NEW.bill_id; ELSE row_bill := OLD.bill_id; END IF; "
        "IF EXISTS (SELECT 1 FROM bill b WHERE b.id = row_bill AND b.state = 'issued') THEN "
        "RAISE EXCEPTION 'bill_line_issued_immutable: bill % is issued and cannot change', row_bill "
        "USING ERRCODE = 'integrity_constraint_violation'; END IF; "
        "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$"
    )
    op.execute(
        "CREATE TRIGGER bill_line_issued_immutable BEFORE INSERT OR UPDATE OR DELETE ON bill_line "
        "FOR EACH ROW EXECUTE FUNCTION bill_line_issued_immutable()"
    )
    op.execute(
        "CREATE FUNCTION receivable_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'receivable_immutable: receivable % cannot change', OLD.id "
        "USING ERRCODE = 'integrity_constraint_violation'; END $$"
    )
    op.execute(
        "CREATE TRIGGER receivable_immutable BEFORE UPDATE OR DELETE ON receivable "
        "FOR EACH ROW EXECUTE FUNCTION receivable_immutable()"
    )


def _drop_immutability_triggers() -> None:
    if _sqlite():
        for name in (
            "bill_issued_immutable_update",
            "bill_issued_immutable_delete",
            "bill_line_issued_immutable_update",
            "bill_line_issued_immutable_delete",
            "bill_line_issued_immutable_insert",
            "receivable_immutable_update",
            "receivable_immutable_delete",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        return
    op.execute("DROP TRIGGER IF EXISTS receivable_immutable ON receivable")
    op.execute("DROP TRIGGER IF EXISTS bill_line_issued_immutable ON bill_line")
    op.execute("DROP TRIGGER IF EXISTS bill_issued_immutable ON bill")
    op.execute("DROP FUNCTION IF EXISTS receivable_immutable()")
    op.execute("DROP FUNCTION IF EXISTS bill_line_issued_immutable()")
    op.execute("DROP FUNCTION IF EXISTS bill_issued_immutable()")


def _keep_lines() -> None:
    if _sqlite():
        op.execute("CREATE TEMPORARY TABLE _m2c_bill_line_kept AS SELECT * FROM bill_line")


def _restore_lines() -> None:
    if _sqlite():
        op.execute("DELETE FROM bill_line")
        op.execute("INSERT INTO bill_line SELECT * FROM _m2c_bill_line_kept")
        op.execute("DROP TABLE _m2c_bill_line_kept")


def upgrade() -> None:
    op.create_table(
        "bill_number",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_no", sa.Integer(), nullable=False),
        sa.CheckConstraint("last_no >= 0", name=op.f("ck_bill_number_last_no_not_negative")),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_bill_number")),
    )
    op.create_table(
        "bill_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("back_to", sa.String(length=10), nullable=True),
        sa.Column("codes", sa.String(length=300), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("computed_by", sa.String(length=64), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.String(length=40), nullable=False),
        sa.CheckConstraint(
            "back_to IS NULL OR back_to IN ('reading', 'billing')", name=op.f("ck_bill_review_back_to_known")
        ),
        sa.CheckConstraint(
            "decision IN ('approved', 'rejected')", name=op.f("ck_bill_review_decision_known")
        ),
        sa.CheckConstraint("decided_by <> computed_by", name=op.f("ck_bill_review_four_eyes")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_bill_review_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bill_review")),
    )
    with op.batch_alter_table("bill_review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bill_review_account_id"), ["account_id"], unique=False)
        batch_op.create_index("ix_bill_review_period", ["period"], unique=False)

    _keep_lines()
    with op.batch_alter_table("bill", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reviewed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("reviewed_at", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("review_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("bill_no", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("issued_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("issued_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("due_on", sa.Date(), nullable=True))
        batch_op.drop_constraint(batch_op.f("ck_bill_state_known"), type_="check")
        batch_op.create_check_constraint("state_known", STATES_NEW)
        batch_op.create_check_constraint("four_eyes", "reviewed_by IS NULL OR reviewed_by <> computed_by")
        batch_op.create_check_constraint("issued_has_number", ISSUED_HAS_NUMBER)
        batch_op.create_index("ix_bill_period_state", ["period", "state"], unique=False)
        batch_op.create_unique_constraint(batch_op.f("uq_bill_bill_no"), ["bill_no"])
    _restore_lines()

    op.create_table(
        "bill_finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.CheckConstraint("severity IN ('flag', 'note')", name=op.f("ck_bill_finding_severity_known")),
        sa.ForeignKeyConstraint(
            ["bill_id"], ["bill.id"], name=op.f("fk_bill_finding_bill_id_bill"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bill_finding")),
    )
    with op.batch_alter_table("bill_finding", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bill_finding_bill_id"), ["bill_id"], unique=False)

    op.create_table(
        "receivable",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("bill_no", sa.String(length=20), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.CheckConstraint("due_on >= issued_on", name=op.f("ck_receivable_due_after_issue")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_receivable_account_id_account")
        ),
        sa.ForeignKeyConstraint(["bill_id"], ["bill.id"], name=op.f("fk_receivable_bill_id_bill")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receivable")),
        sa.UniqueConstraint("bill_id", name=op.f("uq_receivable_bill_id")),
        sa.UniqueConstraint("bill_no", name=op.f("uq_receivable_bill_no")),
    )
    with op.batch_alter_table("receivable", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_receivable_account_id"), ["account_id"], unique=False)

    _immutability_triggers()


def downgrade() -> None:
    _drop_immutability_triggers()
    with op.batch_alter_table("receivable", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receivable_account_id"))
    op.drop_table("receivable")
    with op.batch_alter_table("bill_finding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bill_finding_bill_id"))
    op.drop_table("bill_finding")

    _keep_lines()
    with op.batch_alter_table("bill", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_bill_bill_no"), type_="unique")
        batch_op.drop_index("ix_bill_period_state")
        batch_op.drop_constraint(batch_op.f("ck_bill_issued_has_number"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_bill_four_eyes"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_bill_state_known"), type_="check")
        batch_op.create_check_constraint("state_known", STATES_OLD)
        batch_op.drop_column("due_on")
        batch_op.drop_column("issued_by")
        batch_op.drop_column("issued_on")
        batch_op.drop_column("bill_no")
        batch_op.drop_column("review_reason")
        batch_op.drop_column("reviewed_at")
        batch_op.drop_column("reviewed_by")
    _restore_lines()

    with op.batch_alter_table("bill_review", schema=None) as batch_op:
        batch_op.drop_index("ix_bill_review_period")
        batch_op.drop_index(batch_op.f("ix_bill_review_account_id"))
    op.drop_table("bill_review")
    op.drop_table("bill_number")
