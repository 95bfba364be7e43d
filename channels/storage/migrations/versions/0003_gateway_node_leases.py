"""gateway node leases

A station's `connected` holds while the lease of the gateway node holding it does:
a node killed without a goodbye stops renewing, and its stations are seen as gone.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 05:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gateway_nodes",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stations", sa.Integer(), nullable=False),
        sa.Column("renewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("charge_points") as batch:
        batch.add_column(sa.Column("node_id", sa.String(length=64), nullable=True))
        batch.create_index("ix_charge_points_node_id", ["node_id"])


def downgrade() -> None:
    with op.batch_alter_table("charge_points") as batch:
        batch.drop_index("ix_charge_points_node_id")
        batch.drop_column("node_id")
    op.drop_table("gateway_nodes")
