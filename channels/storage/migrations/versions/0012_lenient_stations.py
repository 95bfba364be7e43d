"""Lenient stations: schema violations an operator tolerates per station

A station may be allowed to break some schema rules (ocppj.leniency): they are
named per station, and the messages taken with violations forgiven are counted.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 02:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("charge_points") as batch:
        batch.add_column(sa.Column("tolerate", sa.String(200), nullable=True))
        batch.add_column(
            sa.Column("tolerated_count", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("charge_points") as batch:
        batch.drop_column("tolerated_count")
        batch.drop_column("tolerate")
