"""Smart charging: charging profiles per station and connector, composite schedules

`charging_profiles` keeps each profile a 1.6 station accepted (SetChargingProfile,
or the chargingProfile of a RemoteStartTransaction, pending until its
StartTransaction) with what became of it: at most one row `installed` per
(station, connector, purpose, stackLevel), the others history. A station's last
GetCompositeSchedule answer per connector is in `composite_schedules`.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 02:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

INSTALLED = sa.text("status = 'installed'")


def upgrade() -> None:
    op.create_table(
        "charging_profiles",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=True),
        sa.Column("charging_profile_id", sa.Integer(), nullable=False),
        sa.Column("stack_level", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(25), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("transaction_id", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("id_tag", sa.Text(), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["station_id"], ["charge_points.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_charging_profiles_station_status", "charging_profiles", ["station_id", "status"]
    )
    op.create_index(
        "uq_charging_profiles_installed", "charging_profiles",
        ["station_id", "connector_id", "purpose", "stack_level"],
        unique=True, postgresql_where=INSTALLED, sqlite_where=INSTALLED,
    )  # fmt: skip
    op.create_table(
        "composite_schedules",
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("connector_id", sa.Integer(), nullable=False),
        sa.Column("duration", sa.Integer(), nullable=False),
        sa.Column("charging_rate_unit", sa.String(1), nullable=True),
        sa.Column("status", sa.String(10), nullable=True),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["station_id"], ["charge_points.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("station_id", "connector_id"),
    )


def downgrade() -> None:
    op.drop_table("composite_schedules")
    op.drop_index("uq_charging_profiles_installed", table_name="charging_profiles")
    op.drop_index("ix_charging_profiles_station_status", table_name="charging_profiles")
    op.drop_table("charging_profiles")
