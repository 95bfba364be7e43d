"""2.x firmware updates and publications; 2.x local lists sent in parts

A firmware update names the action that sent it (`action`: UpdateFirmware, the 1.6
security extension's SignedUpdateFirmware, or 2.x PublishFirmware to a local
controller), whether it was signed, its install time, and for a publication the MD5
checksum of the file and the URLs the controller publishes it at. Its id is the
requestId of the 2.x (and signed) requests. `status` grows to hold the 2.x statuses
(InstallVerificationFailed).

A 2.x station's list keeps the idToken type its entries were sent with, and whether
the update in flight is one part of a list too large for one message.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-10 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("firmware_updates") as batch:
        batch.add_column(
            sa.Column("action", sa.String(24), nullable=False, server_default="UpdateFirmware")
        )
        batch.add_column(
            sa.Column("signed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("install_date", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("checksum", sa.String(32), nullable=True))
        batch.add_column(sa.Column("locations", sa.JSON(), nullable=True))
        batch.alter_column(
            "status", existing_type=sa.String(20), type_=sa.String(32), existing_nullable=False
        )
    with op.batch_alter_table("local_lists") as batch:
        batch.add_column(sa.Column("token_type", sa.String(20), nullable=True))
        batch.add_column(
            sa.Column("more_parts", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("local_lists") as batch:
        batch.drop_column("more_parts")
        batch.drop_column("token_type")
    # 1.6 knew UpdateFirmware alone: the rest go, and a 2.x status too long is cut short.
    op.execute(sa.text("DELETE FROM firmware_updates WHERE action != 'UpdateFirmware'"))
    op.execute(
        sa.text(
            "UPDATE firmware_updates SET status = 'InstallationFailed' WHERE length(status) > 20"
        )
    )
    with op.batch_alter_table("firmware_updates") as batch:
        batch.alter_column(
            "status", existing_type=sa.String(32), type_=sa.String(20), existing_nullable=False
        )
        batch.drop_column("locations")
        batch.drop_column("checksum")
        batch.drop_column("install_date")
        batch.drop_column("signed")
        batch.drop_column("action")
