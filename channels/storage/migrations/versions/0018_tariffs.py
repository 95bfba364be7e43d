"""Tariffs, and the cost of each transaction

A tariff prices sessions per kWh, per hour and per session in one currency; a station
may be assigned one, else the default tariff (at most one) applies. A transaction keeps
the tariff it started under, its currency, its cost in minor units, and when its
running cost was last sent to the station (CostUpdated).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-09 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tariffs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("energy_price", sa.String(20), nullable=False),
        sa.Column("time_price", sa.String(20), nullable=False),
        sa.Column("session_fee", sa.String(20), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    is_default = sa.text("is_default")
    op.create_index(
        "uq_tariffs_default",
        "tariffs",
        ["is_default"],
        unique=True,
        postgresql_where=is_default,
        sqlite_where=is_default,
    )
    with op.batch_alter_table("charge_points") as batch:
        batch.add_column(sa.Column("tariff_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_charge_points_tariff_id", "tariffs", ["tariff_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_charge_points_tariff_id", ["tariff_id"])
    with op.batch_alter_table("transactions") as batch:
        batch.add_column(sa.Column("tariff", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("currency", sa.String(3), nullable=True))
        batch.add_column(sa.Column("cost_minor", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("cost_updated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("transactions") as batch:
        batch.drop_column("cost_updated_at")
        batch.drop_column("cost_minor")
        batch.drop_column("currency")
        batch.drop_column("tariff")
    with op.batch_alter_table("charge_points") as batch:
        batch.drop_index("ix_charge_points_tariff_id")
        batch.drop_constraint("fk_charge_points_tariff_id", type_="foreignkey")
        batch.drop_column("tariff_id")
    op.drop_index("uq_tariffs_default", table_name="tariffs")
    op.drop_table("tariffs")
