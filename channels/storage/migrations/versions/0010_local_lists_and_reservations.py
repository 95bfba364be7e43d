"""Local authorization lists per station, and reservations

Each 1.6 station's Local Authorization List as it acknowledged it (version and
entries, the update in flight, whether it supports one), and the reservations made
with ReserveNow, numbered by us: the id is the reservationId, never reused.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 02:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "local_lists",
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("entries", sa.JSON(), nullable=False),
        sa.Column("pending_command_id", sa.String(36), nullable=True),
        sa.Column("supported", sa.Boolean(), nullable=False),
        sa.Column("resends", sa.Integer(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["station_id"], ["charge_points.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("station_id"),
    )
    op.create_table(
        "reservations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("id_tag", sa.Text(), nullable=False),
        sa.Column("parent_id_tag", sa.Text(), nullable=True),
        sa.Column("expiry_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("command_id", sa.String(36), nullable=True),
        sa.Column("transaction_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["station_id"], ["charge_points.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        # A reservationId a station may still hold is never handed out again.
        sqlite_autoincrement=True,
    )
    op.create_index("ix_reservations_station_id", "reservations", ["station_id"])


def downgrade() -> None:
    op.drop_index("ix_reservations_station_id", table_name="reservations")
    op.drop_table("reservations")
    op.drop_table("local_lists")
