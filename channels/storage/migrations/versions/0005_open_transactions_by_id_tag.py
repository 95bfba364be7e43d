"""the id_tag index covers open transactions only

The ConcurrentTx check asks for an idTag's transaction that is not over. An index
of every transaction by idTag makes that read walk all the tag's past sessions
(a fleet card holds thousands); one of the open ones finds it at once, and is
smaller to keep up.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 11:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

OPEN = sa.text("stop_time IS NULL")


def upgrade() -> None:
    op.drop_index("ix_transactions_id_tag", table_name="transactions")
    op.create_index(
        "ix_transactions_open_id_tag", "transactions", ["id_tag"],
        postgresql_where=OPEN, sqlite_where=OPEN,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_transactions_open_id_tag", table_name="transactions")
    op.create_index("ix_transactions_id_tag", "transactions", ["id_tag"])
