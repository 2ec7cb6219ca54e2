"""Backbone: users, audit trail, archive (customers, accounts, service points, meters, installs,
transformer areas, route books, tariff assignments), import batches.

Integrity rules that must always hold are enforced here, by the database: no overlapping meter
installs on a service point (nor one meter on two points at once), no overlapping tariff
assignments on an account, positive multipliers. PostgreSQL uses exclusion constraints over
date ranges (btree_gist); SQLite uses triggers that abort the statement.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 21:43:04.648071
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import meter2cash.platform.db_types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _inline_supply_point_fk() -> list[sa.ForeignKeyConstraint]:
    # area → supply point → account → area is a cycle: PostgreSQL gets this key after the fact.
    if _sqlite():
        return [
            sa.ForeignKeyConstraint(
                ["supply_point_id"], ["service_point.id"], name="fk_transformer_area_supply_point"
            )
        ]
    return []


NO_OVERLAP = [
    # (table, group column, from column, to column, constraint name)
    ("meter_install", "service_point_id", "installed_on", "removed_on", "no_overlapping_installs_on_point"),
    ("meter_install", "meter_id", "installed_on", "removed_on", "meter_on_one_point_at_a_time"),
    ("tariff_assignment", "account_id", "effective_from", "effective_to", "no_overlapping_tariffs"),
]


def _no_overlap_constraints() -> None:
    if not _sqlite():
        op.create_foreign_key(
            "fk_transformer_area_supply_point",
            "transformer_area",
            "service_point",
            ["supply_point_id"],
            ["id"],
        )
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        for table, group, start, end, name in NO_OVERLAP:
            op.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {name} EXCLUDE USING gist "
                f"({group} WITH =, daterange({start}, {end}, '[)') WITH &&)"
            )
        return
    for table, group, start, end, name in NO_OVERLAP:
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
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    op.create_table(
        "audit_record",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("occurred_at", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("object_type", sa.String(length=64), nullable=False),
        sa.Column("object_id", sa.String(length=128), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_record")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_record_hash")),
    )
    with op.batch_alter_table("audit_record", schema=None) as batch_op:
        batch_op.create_index("ix_audit_record_object", ["object_type", "object_id"], unique=False)

    op.create_table(
        "customer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer")),
        sa.UniqueConstraint("code", name=op.f("uq_customer_code")),
    )
    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("imported_by", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batch")),
    )
    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        batch_op.create_index("uq_import_batch_kind_sha", ["kind", "sha256"], unique=True)

    op.create_table(
        "meter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meter_no", sa.String(length=32), nullable=False),
        sa.Column("dlt645_address", sa.String(length=12), nullable=False),
        sa.Column("comm_host", sa.String(length=100), nullable=True),
        sa.Column("comm_port", sa.Integer(), nullable=True),
        sa.Column("integer_digits", sa.Integer(), nullable=False),
        sa.Column("decimal_digits", sa.Integer(), nullable=False),
        sa.Column("tou_registers", sa.String(length=40), nullable=False),
        sa.CheckConstraint(
            "comm_port IS NULL OR comm_port BETWEEN 1 AND 65535", name=op.f("ck_meter_port_range")
        ),
        sa.CheckConstraint("decimal_digits BETWEEN 0 AND 4", name=op.f("ck_meter_decimal_digits_range")),
        sa.CheckConstraint("integer_digits BETWEEN 4 AND 8", name=op.f("ck_meter_integer_digits_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter")),
        sa.UniqueConstraint("dlt645_address", name=op.f("uq_meter_dlt645_address")),
        sa.UniqueConstraint("meter_no", name=op.f("uq_meter_meter_no")),
    )
    op.create_table(
        "route_book",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("reading_day", sa.Integer(), nullable=False),
        sa.Column("reader", sa.String(length=64), nullable=True),
        sa.CheckConstraint("reading_day BETWEEN 1 AND 28", name=op.f("ck_route_book_reading_day_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_route_book")),
        sa.UniqueConstraint("code", name=op.f("uq_route_book_code")),
    )
    op.create_table(
        "transformer_area",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "capacity_kva", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=18), nullable=False
        ),
        sa.Column("supply_point_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("capacity_kva > 0", name=op.f("ck_transformer_area_capacity_positive")),
        *_inline_supply_point_fk(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transformer_area")),
        sa.UniqueConstraint("code", name=op.f("uq_transformer_area_code")),
    )
    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_no", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("voltage_level", sa.String(length=10), nullable=False),
        sa.Column(
            "contract_capacity_kva",
            meter2cash.platform.db_types.ExactDecimal(scale=4, precision=18),
            nullable=False,
        ),
        sa.Column("pf_standard", sa.String(length=8), nullable=False),
        sa.Column("payment_mode", sa.String(length=20), nullable=False),
        sa.Column("important", sa.Boolean(), nullable=False),
        sa.Column("low_income", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("route_book_id", sa.Integer(), nullable=False),
        sa.Column("transformer_area_id", sa.Integer(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "category IN ('residential','general','large_industry','agriculture')",
            name=op.f("ck_account_category_known"),
        ),
        sa.CheckConstraint(
            "payment_mode IN ('postpaid','smart_prepaid','card_prepaid')",
            name=op.f("ck_account_payment_mode_known"),
        ),
        sa.CheckConstraint(
            "pf_standard IN ('0.90','0.85','0.80','none')", name=op.f("ck_account_pf_standard_known")
        ),
        sa.CheckConstraint("status IN ('active','suspended','closed')", name=op.f("ck_account_status_known")),
        sa.CheckConstraint(
            "closed_on IS NULL OR closed_on > opened_on", name=op.f("ck_account_closed_after_opened")
        ),
        sa.CheckConstraint("contract_capacity_kva >= 0", name=op.f("ck_account_capacity_not_negative")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_account_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["route_book_id"], ["route_book.id"], name=op.f("fk_account_route_book_id_route_book")
        ),
        sa.ForeignKeyConstraint(
            ["transformer_area_id"],
            ["transformer_area.id"],
            name=op.f("fk_account_transformer_area_id_transformer_area"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("account_no", name=op.f("uq_account_account_no")),
    )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_route_book_id"), ["route_book_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_account_transformer_area_id"), ["transformer_area_id"], unique=False
        )

    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("last_record", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["last_record"],
            ["audit_record.seq"],
            name=op.f("fk_audit_head_last_record_audit_record"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "service_point",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind = 'area_supply' OR account_id IS NOT NULL",
            name=op.f("ck_service_point_customer_point_has_account"),
        ),
        sa.CheckConstraint("kind IN ('customer','area_supply')", name=op.f("ck_service_point_kind_known")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_service_point_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_point")),
        sa.UniqueConstraint("code", name=op.f("uq_service_point_code")),
    )
    with op.batch_alter_table("service_point", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_point_account_id"), ["account_id"], unique=False)

    op.create_table(
        "tariff_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("tariff_code", sa.String(length=40), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "effective_to IS NULL OR effective_to > effective_from",
            name=op.f("ck_tariff_assignment_period_ordered"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_tariff_assignment_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tariff_assignment")),
    )
    with op.batch_alter_table("tariff_assignment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tariff_assignment_account_id"), ["account_id"], unique=False)

    op.create_table(
        "meter_install",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("service_point_id", sa.Integer(), nullable=False),
        sa.Column("installed_on", sa.Date(), nullable=False),
        sa.Column("removed_on", sa.Date(), nullable=True),
        sa.Column(
            "ct_ratio", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=18), nullable=False
        ),
        sa.Column(
            "pt_ratio", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=18), nullable=False
        ),
        sa.Column(
            "multiplier", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=18), nullable=False
        ),
        sa.Column(
            "start_total", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=18), nullable=False
        ),
        sa.Column(
            "start_sharp", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=18), nullable=True
        ),
        sa.Column(
            "start_peak", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=18), nullable=True
        ),
        sa.Column(
            "start_flat", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=18), nullable=True
        ),
        sa.Column(
            "start_valley", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=18), nullable=True
        ),
        sa.Column(
            "end_total", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=18), nullable=True
        ),
        sa.Column(
            "end_sharp", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=18), nullable=True
        ),
        sa.Column(
            "end_peak", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=18), nullable=True
        ),
        sa.Column(
            "end_flat", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=18), nullable=True
        ),
        sa.Column(
            "end_valley", meter2cash.platform.db_types.ExactDecimal(scale=4, precision=18), nullable=True
        ),
        sa.CheckConstraint("ct_ratio > 0 AND pt_ratio > 0", name=op.f("ck_meter_install_ratios_positive")),
        sa.CheckConstraint("multiplier > 0", name=op.f("ck_meter_install_multiplier_positive")),
        sa.CheckConstraint(
            "removed_on IS NULL OR end_total IS NOT NULL",
            name=op.f("ck_meter_install_removal_has_final_reading"),
        ),
        sa.CheckConstraint(
            "removed_on IS NULL OR removed_on > installed_on",
            name=op.f("ck_meter_install_removed_after_installed"),
        ),
        sa.CheckConstraint("start_total >= 0", name=op.f("ck_meter_install_start_reading_not_negative")),
        sa.ForeignKeyConstraint(["meter_id"], ["meter.id"], name=op.f("fk_meter_install_meter_id_meter")),
        sa.ForeignKeyConstraint(
            ["service_point_id"],
            ["service_point.id"],
            name=op.f("fk_meter_install_service_point_id_service_point"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter_install")),
    )
    with op.batch_alter_table("meter_install", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meter_install_meter_id"), ["meter_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_meter_install_service_point_id"), ["service_point_id"], unique=False
        )

    _no_overlap_constraints()


def downgrade() -> None:
    if not _sqlite():
        op.drop_constraint("fk_transformer_area_supply_point", "transformer_area", type_="foreignkey")
    with op.batch_alter_table("meter_install", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meter_install_service_point_id"))
        batch_op.drop_index(batch_op.f("ix_meter_install_meter_id"))

    op.drop_table("meter_install")
    with op.batch_alter_table("tariff_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tariff_assignment_account_id"))

    op.drop_table("tariff_assignment")
    with op.batch_alter_table("service_point", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_point_account_id"))

    op.drop_table("service_point")
    op.drop_table("audit_head")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_transformer_area_id"))
        batch_op.drop_index(batch_op.f("ix_account_route_book_id"))
        batch_op.drop_index(batch_op.f("ix_account_customer_id"))

    op.drop_table("account")
    op.drop_table("transformer_area")
    op.drop_table("route_book")
    op.drop_table("meter")
    with op.batch_alter_table("import_batch", schema=None) as batch_op:
        batch_op.drop_index("uq_import_batch_kind_sha")

    op.drop_table("import_batch")
    op.drop_table("customer")
    with op.batch_alter_table("audit_record", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_record_object")

    op.drop_table("audit_record")
    op.drop_table("app_user")
