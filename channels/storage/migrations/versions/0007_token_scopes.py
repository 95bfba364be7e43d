"""token scopes (viewer tokens become the API's tokens too), operator-closed transactions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 21:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Tokens made before scopes existed could watch the network: they keep reading it.
    op.add_column(
        "viewer_tokens",
        sa.Column("scope", sa.String(5), nullable=False, server_default="read"),
    )
    # The API lists transactions by time, newest first.
    op.create_index("ix_transactions_start_time", "transactions", ["start_time"])
    # "operator" when an operator closed it: the station's own StopTransaction, when it
    # comes late, still counts.
    op.add_column("transactions", sa.Column("closed_by", sa.String(10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("transactions") as batch:
        batch.drop_column("closed_by")
    op.drop_index("ix_transactions_start_time", table_name="transactions")
    with op.batch_alter_table("viewer_tokens") as batch:
        batch.drop_column("scope")
