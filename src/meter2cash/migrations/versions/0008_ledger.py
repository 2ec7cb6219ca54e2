"""The receivables ledger (应收电费账) and payments (缴费): ledger_txn, ledger_entry, payment,
receipt_number, payment_reversal, late_fee_charge, late_fee_waiver, write_off, collection_close.

- The lines of a ledger transaction sum to zero. On PostgreSQL a deferred constraint trigger on
  ``ledger_txn`` checks, once per transaction at commit, that it has at least two lines and that
  they sum to zero; a statement trigger on ``ledger_entry`` refuses lines added to a transaction
  written by an earlier database transaction (``ledger_txn.xact_id``), so a committed transaction
  can never be unbalanced afterwards. On SQLite the unit of work checks the same before commit
  (`meter2cash.collection.ledger`).
- Ledger transactions and lines, payments and late-fee charges are immutable: UPDATE and DELETE
  are refused on both backends (PostgreSQL triggers that raise, SQLite triggers that abort).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 15:19:40
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import meter2cash.platform.db_types

IMMUTABLE = ("ledger_txn", "ledger_entry", "payment", "late_fee_charge")


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "collection_close",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_collection_close")),
    )
    op.create_table(
        "ledger_txn",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("source", sa.String(length=120), nullable=False),
        sa.Column("business_day", sa.Date(), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("batch", sa.String(length=80), nullable=True),
        sa.Column("memo", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_txn")),
        sa.UniqueConstraint("source", name=op.f("uq_ledger_txn_source")),
    )
    with op.batch_alter_table("ledger_txn", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ledger_txn_batch"), ["batch"], unique=False)
        batch_op.create_index(batch_op.f("ix_ledger_txn_business_day"), ["business_day"], unique=False)

    op.create_table(
        "receipt_number",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_no", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_receipt_number")),
    )
    op.create_table(
        "payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("amount", meter2cash.platform.db_types.ExactDecimal(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("channel_ref", sa.String(length=64), nullable=True),
        sa.Column("idempotency_key", sa.String(length=100), nullable=True),
        sa.Column("receipt_no", sa.String(length=20), nullable=True),
        sa.Column("batch", sa.String(length=80), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("payer", sa.String(length=100), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payment_amount_positive")),
        sa.CheckConstraint(
            "idempotency_key IS NOT NULL OR channel_ref IS NOT NULL", name=op.f("ck_payment_keyed")
        ),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_payment_account_id_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
        sa.UniqueConstraint("channel", "source", "channel_ref", name="uq_payment_channel_ref"),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_payment_idempotency_key")),
        sa.UniqueConstraint("receipt_no", name=op.f("uq_payment_receipt_no")),
    )
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payment_batch"), ["batch"], unique=False)
        batch_op.create_index(batch_op.f("ix_payment_paid_on"), ["paid_on"], unique=False)

    op.create_table(
        "payment_reversal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.String(length=300), nullable=True),
        sa.Column("txn_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'approved', 'rejected')", name=op.f("ck_payment_reversal_state_known")
        ),
        sa.CheckConstraint(
            "decided_by IS NULL OR decided_by <> requested_by", name=op.f("ck_payment_reversal_four_eyes")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payment.id"], name=op.f("fk_payment_reversal_payment_id_payment")
        ),
        sa.ForeignKeyConstraint(
            ["txn_id"], ["ledger_txn.id"], name=op.f("fk_payment_reversal_txn_id_ledger_txn")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_reversal")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_payment_reversal_payment_id")),
    )
    op.create_table(
        "late_fee_charge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("receivable_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("txn_id", sa.Integer(), nullable=False),
        sa.Column("through", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("amount", meter2cash.platform.db_types.ExactDecimal(), nullable=False),
        sa.Column("total_to_date", meter2cash.platform.db_types.ExactDecimal(), nullable=False),
        sa.Column("rule", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_late_fee_charge_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["receivable_id"], ["receivable.id"], name=op.f("fk_late_fee_charge_receivable_id_receivable")
        ),
        sa.ForeignKeyConstraint(
            ["txn_id"], ["ledger_txn.id"], name=op.f("fk_late_fee_charge_txn_id_ledger_txn")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_late_fee_charge")),
    )
    with op.batch_alter_table("late_fee_charge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_late_fee_charge_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_late_fee_charge_receivable_id"), ["receivable_id"], unique=False)

    op.create_table(
        "late_fee_waiver",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("receivable_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("amount", meter2cash.platform.db_types.ExactDecimal(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("txn_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'approved', 'rejected')", name=op.f("ck_late_fee_waiver_state_known")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_late_fee_waiver_amount_positive")),
        sa.CheckConstraint(
            "decided_by IS NULL OR decided_by <> requested_by", name=op.f("ck_late_fee_waiver_four_eyes")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_late_fee_waiver_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["receivable_id"], ["receivable.id"], name=op.f("fk_late_fee_waiver_receivable_id_receivable")
        ),
        sa.ForeignKeyConstraint(
            ["txn_id"], ["ledger_txn.id"], name=op.f("fk_late_fee_waiver_txn_id_ledger_txn")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_late_fee_waiver")),
    )
    with op.batch_alter_table("late_fee_waiver", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_late_fee_waiver_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_late_fee_waiver_receivable_id"), ["receivable_id"], unique=False)

    # On PostgreSQL the references to the immutable parents (ledger_txn, payment, receivable:
    # UPDATE, DELETE and TRUNCATE refused) are checked once per statement by the
    # ledger_entry_checked trigger instead of a foreign key's per-row check (docs/decisions/0009).
    immutable_parents = (
        []
        if not _sqlite()
        else [
            sa.ForeignKeyConstraint(
                ["payment_id"], ["payment.id"], name=op.f("fk_ledger_entry_payment_id_payment")
            ),
            sa.ForeignKeyConstraint(
                ["receivable_id"], ["receivable.id"], name=op.f("fk_ledger_entry_receivable_id_receivable")
            ),
            sa.ForeignKeyConstraint(
                ["txn_id"], ["ledger_txn.id"], name=op.f("fk_ledger_entry_txn_id_ledger_txn")
            ),
        ]
    )
    op.create_table(
        "ledger_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("txn_id", sa.Integer(), nullable=False),
        sa.Column("gl", sa.String(length=60), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("receivable_id", sa.Integer(), nullable=True),
        sa.Column("payment_id", sa.Integer(), nullable=True),
        sa.Column("amount", meter2cash.platform.db_types.ExactDecimal(), nullable=False),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_ledger_entry_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_ledger_entry_account_id_account")
        ),
        *immutable_parents,
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entry")),
    )
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.create_index("ix_ledger_entry_account_gl", ["account_id", "gl"], unique=False)
        for column, name in (
            ("payment_id", "ix_ledger_entry_payment"),
            ("receivable_id", "ix_ledger_entry_receivable"),
        ):
            present = sa.text(f"{column} IS NOT NULL")
            batch_op.create_index(
                name, [column], unique=False, postgresql_where=present, sqlite_where=present
            )
        batch_op.create_index(batch_op.f("ix_ledger_entry_txn_id"), ["txn_id"], unique=False)

    op.create_table(
        "write_off",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("receivable_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("amount", meter2cash.platform.db_types.ExactDecimal(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("txn_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'approved', 'rejected')", name=op.f("ck_write_off_state_known")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_write_off_amount_positive")),
        sa.CheckConstraint(
            "decided_by IS NULL OR decided_by <> requested_by", name=op.f("ck_write_off_four_eyes")
        ),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], name=op.f("fk_write_off_account_id_account")),
        sa.ForeignKeyConstraint(
            ["receivable_id"], ["receivable.id"], name=op.f("fk_write_off_receivable_id_receivable")
        ),
        sa.ForeignKeyConstraint(["txn_id"], ["ledger_txn.id"], name=op.f("fk_write_off_txn_id_ledger_txn")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_write_off")),
    )
    with op.batch_alter_table("write_off", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_write_off_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_write_off_receivable_id"), ["receivable_id"], unique=False)

    _guards()


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _guards() -> None:
    if _sqlite():
        for table in IMMUTABLE:
            for event in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_immutable_{event.lower()} BEFORE {event} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table}_immutable'); END"
                )
        return
    op.execute("ALTER TABLE ledger_txn ADD COLUMN xact_id xid8 NOT NULL DEFAULT pg_current_xact_id()")
    op.execute(
        "CREATE FUNCTION ledger_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION '%_immutable: ledger rows cannot change; post a reversing transaction', "
        "TG_TABLE_NAME USING ERRCODE = 'integrity_constraint_violation'; END $$"
    )
    for table in IMMUTABLE:
        op.execute(
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION ledger_immutable()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_not_truncated BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION ledger_immutable()"
        )
    op.execute(
        "CREATE FUNCTION ledger_txn_balanced() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "DECLARE lines integer; total numeric; "
        "BEGIN SELECT count(*), coalesce(sum(amount), 0) INTO lines, total "
        "FROM ledger_entry WHERE txn_id = NEW.id; "
        "IF lines < 2 OR total <> 0 THEN RAISE EXCEPTION "
        "'ledger_unbalanced: ledger transaction % (%) has % lines summing to %', "
        "NEW.id, NEW.source, lines, total USING ERRCODE = 'integrity_constraint_violation'; END IF; "
        "RETURN NULL; END $$"
    )
    op.execute(
        "CREATE CONSTRAINT TRIGGER ledger_txn_balanced AFTER INSERT ON ledger_txn "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_txn_balanced()"
    )
    # Once per INSERT or COPY statement, set-based: every line's transaction exists and was written
    # by this database transaction (lines cannot be added to a committed one), and its payment and
    # bill exist — the foreign keys to these immutable parents, checked by one join each instead of
    # one lookup per row.
    op.execute(
        "CREATE FUNCTION ledger_entry_checked() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "DECLARE bad record; "
        "BEGIN "
        "SELECT a.txn_id, t.id AS found INTO bad FROM added a LEFT JOIN ledger_txn t ON t.id = a.txn_id "
        "WHERE t.id IS NULL OR t.xact_id <> pg_current_xact_id() LIMIT 1; "
        "IF FOUND AND bad.found IS NULL THEN RAISE EXCEPTION "
        "'ledger_entry_txn: ledger transaction % does not exist', bad.txn_id "
        "USING ERRCODE = 'foreign_key_violation'; END IF; "
        "IF FOUND THEN RAISE EXCEPTION "
        "'ledger_closed: lines cannot be added to a ledger transaction already committed' "
        "USING ERRCODE = 'integrity_constraint_violation'; END IF; "
        "SELECT a.payment_id INTO bad FROM added a WHERE a.payment_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM payment p WHERE p.id = a.payment_id) LIMIT 1; "
        "IF FOUND THEN RAISE EXCEPTION 'ledger_entry_payment: payment % does not exist', bad.payment_id "
        "USING ERRCODE = 'foreign_key_violation'; END IF; "
        "SELECT a.receivable_id INTO bad FROM added a WHERE a.receivable_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM receivable r WHERE r.id = a.receivable_id) LIMIT 1; "
        "IF FOUND THEN RAISE EXCEPTION 'ledger_entry_receivable: receivable % does not exist', "
        "bad.receivable_id USING ERRCODE = 'foreign_key_violation'; END IF; "
        "RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER ledger_entry_checked AFTER INSERT ON ledger_entry REFERENCING NEW TABLE AS added "
        "FOR EACH STATEMENT EXECUTE FUNCTION ledger_entry_checked()"
    )


def _drop_guards() -> None:
    if _sqlite():
        for table in IMMUTABLE:
            for event in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_immutable_{event}")
        return
    op.execute("DROP TRIGGER IF EXISTS ledger_entry_checked ON ledger_entry")
    op.execute("DROP TRIGGER IF EXISTS ledger_txn_balanced ON ledger_txn")
    for table in IMMUTABLE:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_not_truncated ON {table}")
    for function in ("ledger_entry_checked", "ledger_txn_balanced", "ledger_immutable"):
        op.execute(f"DROP FUNCTION IF EXISTS {function}()")


def downgrade() -> None:
    _drop_guards()
    with op.batch_alter_table("write_off", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_write_off_receivable_id"))
        batch_op.drop_index(batch_op.f("ix_write_off_account_id"))

    op.drop_table("write_off")
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_entry_txn_id"))
        batch_op.drop_index("ix_ledger_entry_receivable")
        batch_op.drop_index("ix_ledger_entry_payment")
        batch_op.drop_index("ix_ledger_entry_account_gl")

    op.drop_table("ledger_entry")
    with op.batch_alter_table("late_fee_waiver", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_late_fee_waiver_receivable_id"))
        batch_op.drop_index(batch_op.f("ix_late_fee_waiver_account_id"))

    op.drop_table("late_fee_waiver")
    with op.batch_alter_table("late_fee_charge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_late_fee_charge_receivable_id"))
        batch_op.drop_index(batch_op.f("ix_late_fee_charge_account_id"))

    op.drop_table("late_fee_charge")
    op.drop_table("payment_reversal")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_paid_on"))
        batch_op.drop_index(batch_op.f("ix_payment_batch"))
        batch_op.drop_index(batch_op.f("ix_payment_account_id"))

    op.drop_table("payment")
    op.drop_table("receipt_number")
    with op.batch_alter_table("ledger_txn", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_txn_business_day"))
        batch_op.drop_index(batch_op.f("ix_ledger_txn_batch"))

    op.drop_table("ledger_txn")
    op.drop_table("collection_close")
