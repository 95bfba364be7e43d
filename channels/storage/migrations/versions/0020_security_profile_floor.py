"""a station's security profile floor

After an operator moved a station to a higher OCPP security profile (2.x
SetNetworkProfile, 1.6 ChangeConfiguration SecurityProfile) and it reconnected on
it, connections on a lower profile are refused: `security_profile` is that floor,
`pending_security_profile` the profile the station accepted and has not used yet.

Revision ID: 0020
Revises: 0015
Create Date: 2026-12-07 14:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("charge_points") as batch:
        batch.add_column(sa.Column("security_profile", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("pending_security_profile", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("charge_points") as batch:
        batch.drop_column("pending_security_profile")
        batch.drop_column("security_profile")
