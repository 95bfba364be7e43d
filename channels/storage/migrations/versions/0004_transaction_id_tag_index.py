"""an index on transactions.id_tag

Every Authorize and StartTransaction asks whether the idTag already holds an open
transaction (ConcurrentTx); without an index that read scans every transaction
ever stored.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 09:00:00
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_transactions_id_tag", "transactions", ["id_tag"])


def downgrade() -> None:
    op.drop_index("ix_transactions_id_tag", table_name="transactions")
