"""Registration status: what a station's BootNotification is answered

Each station has a registration an operator sets (accepted, pending, rejected); every
station known before it is accepted, as every boot was.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-09 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("charge_points") as batch:
        batch.add_column(
            sa.Column("registration", sa.String(8), nullable=False, server_default="accepted")
        )


def downgrade() -> None:
    with op.batch_alter_table("charge_points") as batch:
        batch.drop_column("registration")
