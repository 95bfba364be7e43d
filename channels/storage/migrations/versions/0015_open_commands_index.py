"""an index on commands.status

rpc_app's sweep looks for the commands still open (queued, sent) every few seconds
in every replica; without an index that read scans every command ever sent.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 09:00:00
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_commands_status", "commands", ["status"])


def downgrade() -> None:
    op.drop_index("ix_commands_status", table_name="commands")
